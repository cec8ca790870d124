"""Real servers for tests: Daphne (and whatever a test adds, such as a Celery worker) as subprocesses.

They run on a database of their own (a SQLite file, or a fresh PostgreSQL database next to the test
session's when DATABASE_URL names one) and share the test session's Redis on DB indexes of their own.
The ``daphne_server`` fixture in tests/conftest.py is the lightest use: Daphne alone (no worker).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench._live import free_port, http_ok, is_postgres, scratch_database, stop_process, wait_until

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
# A server's throttles must not get in the way of tests that log in or sign up many times.
GENEROUS_THROTTLES = {"THROTTLE_LOGIN_RATE": "100000/minute", "THROTTLE_SIGNUP_RATE": "100000/minute"}


def server_env(home: Path, database_url: str, redis_db_base: int, **overrides: str) -> dict:
    """The environment of a server process: production-like (DEBUG off), its own database and Redis DBs."""
    from django.conf import settings  # REDIS_URL: the given one or the test session's embedded Redis

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ENV": "local",  # no production secrets needed; DEBUG stays off below
        "DATABASE_URL": database_url,
        "SPG_VAR_DIR": str(home),
        "REDIS_URL": os.environ.get("REDIS_URL") or settings.REDIS_URL,
        # Redis DB indexes of its own, so the test session's workers and cache.clear() never meet it.
        "REDIS_DB_BROKER": str(redis_db_base),
        "REDIS_DB_CHANNELS": str(redis_db_base + 1),
        "REDIS_DB_CACHE": str(redis_db_base + 2),
        "DJANGO_DEBUG": "0",  # production-like: the real 404 page, static files from WhiteNoise
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "INFO",
        **overrides,
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


def prepare_database(env: dict, *, starter_data: bool = False, static: bool = False) -> None:
    """Migrate the server's database (and load the starter catalog, collect static files when asked)."""
    steps = ["c('migrate', interactive=False, verbosity=0)"]
    if starter_data:
        steps.append("c('load_starter_data')")
    if static:
        steps.append("c('collectstatic', interactive=False, verbosity=0)")
    setup = "import django; django.setup(); from django.core.management import call_command as c; " + "; ".join(steps)
    prepared = subprocess.run([str(VENV_BIN / "python"), "-c", setup], cwd=REPO, env=env, timeout=300, capture_output=True, text=True)
    if prepared.returncode != 0:
        raise RuntimeError(f"preparing the server's database failed:\n{prepared.stdout[-3000:]}\n{prepared.stderr[-3000:]}")


@contextmanager
def live_database(home: Path, name: str) -> Iterator[str]:
    """A database URL for server processes: a SQLite file under ``home``, or, when the test session runs on
    PostgreSQL, a fresh database ``<session database>_<name>`` on the same server (dropped afterwards)."""
    url = os.environ.get("DATABASE_URL", "")
    if not is_postgres(url):
        yield f"sqlite:///{home / 'db.sqlite3'}"
        return
    with scratch_database(url, name) as database_url:
        yield database_url


@contextmanager
def daphne(env: dict, log: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """Daphne serving config.asgi on a free port; yields its base URL and process once /healthz answers."""
    port = free_port()
    process = subprocess.Popen(
        [str(VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=REPO, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: http_ok(f"{url}/healthz") or process.poll() is not None, 60, "Daphne answering /healthz", log)
        if process.poll() is not None:
            raise RuntimeError(f"Daphne exited ({process.returncode}); see {log}")
        yield url, process
    finally:
        stop_process(process)


@dataclass(frozen=True)
class LiveServer:
    url: str
    env: dict
    log: Path
