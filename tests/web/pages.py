"""Helpers for the browser tests: accounts, submitting a mood, watching the job's socket."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

from playwright.sync_api import Page, WebSocket, expect

PASSWORD = "a-Long-walk-2-the-sea"


@dataclass
class Account:
    username: str
    email: str
    password: str = PASSWORD


def new_account() -> Account:
    name = f"web-{uuid.uuid4().hex[:10]}"
    return Account(username=name, email=f"{name}@example.com")


def sign_in_through_api(page: Page) -> Account:
    """Create an account and log in with the auth API; the browser context keeps the cookies."""
    account = new_account()
    created = page.request.post(
        "/api/v1/auth/signup/", data={"username": account.username, "email": account.email, "password": account.password}
    )
    assert created.status == 201, created.text()
    return log_in_through_api(page, account)


def log_in_through_api(page: Page, account: Account) -> Account:
    logged_in = page.request.post("/api/v1/auth/login/", data={"username": account.username, "password": account.password})
    assert logged_in.status == 200, logged_in.text()
    return account


@dataclass
class SocketLog:
    """Every WebSocket the page opens and every frame it receives, as the browser saw them."""

    urls: list[str] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)

    def attach(self, page: Page) -> SocketLog:
        page.on("websocket", self._opened)
        return self

    def _opened(self, socket: WebSocket) -> None:
        self.urls.append(socket.url)
        socket.on("framereceived", lambda payload: self.events.append(json.loads(payload)))

    def wait_for_events(self, page: Page, count: int, timeout_ms: int = 20_000) -> None:
        waited = 0
        while len(self.events) < count:
            assert waited < timeout_ms, f"expected {count} socket events, got {self.events}"
            page.wait_for_timeout(50)
            waited += 50

    def wait_for_sockets(self, page: Page, count: int, timeout_ms: int = 20_000) -> None:
        waited = 0
        while len(self.urls) < count:
            assert waited < timeout_ms, f"expected {count} sockets, got {self.urls}"
            page.wait_for_timeout(50)
            waited += 50


def submit_mood(page: Page, text: str, target: str = "happiness") -> None:
    page.get_by_label("In a few sentences, tell us how you feel").fill(text)
    page.locator(f"#target-{target}").check()
    page.get_by_role("button", name="Make my playlist").click()


def wait_until_finished(page: Page, status: str = "completed", timeout_ms: int = 90_000) -> None:
    expect(page.locator("#result")).to_have_attribute("data-status", status, timeout=timeout_ms)
