"""Refresh rotation through a real Daphne: two tabs at once are not a theft; a late reuse is."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.security.conftest import REFRESH_GRACE_SECONDS

pytestmark = pytest.mark.slow


def log_in(server, username: str, password: str) -> httpx.Client:
    browser = httpx.Client(base_url=server.url, timeout=20)
    assert browser.post("/api/v1/auth/login/", json={"username": username, "password": password}).status_code == 200
    return browser


def test_concurrent_refreshes_both_succeed_and_a_late_reuse_revokes_and_ends_sessions(server):
    [account] = server.create_users(1, prefix=f"refresh{time.monotonic_ns()}-")
    browser = log_in(server, *account)
    other_browser = log_in(server, *account)  # the same person on another machine
    spent = browser.cookies["spg_refresh"]
    start = threading.Barrier(2)

    def refresh() -> httpx.Response:
        start.wait()
        return httpx.post(f"{server.url}/api/v1/auth/refresh/", json={"refresh": spent}, timeout=20)

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda _: refresh(), range(2))
    assert (first.status_code, second.status_code) == (200, 200), (first.text, second.text)
    assert first.json() == second.json()  # one rotation, the same new pair for both tabs
    newest = first.json()["refresh"]

    time.sleep(REFRESH_GRACE_SECONDS + 0.5)
    reused = httpx.post(f"{server.url}/api/v1/auth/refresh/", json={"refresh": spent}, timeout=20)
    assert reused.status_code == 401 and reused.json()["error"]["code"] == "token_reused"
    assert httpx.post(f"{server.url}/api/v1/auth/refresh/", json={"refresh": newest}, timeout=20).status_code == 401
    for client in (browser, other_browser):
        client.cookies.delete("spg_access")  # what remains is the Django session
        assert client.get("/api/v1/auth/me/").status_code == 401
        client.close()
