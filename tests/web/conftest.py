"""The real stack for browser tests: Daphne + a Celery worker as subprocesses, sharing a SQLite file
and the test session's Redis (on DB indexes of their own), driven by headless Chromium from Debian.

Without Chromium the browser tests are skipped with a printed reason, unless SPG_REQUIRE_BROWSER=1
(CI), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

# The machines running CI are small and shared: give assertions about the page time to come true.
expect.set_options(timeout=15_000)

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
ARTIFACTS = REPO / "test-artifacts" / "web"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The stack's throttles: generous for logins and signups (every test logs in from 127.0.0.1), and a
# small per-user job rate so the rate-limit test can reach it with a few real submissions.
JOB_CREATE_RATE_PER_MINUTE = 4


def chromium_path() -> str | None:
    """Debian's Chromium, or the binary SPG_CHROMIUM names (only that one, when set)."""
    wanted = os.environ.get("SPG_CHROMIUM")
    candidates = [wanted] if wanted else [shutil.which("chromium"), *CHROMIUM_CANDIDATES]
    return next((path for path in candidates if path and os.access(path, os.X_OK)), None)


def require_chromium() -> str:
    """The browser's path; otherwise skip with a printed reason, or fail when SPG_REQUIRE_BROWSER=1 (CI)."""
    path = chromium_path()
    if path is not None:
        return path
    reason = "Chromium not found (install Debian's 'chromium' package, or set SPG_CHROMIUM); browser tests skipped."
    if os.environ.get("SPG_REQUIRE_BROWSER") == "1":
        pytest.fail(f"SPG_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    print(f"\n[tests/web] {reason}", file=sys.stderr)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options, pointed at Debian's Chromium (never Playwright's download)."""
    return {**browser_type_launch_args, "executable_path": require_chromium(), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, stack):
    return {**browser_context_args, "base_url": stack.url, "viewport": {"width": 1200, "height": 900}}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Stack:
    url: str
    env: dict
    worker: subprocess.Popen
    web: subprocess.Popen
    logs: Path

    def pause_worker(self) -> None:
        """Freeze the Celery worker, so a test can be listening before a job starts moving."""
        os.kill(self.worker.pid, signal.SIGSTOP)

    def resume_worker(self) -> None:
        os.kill(self.worker.pid, signal.SIGCONT)

    def manage(self, *args: str, extra_env: dict | None = None) -> subprocess.CompletedProcess:
        env = {**self.env, **(extra_env or {})}
        return subprocess.run(
            [str(VENV_BIN / "python"), "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=True
        )


def _wait_until(check, timeout: float, what: str, logs: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f}s; see logs in {logs}")


def _http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.kill(process.pid, signal.SIGCONT)  # a paused worker cannot act on SIGTERM
    except ProcessLookupError:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Stack:
    """Daphne and a Celery worker (every queue, solo pool) on a fresh SQLite database."""
    from django.conf import settings  # REDIS_URL: the given one or the session's embedded Redis

    require_chromium()  # before the expensive part
    home = tmp_path_factory.mktemp("web-stack")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ENV": "local",
        "DATABASE_URL": f"sqlite:///{home / 'db.sqlite3'}",
        "SPG_VAR_DIR": str(home),
        "REDIS_URL": os.environ.get("REDIS_URL") or settings.REDIS_URL,
        # Redis DB indexes of its own, so the test session's workers and cache.clear() never meet it.
        "REDIS_DB_BROKER": "10",
        "REDIS_DB_CHANNELS": "11",
        "REDIS_DB_CACHE": "12",
        "DJANGO_DEBUG": "0",  # production-like: the real 404 page, static files from WhiteNoise
        "THROTTLE_LOGIN_RATE": "1000/minute",
        "THROTTLE_SIGNUP_RATE": "1000/minute",
        "THROTTLE_JOB_CREATE_RATE": f"{JOB_CREATE_RATE_PER_MINUTE}/minute",
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "INFO",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    setup = (
        "import django; django.setup(); from django.core.management import call_command as c; "
        "c('migrate', interactive=False, verbosity=0); c('load_starter_data'); "
        "c('collectstatic', interactive=False, verbosity=0)"
    )
    prepared = subprocess.run([str(VENV_BIN / "python"), "-c", setup], cwd=REPO, env=env, timeout=300, capture_output=True, text=True)
    if prepared.returncode != 0:
        raise RuntimeError(f"preparing the stack's database failed:\n{prepared.stdout[-3000:]}\n{prepared.stderr[-3000:]}")

    worker_log = ARTIFACTS / "worker.log"
    web_log = ARTIFACTS / "daphne.log"
    worker = subprocess.Popen(
        [
            str(VENV_BIN / "celery"), "-A", "config", "worker", "-Q", "gateway,emotion,music,storage",
            "--pool", "solo", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "-n", f"webtests-{port}@%h", "--loglevel", "INFO",
        ],
        cwd=REPO, env=env, stdout=worker_log.open("w"), stderr=subprocess.STDOUT,
    )
    web = subprocess.Popen(
        [str(VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=REPO, env=env, stdout=web_log.open("w"), stderr=subprocess.STDOUT,
    )
    running = Stack(url=f"http://127.0.0.1:{port}", env=env, worker=worker, web=web, logs=ARTIFACTS)
    try:
        _wait_until(lambda: _http_ok(f"{running.url}/healthz"), 60, "Daphne", ARTIFACTS)
        worker_ready = re.compile(r"@\S+ ready\.")
        _wait_until(
            lambda: worker_ready.search(worker_log.read_text(errors="replace")) or worker.poll() is not None,
            120,
            "The Celery worker",
            ARTIFACTS,
        )
        if worker.poll() is not None:
            raise RuntimeError(f"the Celery worker exited ({worker.returncode}); see {worker_log}")
        yield running
    finally:
        _stop(web)
        _stop(worker)
