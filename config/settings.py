"""One settings module, driven by the environment (django-environ).

Local defaults need nothing: SQLite in ./var and an embedded redis-server.
DJANGO_ENV=production switches on the hardened profile (see README, "Configuration").
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import environ

from apps.core.embedded_redis import ensure_redis_url
from apps.core.redis_urls import redis_db_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SPG_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="local")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DJANGO_DEBUG", default=not PRODUCTION)
if PRODUCTION:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")  # required: no default in production
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
else:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="local-insecure-key-change-me-0123456789abcdefghijklmnop")
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_prometheus",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "channels",
    "apps.core",
    "apps.accounts",
    "apps.emotion",
    "apps.music",
    "apps.storage",
    "apps.gateway",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "apps.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.core.middleware.UserContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database: SQLite by default, DATABASE_URL for PostgreSQL -------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
_engine = DATABASES["default"]["ENGINE"]
if _engine.endswith("sqlite3"):
    DATABASES["default"]["ENGINE"] = "django_prometheus.db.backends.sqlite3"
    # WAL and a busy timeout: Daphne and Celery write to the same file concurrently.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
elif "postgresql" in _engine:
    DATABASES["default"]["ENGINE"] = "django_prometheus.db.backends.postgresql"
# Persistent connections (both engines): opening one per request or task cost 6-11 % of the
# gateway's and the worker's CPU in the end-to-end profile; health checks replace a dead one.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("TEST", {})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Redis: one server, separate DB indexes per use --------------------------------------
REDIS_URL = ensure_redis_url()
REDIS_BROKER_URL = redis_db_url(REDIS_URL, env.int("REDIS_DB_BROKER", default=0))
REDIS_CHANNELS_URL = redis_db_url(REDIS_URL, env.int("REDIS_DB_CHANNELS", default=1))
REDIS_CACHE_URL = redis_db_url(REDIS_URL, env.int("REDIS_DB_CACHE", default=2))

CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_CACHE_URL,
        "KEY_PREFIX": "spg",
        "TIMEOUT": env.int("CACHE_TIMEOUT", default=7 * 24 * 3600),
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SERIALIZER": "django_redis.serializers.json.JSONSerializer",
            # A cache outage must never fail a request: reads miss, writes are dropped.
            "IGNORE_EXCEPTIONS": True,
            "SOCKET_CONNECT_TIMEOUT": 0.5,
            "SOCKET_TIMEOUT": 0.5,
        },
    }
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "apps.core.cache"

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [REDIS_CHANNELS_URL], "expiry": 60, "capacity": 200, "group_expiry": 86400},
    }
}

SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_BROKER_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_DEFAULT_QUEUE = "gateway"
CELERY_TASK_ROUTES = {
    "apps.emotion.*": {"queue": "emotion"},
    "apps.music.*": {"queue": "music"},
    "apps.storage.*": {"queue": "storage"},
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=120)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=100)
# Tasks are short (milliseconds); an unacked message is redelivered after this many seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300)}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_PROC_ALIVE_TIMEOUT = 120  # the emotion model loads in worker_process_init
CELERY_TASK_ALWAYS_EAGER = False

# --- DRF ---------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Bearer first: its WWW-Authenticate header makes unauthenticated requests answer 401 (not 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.BearerJWTAuthentication",
        "apps.accounts.authentication.CookieJWTAuthentication",
        "apps.accounts.authentication.CsrfSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser", "rest_framework.parsers.FormParser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "apps.gateway.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Views opt in with `throttle_scope`; only unsafe methods (POST, ...) count. State lives in the cache.
    "DEFAULT_THROTTLE_CLASSES": ["apps.accounts.throttles.ScopedWriteThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "login": env.str("THROTTLE_LOGIN_RATE", default="10/minute"),
        "signup": env.str("THROTTLE_SIGNUP_RATE", default="20/hour"),
        "job_create": env.str("THROTTLE_JOB_CREATE_RATE", default="30/minute"),
    },
    # Client IP for throttling: REMOTE_ADDR unless this many trusted proxies add X-Forwarded-For.
    "NUM_PROXIES": env.int("DRF_NUM_PROXIES", default=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Sentiment Playlist Generator API",
    "DESCRIPTION": "Describe how you feel, pick how you want to feel, get a playlist that walks you there.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "CHECK_USER_IS_ACTIVE": True,
    "LEEWAY": 0,
}

# --- Metrics -------------------------------------------------------------------------------------
PROMETHEUS_EXPORT_MIGRATIONS = False

# --- Logging: JSON lines on stdout, with request/user/job/task ids -------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "apps.core.logging.ContextFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
    },
    "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json", "filters": ["context"]}},
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "daphne": {"level": "INFO"},
        "celery": {"level": "INFO"},
    },
}

# --- Production profile ---------------------------------------------------------------------------
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SESSION_COOKIE_HTTPONLY = True
    X_FRAME_OPTIONS = "DENY"
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = env.list(
        "DRF_RENDERERS",
        default=["rest_framework.renderers.JSONRenderer", "rest_framework.renderers.BrowsableAPIRenderer"],
    )

# --- Accounts: auth cookies (see docs/auth.md) -----------------------------------------------------
AUTH_COOKIE_ACCESS = env.str("AUTH_COOKIE_ACCESS", default="spg_access")
AUTH_COOKIE_REFRESH = env.str("AUTH_COOKIE_REFRESH", default="spg_refresh")
AUTH_COOKIE_SECURE = env.bool("AUTH_COOKIE_SECURE", default=PRODUCTION)
AUTH_COOKIE_SAMESITE = "Lax"
# Every API operation documents the error envelope it may answer with (400/401/403/404/415/429).
REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "apps.gateway.openapi.EnvelopeAutoSchema"
# /api/docs/ serves Swagger UI from our own static files: works offline, no third-party script on our origin.
INSTALLED_APPS += ["drf_spectacular_sidecar"]
SPECTACULAR_SETTINGS.update({"SWAGGER_UI_DIST": "SIDECAR", "SWAGGER_UI_FAVICON_HREF": "SIDECAR", "REDOC_DIST": "SIDECAR"})

# --- Playlist jobs (apps/gateway jobs, apps/storage; see docs/jobs.md) --------------------------
JOB_TEXT_MAX_CHARS = env.int("JOB_TEXT_MAX_CHARS", default=2000)
# A job with no progress (no transition) for this long is failed and dead-lettered by the sweep.
# Must be above CELERY_TASK_TIME_LIMIT, or start-up is refused (apps/storage/checks.py).
JOB_DEADLINE_SECONDS = env.int("JOB_DEADLINE_SECONDS", default=180)
CELERY_BEAT_SCHEDULE = {
    "sweep-stuck-jobs": {
        "task": "apps.gateway.tasks.sweep_stuck_jobs",
        "schedule": float(env.int("JOB_SWEEP_INTERVAL_SECONDS", default=30)),
    }
}
# With Redis down a POST must answer 503 within about a second, not hang on the broker.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=1.0)
CELERY_BROKER_TRANSPORT_OPTIONS.setdefault("socket_connect_timeout", CELERY_BROKER_CONNECTION_TIMEOUT)
# A hung (not refused) Redis would otherwise block a publish forever (kombu's docs); BRPOP is unaffected.
CELERY_BROKER_TRANSPORT_OPTIONS.setdefault("socket_timeout", env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=1.0))
# Under pytest, SQLite tests use a file (WAL + busy timeout) instead of shared-cache memory: the
# Celery worker thread and the test write concurrently, and shared-cache table locks fail at once
# ("database table is locked") where a file database waits. One file per test process.
if _engine.endswith("sqlite3") and os.environ.get("PYTEST_VERSION") and not DATABASES["default"]["TEST"].get("NAME"):
    import tempfile

    DATABASES["default"]["TEST"]["NAME"] = os.path.join(tempfile.gettempdir(), f"spg-test-{os.getpid()}.sqlite3")
# --- Chaos / benchmark stacks (bench/_stack.py, tests/chaos; see BENCHMARKS.md "Chaos") -----------
# SQLite's busy timeout: how long a write waits for the lock before "database is locked" (then the
# API answers 503 and tasks retry with backoff). Chaos tests shorten it to reach that path quickly.
if _engine.endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"]["timeout"] = env.float("SQLITE_BUSY_TIMEOUT", default=20)
# A publish that cannot reach the broker (Redis down) fails after one quick retry, so the POST answers
# 503 well within a second; kombu's default first pause is 2 s. Workers' consumers reconnect with
# their own retry settings (broker_connection_*), and task publishes with their retry policy.
CELERY_BROKER_TRANSPORT_OPTIONS.setdefault("max_retries", 1)
CELERY_BROKER_TRANSPORT_OPTIONS.setdefault("interval_start", 0.1)
CELERY_BROKER_TRANSPORT_OPTIONS.setdefault("interval_step", 0.2)
CELERY_BROKER_TRANSPORT_OPTIONS.setdefault("interval_max", 0.5)

# --- Web app / WebSockets (see docs/web.md) ------------------------------------------------------------
# channels-redis blocks on BZPOPMIN for up to 5 s per receive, and redis-py 8's default socket timeout is
# also 5 s, so an idle consumer died with "Timeout reading from ..." every few seconds (dropping the
# browser's job socket). Give the layer's connections a read timeout well above that blocking pop.
CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [{"address": REDIS_CHANNELS_URL, "socket_timeout": 30}]
