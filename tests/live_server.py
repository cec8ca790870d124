"""Real servers for tests: Daphne (and whatever a test adds, such as a Celery worker) as subprocesses.

They run on a database of their own (a SQLite file, or a fresh PostgreSQL database next to the test
session's when DATABASE_URL names one) and share the test session's Redis on DB indexes of their own.
The ``daphne_server`` fixture in tests/conftest.py is the lightest use: Daphne alone (no worker).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
# A server's throttles must not get in the way of tests that log in or sign up many times.
GENEROUS_THROTTLES = {"THROTTLE_LOGIN_RATE": "100000/minute", "THROTTLE_SIGNUP_RATE": "100000/minute"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], object], timeout: float, what: str, logs: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f}s; see logs in {logs}")


def http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.kill(process.pid, signal.SIGCONT)  # a paused process (a frozen worker) cannot act on SIGTERM
    except ProcessLookupError:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


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
    if not url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{home / 'db.sqlite3'}"
        return
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    database = f"{parts.path.lstrip('/') or 'postgres'}_{name}"
    maintenance = urlunsplit(parts._replace(path="/postgres"))

    def run(statement) -> None:
        with psycopg.connect(maintenance, autocommit=True) as connection:
            connection.execute(statement)

    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
    run(drop)
    run(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    try:
        yield urlunsplit(parts._replace(path=f"/{database}"))
    finally:
        run(drop)


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
        wait_until(lambda: http_ok(f"{url}/healthz") or process.poll() is not None, 60, "Daphne", log)
        if process.poll() is not None:
            raise RuntimeError(f"Daphne exited ({process.returncode}); see {log}")
        yield url, process
    finally:
        stop(process)


@dataclass(frozen=True)
class LiveServer:
    url: str
    env: dict
    log: Path
