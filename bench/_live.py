"""Helpers for real server processes, shared by bench/_stack.py and tests/live_server.py.

Ports, waiting for a condition, an HTTP health probe, stopping a process (its whole group when it
leads one), and a scratch PostgreSQL database that exists only while servers use it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], object], timeout: float, what: str, logs: Path | None = None, *, interval: float = 0.1) -> None:
    """Poll ``check`` until it is truthy; a RuntimeError naming ``what`` (and where the logs are) after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    where = f"; see logs in {logs}" if logs else ""
    raise RuntimeError(f"{what} did not happen within {timeout:.0f}s{where}")


def http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def _signal(process: subprocess.Popen, sig: int) -> bool:
    """Signal the process's group when it leads one (started with start_new_session: its children too), else it."""
    try:
        if os.getpgid(process.pid) == process.pid:
            os.killpg(process.pid, sig)
        else:
            os.kill(process.pid, sig)
    except ProcessLookupError:
        return False
    return True


def stop_process(process: subprocess.Popen | None, timeout: float = 20) -> None:
    """SIGTERM (after SIGCONT: a frozen process cannot act on it), then SIGKILL what is left."""
    if process is None or process.poll() is not None:
        return
    if not (_signal(process, signal.SIGCONT) and _signal(process, signal.SIGTERM)):
        return
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _signal(process, signal.SIGKILL)
        process.wait(timeout=5)


def is_postgres(url: str | None) -> bool:
    return bool(url) and url.startswith(("postgres://", "postgresql://"))


@contextmanager
def scratch_database(server_url: str, name: str | None = None) -> Iterator[str]:
    """A fresh database on the PostgreSQL server of ``server_url``, named ``<its database>_<name>`` (a random
    suffix by default), dropped afterwards, also on failure and with connections still open. Yields its URL."""
    import psycopg  # only needed with PostgreSQL
    from psycopg import sql

    parts = urlsplit(server_url)
    database = f"{parts.path.lstrip('/') or 'postgres'}_{name or uuid.uuid4().hex[:12]}"
    maintenance = urlunsplit(parts._replace(path="/postgres"))

    def run(statement: sql.Composable) -> None:
        with psycopg.connect(maintenance, autocommit=True) as connection:
            connection.execute(statement)

    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
    run(drop)  # a fixed name may be left over from a run that was killed
    run(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    try:
        yield urlunsplit(parts._replace(path=f"/{database}"))
    finally:
        run(drop)
