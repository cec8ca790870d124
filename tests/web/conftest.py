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
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bench._live import stop_process, wait_until
from tests.live_server import GENEROUS_THROTTLES, REPO, VENV_BIN, daphne, prepare_database, server_env

# The machines running CI are small and shared: give assertions about the page time to come true.
expect.set_options(timeout=15_000)

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


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Stack:
    """Daphne and a Celery worker (every queue, solo pool) on a fresh SQLite database."""
    require_chromium()  # before the expensive part
    home = tmp_path_factory.mktemp("web-stack")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    env = server_env(
        home,
        f"sqlite:///{home / 'db.sqlite3'}",
        redis_db_base=10,
        **GENEROUS_THROTTLES,
        THROTTLE_JOB_CREATE_RATE=f"{JOB_CREATE_RATE_PER_MINUTE}/minute",
    )
    prepare_database(env, starter_data=True, static=True)

    worker_log = ARTIFACTS / "worker.log"
    worker = subprocess.Popen(
        [
            str(VENV_BIN / "celery"), "-A", "config", "worker", "-Q", "gateway,emotion,music,storage",
            "--pool", "solo", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "-n", f"webtests-{os.getpid()}@%h", "--loglevel", "INFO",
        ],
        cwd=REPO, env=env, stdout=worker_log.open("w"), stderr=subprocess.STDOUT,
    )
    try:
        with daphne(env, ARTIFACTS / "daphne.log") as (url, web):
            worker_ready = re.compile(r"@\S+ ready\.")
            wait_until(
                lambda: worker_ready.search(worker_log.read_text(errors="replace")) or worker.poll() is not None,
                120,
                "The Celery worker",
                ARTIFACTS,
            )
            if worker.poll() is not None:
                raise RuntimeError(f"the Celery worker exited ({worker.returncode}); see {worker_log}")
            yield Stack(url=url, env=env, worker=worker, web=web, logs=ARTIFACTS)
    finally:
        stop_process(worker)
