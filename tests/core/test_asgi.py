"""The gateway's ASGI handler (apps/core/asgi.py): requests run on long-lived lanes that keep their connection."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from channels.testing import HttpCommunicator
from django.core.handlers.asgi import ASGIHandler
from django.core.signals import request_started
from django.db import connection, connections

from apps.core.asgi import LanedASGIHandler

pytestmark = pytest.mark.django_db(transaction=True)  # the lanes' threads open their own connections


class Seen:
    """The thread each request's synchronous code started on, and when."""

    def __init__(self, hold_s: float = 0.0) -> None:
        self.hold_s = hold_s
        self.threads: list[threading.Thread] = []
        self.started: list[float] = []

    def on_started(self, **kwargs) -> None:
        self.started.append(time.monotonic())
        self.threads.append(threading.current_thread())
        time.sleep(self.hold_s)  # a slow request: it holds its thread


@pytest.fixture
def seen():
    record = Seen()
    request_started.connect(record.on_started)
    yield record
    request_started.disconnect(record.on_started)


async def _get(app, path: str = "/readyz") -> dict:
    communicator = HttpCommunicator(app, "GET", path, headers=[(b"host", b"localhost")])
    response = await communicator.get_response(timeout=10)
    await communicator.wait(timeout=10)  # until the handler has returned (its lane is free again)
    return response


async def _on_the_lane(app: LanedASGIHandler, work):
    """Run ``work`` on the one-lane handler's lane thread, once it is free."""
    free = app._free_lanes()
    lane = await free.get()
    try:
        return await asyncio.wrap_future(lane.submit(work))
    finally:
        free.put_nowait(lane)


async def test_requests_one_after_another_share_a_lane_thread_and_its_connection(seen):
    app = LanedASGIHandler(lanes=1)
    try:
        assert (await _get(app))["status"] == 200  # /readyz reads the database
        opened = await _on_the_lane(app, lambda: connection.connection)
        for _ in range(2):
            assert (await _get(app))["status"] == 200
        kept = await _on_the_lane(app, lambda: connection.connection)
    finally:
        await _on_the_lane(app, connections.close_all)  # the test database must not see it left open
    assert len(seen.threads) == 3 and all(thread is seen.threads[0] for thread in seen.threads)
    assert opened is not None and kept is opened


async def test_djangos_own_handler_makes_a_thread_per_request(seen):
    """Why the lanes exist: the stock handler runs each request on a new thread (so a new connection)."""
    app = ASGIHandler()
    for _ in range(2):
        assert (await _get(app))["status"] == 200
    assert seen.threads[0] is not seen.threads[1]


async def test_a_request_waits_for_a_free_lane(seen):
    seen.hold_s = 0.2
    app = LanedASGIHandler(lanes=1)
    try:
        responses = await asyncio.gather(*(_get(app) for _ in range(3)))
    finally:
        await _on_the_lane(app, connections.close_all)
    assert [r["status"] for r in responses] == [200, 200, 200]
    assert all(thread is seen.threads[0] for thread in seen.threads)
    gaps = [later - earlier for earlier, later in zip(seen.started, seen.started[1:], strict=False)]
    assert min(gaps) >= 0.2, gaps  # each started once the one before had let go of the lane


def test_a_handler_needs_a_lane():
    with pytest.raises(ValueError):
        LanedASGIHandler(lanes=0)


def test_the_gateway_runs_on_lanes():
    from django.conf import settings

    from config.asgi import django_asgi_app

    assert isinstance(django_asgi_app, LanedASGIHandler) and django_asgi_app.lanes == settings.ASGI_THREADS
