"""Settings, read top to bottom: one section per concern, each value set once, driven by the environment.

Importing this module starts nothing and reads only the environment (and ./.env). Local defaults need
nothing installed: SQLite in ./var and, for the commands that need one, an embedded redis-server that
`manage.py` starts and exports as REDIS_URL before settings load (apps/core/embedded_redis.py).
Production settings unless DJANGO_ENV=local (see README, "Configuration"); outside local, settings
refuse to load without a secret key of your own, allowed hosts, DATABASE_URL and REDIS_URL.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from apps.core.client_ip import parse_networks
from apps.core.redis_urls import redis_db_url

# --- Environment and paths -----------------------------------------------------------------------
BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SPG_VAR_DIR", BASE_DIR / "var"))  # created by apps.core on startup

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Safe by default: the hardened production profile unless the environment says DJANGO_ENV=local
# (`make run`, `make test`, the test and benchmark stacks say so explicitly).
DJANGO_ENV = env.str("DJANGO_ENV", default="production")
LOCAL = DJANGO_ENV == "local"
PRODUCTION = not LOCAL
DEBUG = env.bool("DJANGO_DEBUG", default=LOCAL)


def _required_outside_local(name: str, why: str) -> None:
    """Outside local, refuse to start without ``name``, saying what to set."""
    if PRODUCTION and not env.str(name, default=""):
        raise ImproperlyConfigured(f"Set {name} ({why}), or DJANGO_ENV=local for a development machine.")


# --- Security: keys, hosts, HTTPS, client IPs (outside local: refuse to start without a key, hosts,
# a database and a Redis; see README "Configuration" and SECURITY.md) -----------------------------------
# The development key is in the repository, so anyone could sign tokens with it: local use only.
DEV_SECRET_KEY = "local-insecure-key-change-me-0123456789abcdefghijklmnop"
_required_outside_local("DJANGO_SECRET_KEY", "a long random string; it also signs the JWTs")
_required_outside_local("DJANGO_ALLOWED_HOSTS", "comma-separated host names this site answers to")
_required_outside_local("DATABASE_URL", "e.g. postgres://user:pass@host:5432/db")
_required_outside_local("REDIS_URL", "e.g. redis://redis-host:6379, shared by the web process and every worker")
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEV_SECRET_KEY)
if PRODUCTION and DEV_SECRET_KEY in {SECRET_KEY, env.str("JWT_SIGNING_KEY", default="")}:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY (or JWT_SIGNING_KEY) is the repository's development key: set your own.")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# The client IP (apps/core/client_ip.py) for throttles, logs and the admin: X-Forwarded-For is believed
# only from trusted reverse proxies, given as a count or as networks. Default: none, the TCP peer.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
TRUSTED_PROXY_NETWORKS = env.list("TRUSTED_PROXY_NETWORKS", default=[])
try:
    parse_networks(TRUSTED_PROXY_NETWORKS)
except ValueError as error:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_NETWORKS: {error}") from error
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

# --- Applications, middleware, URLs, templates -----------------------------------------------------
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
    "drf_spectacular_sidecar",
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
    "apps.core.client_ip.ClientIpMiddleware",
    "apps.core.privacy.PrivateRequestMiddleware",
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

# --- Database: SQLite by default, DATABASE_URL for PostgreSQL ---------------------------------------
_database = env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
_SQLITE = _database["ENGINE"].endswith("sqlite3")
_PROMETHEUS_ENGINES = {  # the same backends, with query metrics
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
}
# WAL and a busy timeout: Daphne and Celery write to the same file concurrently. The timeout is how
# long a write waits for the lock before "database is locked" (then the API answers 503 and tasks
# retry with backoff); chaos tests shorten it to reach that path quickly.
_SQLITE_OPTIONS = {
    "timeout": env.float("SQLITE_BUSY_TIMEOUT", default=20),
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
DATABASES = {
    "default": {
        **_database,
        "ENGINE": _PROMETHEUS_ENGINES.get(_database["ENGINE"], _database["ENGINE"]),
        "OPTIONS": {**_database.get("OPTIONS", {}), **(_SQLITE_OPTIONS if _SQLITE else {})},
        # Persistent connections (both engines): opening one per request or task cost 6-11 % of the
        # gateway's and the worker's CPU in the end-to-end profile; health checks replace a dead one.
        "CONN_MAX_AGE": env.int("DB_CONN_MAX_AGE", default=60),
        "CONN_HEALTH_CHECKS": True,
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Threads that run the gateway's HTTP views under Daphne (apps/core/asgi.py). Each keeps its database
# connection, which Django's one-thread-per-request ASGI handler could not; a request waits while all
# are busy (a PostgreSQL server must allow this many connections per Daphne process, plus the sockets').
ASGI_THREADS = env.int("ASGI_THREADS", default=8)
if ASGI_THREADS < 1:
    raise ImproperlyConfigured("ASGI_THREADS must be at least 1")

# --- Accounts: users, passwords, sessions, JWT and auth cookies (see docs/auth.md) ------------------
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
SESSION_ENGINE = "django.contrib.sessions.backends.db"

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
# Concurrent refreshes of one token (two tabs) within this many seconds all get the same new pair;
# a spent token presented later is theft: all refresh tokens revoked, all sessions ended.
REFRESH_GRACE_SECONDS = env.int("JWT_REFRESH_GRACE_SECONDS", default=10)
AUTH_COOKIE_ACCESS = env.str("AUTH_COOKIE_ACCESS", default="spg_access")
AUTH_COOKIE_REFRESH = env.str("AUTH_COOKIE_REFRESH", default="spg_refresh")
AUTH_COOKIE_SECURE = env.bool("AUTH_COOKIE_SECURE", default=PRODUCTION)
AUTH_COOKIE_SAMESITE = "Lax"

# --- Internationalisation and static files ------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))  # created by apps.core
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Redis: one server, a separate DB index per use ----------------------------------------------------
# Without REDIS_URL, processes started on their own use a local server; `manage.py runstack`/`runserver`
# and the test session start an embedded one first and export its REDIS_URL to their child processes.
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379")
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

# Redis pub/sub (channels-redis's RedisPubSubChannelLayer, read promptly: apps/core/channel_layer.py): a
# group_send is one PUBLISH, and a socket's groups are SUBSCRIBEs of its Daphne process. The list-based RedisChannelLayer paid per event a Lua
# script over the group's sorted set and a list push per member, then in Daphne a cleanup script,
# BZPOPMIN and a backup-set write per message received; measured end to end, the switch cut the CPU
# per job by about a fifth in the gateway and in the workers and by half in Redis (BENCHMARKS.md,
# "CPU per job, gateway side"). What pub/sub does not do, the job socket already covers: an event
# published while a socket's process is not subscribed (not yet, or reconnecting) is lost, and the
# socket's re-sync (docs/jobs.md) sends the database's state instead. Pub/sub channels ignore the Redis
# DB index, so the prefix carries it: deployments sharing a server stay apart as their DB indexes do.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "apps.core.channel_layer.RedisPubSubChannelLayer",  # channels-redis's, reading promptly
        "CONFIG": {
            # A hung (not refused) Redis must not block a publish or a subscribe forever.
            "hosts": [{"address": REDIS_CHANNELS_URL, "socket_timeout": 30}],
            "prefix": f"spg{env.int('REDIS_DB_CHANNELS', default=1)}.",
        },
    }
}

# --- Celery: one queue per service, JSON only, at-least-once delivery ------------------------------------
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
CELERY_TASK_ALWAYS_EAGER = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes every database connection before and after each task unless this is
# set, which made a worker open a new connection per task whatever CONN_MAX_AGE said (4 % of the pool
# children's busy time on SQLite, a TCP + auth round trip on PostgreSQL). Set this high, the fixup
# never closes by count; apps/core/celery_signals.py closes them around each task the way Django does
# around a request (close_old_connections: CONN_MAX_AGE, health checks, after errors).
CELERY_DB_REUSE_MAX = 2**31
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=120)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=100)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_PROC_ALIVE_TIMEOUT = 120  # the emotion model loads in worker_process_init
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# With Redis down a POST must answer 503 within about a second, not hang on the broker.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=1.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Tasks are short (milliseconds); an unacked message is redelivered after this many seconds.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300),
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    # A hung (not refused) Redis would otherwise block a publish forever (kombu's docs); BRPOP is unaffected.
    "socket_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=1.0),
    # A publish that cannot reach the broker fails after one quick retry, so the POST answers 503 well
    # within a second (kombu's default first pause is 2 s). Workers' consumers reconnect with their own
    # retry settings (broker_connection_*), and task publishes with their retry policy.
    "max_retries": 1,
    "interval_start": 0.1,
    "interval_step": 0.2,
    "interval_max": 0.5,
}

# --- API: DRF, OpenAPI schema and docs ---------------------------------------------------------------------
_RENDERERS = ["rest_framework.renderers.JSONRenderer", "rest_framework.renderers.BrowsableAPIRenderer"]
REST_FRAMEWORK = {
    # Bearer first: its WWW-Authenticate header makes unauthenticated requests answer 401 (not 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.BearerJWTAuthentication",
        "apps.accounts.authentication.CookieJWTAuthentication",
        "apps.accounts.authentication.CsrfSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": env.list("DRF_RENDERERS", default=_RENDERERS) if PRODUCTION else _RENDERERS,
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser", "rest_framework.parsers.FormParser"],
    "DEFAULT_PAGINATION_CLASS": "apps.gateway.pagination.StrictPageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "apps.gateway.errors.api_exception_handler",
    # Every API operation documents the error envelope it may answer with (400/401/403/404/415/429).
    "DEFAULT_SCHEMA_CLASS": "apps.gateway.openapi.EnvelopeAutoSchema",
    # Views opt in with `throttle_scope`; only unsafe methods (POST, ...) count. State lives in the cache.
    "DEFAULT_THROTTLE_CLASSES": ["apps.accounts.throttles.ScopedWriteThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "login": env.str("THROTTLE_LOGIN_RATE", default="10/minute"),
        "signup": env.str("THROTTLE_SIGNUP_RATE", default="20/hour"),
        "job_create": env.str("THROTTLE_JOB_CREATE_RATE", default="30/minute"),
        # Deleting the account checks the password: limited like a login.
        "account_delete": env.str("THROTTLE_ACCOUNT_DELETE_RATE", default="10/hour"),
    },
    # DRF's own X-Forwarded-For handling is off: the throttles ask apps.core.client_ip (TRUSTED_PROXY_*).
    "NUM_PROXIES": 0,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Sentiment Playlist Generator API",
    "DESCRIPTION": "Describe how you feel, pick how you want to feel, get a playlist that walks you there.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request bodies get components of their own, with the constraints only input has (minLength for
    # non-blank strings, patterns, additionalProperties; apps.gateway.openapi).
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "apps.gateway.openapi.link_identifiers"],
    # The 13 emotions are one enum wherever a request or a reading names one.
    "ENUM_NAME_OVERRIDES": {"EmotionEnum": "apps.emotion.api.EMOTIONS"},
    # /api/docs/ serves Swagger UI from our own static files: works offline, no third-party script on our origin.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Playlist jobs (apps/gateway jobs, apps/storage; see docs/jobs.md) -----------------------------------
JOB_TEXT_MAX_CHARS = env.int("JOB_TEXT_MAX_CHARS", default=2000)
# The words that moved each reading (leave-one-word-out occlusion in the emotion worker): about two
# thirds of a cache-cold job's worker CPU. Off, readings carry no words and the page shows none.
EMOTION_EXPLAIN_WORDS = env.bool("EMOTION_EXPLAIN_WORDS", default=True)
# How the emotion worker runs the encoder's matrix products. "auto": the model card's int8 where the CPU
# has int8 dot-product instructions (AVX-512 VNNI, AVX-VNNI, AMX), float32 elsewhere: without them
# torch's int8 product read one text 12-15x slower than float32 (BENCHMARKS.md). "int8" or "none" force one.
EMOTION_QUANTIZATION = env.str("EMOTION_QUANTIZATION", default="auto")
if EMOTION_QUANTIZATION not in ("auto", "int8", "none"):
    raise ImproperlyConfigured(f"EMOTION_QUANTIZATION must be auto, int8 or none, not {EMOTION_QUANTIZATION!r}")
# A job with no progress (no transition) for this long is failed and dead-lettered by the sweep.
# Must be above CELERY_TASK_TIME_LIMIT, or start-up is refused (apps/storage/checks.py).
JOB_DEADLINE_SECONDS = env.int("JOB_DEADLINE_SECONDS", default=180)
# Retention (docs/privacy.md): a finished job's text is erased this many days after it was written; the
# playlist and the reading stay. 0 keeps texts until the person deletes them (the local default).
JOB_TEXT_RETENTION_DAYS = env.int("JOB_TEXT_RETENTION_DAYS", default=90 if PRODUCTION else 0)
if JOB_TEXT_RETENTION_DAYS < 0:
    raise ImproperlyConfigured(f"JOB_TEXT_RETENTION_DAYS must be 0 (off) or a number of days, not {JOB_TEXT_RETENTION_DAYS}")
CELERY_BEAT_SCHEDULE = {
    "sweep-stuck-jobs": {
        "task": "apps.gateway.tasks.sweep_stuck_jobs",
        "schedule": float(env.int("JOB_SWEEP_INTERVAL_SECONDS", default=30)),
    },
    "erase-expired-texts": {
        "task": "apps.gateway.tasks.erase_expired_texts",
        "schedule": float(env.int("JOB_TEXT_RETENTION_INTERVAL_SECONDS", default=3600)),
    },
}

# --- Listening (apps/music/links.py) ----------------------------------------------------------------------
# Which players' search links each song shows (after its own url, if any), in this order. Keys: spotify,
# youtube_music, apple_music, deezer, youtube, soundcloud. None needs an account or key on our side.
LISTEN_PLAYERS = env.list("LISTEN_PLAYERS", default=["spotify", "youtube_music", "apple_music"])

# --- Metrics: /metrics answers a bearer token or allowed networks only (loopback by default locally) ---------
PROMETHEUS_EXPORT_MIGRATIONS = False
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.0/8", "::1"] if LOCAL else [])
try:
    parse_networks(METRICS_ALLOWED_NETWORKS)
except ValueError as error:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {error}") from error

# --- Logging: one line per record on stdout, with the request/user/job/task ids --------------------------
# JSON lines for log collectors; a console format for people reading a local terminal (`make run`).
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="console" if LOCAL else "json")
if LOG_FORMAT not in {"console", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'console' or 'json', not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # "redact": no log line carries what a person wrote (apps/core/privacy.py, README "Privacy").
    "filters": {"context": {"()": "apps.core.logging.ContextFilter"}, "redact": {"()": "apps.core.privacy.RedactingFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "console": {"()": "apps.core.logging.ConsoleFormatter"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": LOG_FORMAT,
            "filters": ["context", "redact"],
        }
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "daphne": {"level": "INFO"},
        "celery": {"level": "INFO"},
    },
}
