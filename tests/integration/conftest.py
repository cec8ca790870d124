"""A real Celery worker (a thread, solo pool, every service queue) and WebSocket helpers.

Tests using these run with ``@pytest.mark.django_db(transaction=True)``: the worker thread
commits through its own connection, so the test must see committed data.
"""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from celery.contrib.testing.worker import start_worker
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections
from django.test import Client

from config.asgi import application
from config.celery import app as celery_app

QUEUES = ("gateway", "emotion", "music", "storage")


def purge_queues() -> None:
    """Drop messages left in the broker by earlier tests (e.g. jobs created without a worker)."""
    with celery_app.connection_for_write() as connection:
        channel = connection.default_channel
        for queue in QUEUES:
            channel.queue_purge(queue)


@pytest.fixture(scope="module")
def celery_worker(django_db_setup):
    # The worker thread's own DB connection must not outlive a task (PostgreSQL's CONN_MAX_AGE keeps
    # it open, and the test database then cannot be dropped at the end of the session).
    database = connections.settings[DEFAULT_DB_ALIAS]
    saved_max_age = database.get("CONN_MAX_AGE", 0)
    database["CONN_MAX_AGE"] = 0
    purge_queues()
    try:
        with start_worker(
            celery_app, pool="solo", concurrency=1, queues=list(QUEUES), perform_ping_check=False, shutdown_timeout=30
        ) as worker:
            yield worker
    finally:
        database["CONN_MAX_AGE"] = saved_max_age


@pytest.fixture
async def channel_layer():
    layer = get_channel_layer()
    yield layer
    await layer.flush()
    # ORM calls from async code ran on asgiref's executor thread: close its connection too, or
    # PostgreSQL refuses to drop the test database at the end ("accessed by other users").
    await sync_to_async(connections.close_all)()


def make_user(username: str):
    return get_user_model().objects.create_user(username=username, email=f"{username}@example.com", password="S3cret-pass-123")


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


async def open_job_socket(job_id: str, user=None, query: str = "") -> tuple[WebsocketCommunicator, bool]:
    headers = [(b"origin", b"http://testserver")]
    if user is not None:
        cookie = await sync_to_async(session_cookie)(user)
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    path = f"/ws/jobs/{job_id}/" + (f"?{query}" if query else "")
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect(timeout=10)
    return communicator, connected


async def receive_until_closed(communicator: WebsocketCommunicator, timeout: float = 60) -> tuple[list[dict], int | None]:
    """Every event until the server closes the socket, and the close code."""
    events: list[dict] = []
    while True:
        message = await communicator.receive_output(timeout)
        if message["type"] == "websocket.close":
            return events, message.get("code")
        events.append(json.loads(message["text"]))


@pytest.fixture(autouse=True)
def starter_catalog(request):
    """Playlists need songs: load the shipped starter catalog (the DB is emptied after each test)."""
    if request.node.get_closest_marker("django_db") is None:
        yield
        return
    request.getfixturevalue("transactional_db")
    from apps.music import api as music_api

    music_api.load_starter_catalog()
    yield
