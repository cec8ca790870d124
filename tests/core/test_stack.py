"""`make run`'s stack really starts, serves HTTP and WebSocket, and stops with nothing left behind."""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import psutil
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.helpers import SYSTEM_JEMALLOC, runs_on_jemalloc

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen, timeout: float = 120) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the stack exited early"
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout}s")


def test_runstack_serves_http_and_websocket_then_stops_cleanly(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(DJANGO_ENV="local", SPG_VAR_DIR=str(tmp_path), PORT=str(port), WORKER_CONCURRENCY="1")
    log = (tmp_path / "stack.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runstack"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        response = wait_for_http(f"http://127.0.0.1:{port}/healthz", process)
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200

        # The WebSocket path works end to end: an anonymous socket is accepted, then closed with 4401.
        origin = f"http://127.0.0.1:{port}"
        with connect(f"ws://127.0.0.1:{port}/ws/jobs/{uuid.uuid4()}/", origin=origin, open_timeout=10) as websocket:
            with pytest.raises(ConnectionClosed) as closed:
                websocket.recv(timeout=10)
        assert closed.value.rcvd.code == 4401

        tree = psutil.Process(process.pid).children(recursive=True)
        names = " ".join(" ".join(p.cmdline()) for p in tree if p.is_running())
        assert "daphne" in names and "celery" in names and "redis-server" in names
        if SYSTEM_JEMALLOC.exists():  # the Procfile starts the worker through deploy/with-jemalloc
            workers = [p for p in tree if p.is_running() and p.name() == "celery"]  # not honcho's sh -c
            assert workers and all(runs_on_jemalloc(p) for p in workers)
    finally:
        # What Ctrl-C in a terminal does: SIGINT to the foreground process group.
        tree = psutil.Process(process.pid).children(recursive=True) if process.poll() is None else []
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        finally:
            log.close()
    gone, alive = psutil.wait_procs(tree, timeout=20)
    leftovers = [" ".join(p.cmdline()) for p in alive]
    for p in alive:
        p.kill()
    assert not leftovers, f"processes left behind: {leftovers}\n{(tmp_path / 'stack.log').read_text()[-3000:]}"
    output = (tmp_path / "stack.log").read_text()
    assert f"http://127.0.0.1:{port}/" in output
    assert "Starter catalog:" in output and "make superuser" in output
