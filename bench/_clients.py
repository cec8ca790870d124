"""Simulated browsers for the benchmark and the chaos tests (asyncio + httpx + websockets).

A client logs in (``POST /api/v1/auth/login/``), then for each job: ``POST /api/v1/playlists/``
(Bearer token) and either follows the job's WebSocket (push: subprotocol ``bearer.<jwt>``, the
page's Origin) or GETs its status URL every 500 ms (poll, as the original project did).

The push client behaves like the web page: it drops events with ``seq`` <= the last one seen and,
when the socket drops before the terminal event (Daphne restarted, Redis restarted), reconnects
with ``?last_seq=N`` after a short backoff. A socket silent for ``stale_s`` is resubscribed too.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

TERMINAL = ("completed", "failed")
POLL_INTERVAL_S = 0.5


@dataclass
class JobOutcome:
    """What one client saw of one job."""

    job_id: str | None = None
    post_status: int | None = None
    post_ms: float | None = None  # POST sent -> 202 (or error) received
    done_ms: float | None = None  # POST sent -> terminal event (or terminal poll answer)
    status: str | None = None  # completed | failed | None (never saw an end)
    error_kind: str | None = None
    error_body: dict | None = None
    http_requests: int = 0  # plain HTTP requests this job cost (POST + polls)
    ws_connects: int = 0  # WebSocket handshakes (each is one HTTP upgrade)
    terminal_events: int = 0  # terminal events received (must be exactly 1 with push)
    events: list[dict] = field(default_factory=list)  # (type, seq) of every event received
    started: float = field(default=0.0, repr=False)  # perf_counter() when the POST was sent


class Browser:
    """One logged-in user with its own HTTP connection (keep-alive), like one browser tab."""

    def __init__(self, base_url: str, username: str, password: str, *, timeout: float = 30.0):
        self.base_url = base_url
        self.username, self.password = username, password
        self.http = httpx.AsyncClient(base_url=base_url, timeout=timeout)
        self.access: str | None = None

    async def login(self) -> None:
        response = await self.http.post("/api/v1/auth/login/", json={"username": self.username, "password": self.password})
        response.raise_for_status()
        self.access = response.json()["access"]
        self.http.cookies.clear()  # an API client: the Bearer token only (no CSRF-bound cookies)

    async def close(self) -> None:
        await self.http.aclose()

    @property
    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.access}"}

    async def post_job(self, job: dict, outcome: JobOutcome) -> dict | None:
        started = outcome.started = time.perf_counter()
        outcome.http_requests += 1
        try:
            response = await self.http.post("/api/v1/playlists/", json=job, headers=self.auth)
        except httpx.HTTPError as error:
            outcome.post_ms = (time.perf_counter() - started) * 1000
            outcome.error_kind = f"post:{type(error).__name__}"
            return None
        outcome.post_ms = (time.perf_counter() - started) * 1000
        outcome.post_status = response.status_code
        if response.status_code != 202:
            outcome.error_kind = f"post:http_{response.status_code}"
            try:
                outcome.error_body = response.json()
            except ValueError:
                outcome.error_body = {"raw": response.text[:200]}
            return None
        accepted = response.json()
        outcome.job_id = accepted["job_id"]
        return accepted

    def _finish(self, outcome: JobOutcome, status: str) -> None:
        outcome.status = status
        outcome.done_ms = (time.perf_counter() - outcome.started) * 1000

    async def follow_socket(self, ws_url: str, outcome: JobOutcome, *, deadline_s: float = 120.0, stale_s: float = 15.0) -> None:
        """Receive events until the terminal one, reconnecting with last_seq when the socket drops."""
        last_seq = -1
        give_up = time.monotonic() + deadline_s
        backoff = 0.1
        while time.monotonic() < give_up:
            url = ws_url if last_seq < 0 else f"{ws_url}?last_seq={last_seq}"
            try:
                async with connect(
                    url, origin=self.base_url, subprotocols=[f"bearer.{self.access}"], open_timeout=10, close_timeout=2
                ) as socket:
                    outcome.ws_connects += 1
                    backoff = 0.1
                    while True:
                        raw = await asyncio.wait_for(socket.recv(), timeout=stale_s)
                        event = json.loads(raw)
                        outcome.events.append({"type": event.get("type"), "seq": event.get("seq")})
                        if event.get("seq", -1) <= last_seq:
                            continue  # a duplicate: dropped, as the page does
                        last_seq = event["seq"]
                        if event.get("status") in TERMINAL:
                            outcome.terminal_events += 1
                            self._finish(outcome, event["status"])
                            return
            except ConnectionClosed as closed:
                code = closed.rcvd.code if closed.rcvd else None
                if code in (4401, 4404):
                    outcome.error_kind = f"ws:close_{code}"
                    return
            except (TimeoutError, OSError, InvalidHandshake, InvalidStatus):
                pass  # stale, refused or mid-restart: reconnect below
            outcome.events.append({"type": "reconnect", "seq": last_seq})
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 1.0)
        outcome.error_kind = outcome.error_kind or "ws:no_terminal_event"

    async def poll_status(self, status_url: str, outcome: JobOutcome, *, deadline_s: float = 120.0) -> None:
        give_up = time.monotonic() + deadline_s
        while time.monotonic() < give_up:
            await asyncio.sleep(POLL_INTERVAL_S)
            outcome.http_requests += 1
            try:
                response = await self.http.get(status_url, headers=self.auth)
            except httpx.HTTPError:
                continue
            if response.status_code == 200 and response.json()["status"] in TERMINAL:
                self._finish(outcome, response.json()["status"])
                return
        outcome.error_kind = "poll:no_terminal_state"

    async def run_job(
        self, job: dict, *, mode: str = "push", deadline_s: float = 120.0, outcome: JobOutcome | None = None
    ) -> JobOutcome:
        """POST the job and follow it to its end; ``outcome`` (optional) is filled in as things happen."""
        outcome = outcome if outcome is not None else JobOutcome()
        accepted = await self.post_job(job, outcome)
        if accepted is None:
            return outcome
        if mode == "push":
            await self.follow_socket(accepted["ws_url"], outcome, deadline_s=deadline_s)
        else:
            await self.poll_status(accepted["status_url"], outcome, deadline_s=deadline_s)
        return outcome


async def login_all(base_url: str, users: list[tuple[str, str]]) -> list[Browser]:
    browsers = [Browser(base_url, name, password) for name, password in users]
    for browser in browsers:  # one by one: each login hashes a password (CPU-bound on the server)
        await browser.login()
    return browsers


async def drive(browsers: list[Browser], jobs: list[dict], *, mode: str = "push", deadline_s: float = 120.0) -> list[JobOutcome]:
    """Closed loop: each browser takes the next job, runs it to the end, takes another."""
    queue: asyncio.Queue = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    outcomes: list[JobOutcome] = []

    async def browse(browser: Browser) -> None:
        while True:
            try:
                job = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            outcomes.append(await browser.run_job(job, mode=mode, deadline_s=deadline_s))

    await asyncio.gather(*(browse(browser) for browser in browsers))
    return outcomes
