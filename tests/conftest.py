"""Shared test configuration. The embedded Redis (when REDIS_URL is unset) comes from tests/embedded_redis_plugin.py."""

from __future__ import annotations

import os
import tempfile

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """SQLite tests use a file (WAL + busy timeout) instead of shared-cache memory, one per test process.

    The Celery worker thread and the test write concurrently, and shared-cache table locks fail at once
    ("database table is locked") where a file database waits.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    test = database.setdefault("TEST", {})
    if database["ENGINE"].endswith("sqlite3") and not test.get("NAME"):
        test["NAME"] = os.path.join(tempfile.gettempdir(), f"spg-test-{os.getpid()}.sqlite3")


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache (a dedicated Redis DB index)."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """Each test gets its own channel-layer instance.

    pytest-asyncio gives every test a new event loop, but a channels-redis layer keeps asyncio
    locks bound to the loop that first used them; one shared across tests fails with "bound to
    a different event loop" once a consumer was cancelled while holding its receive lock.
    """
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(scope="session")
def daphne_server(tmp_path_factory):
    """Daphne alone (no Celery worker) on a fresh database of its own, production-like (DEBUG off), with
    generous login/signup throttles. Jobs posted to it are queued and stay queued."""
    from tests.live_server import (
        GENEROUS_THROTTLES,
        REPO,
        LiveServer,
        daphne,
        live_database,
        prepare_database,
        server_env,
    )

    home = tmp_path_factory.mktemp("daphne")
    logs = REPO / "test-artifacts" / "daphne"
    logs.mkdir(parents=True, exist_ok=True)
    with live_database(home, "daphne") as database_url:
        env = server_env(home, database_url, redis_db_base=13, **GENEROUS_THROTTLES, THROTTLE_JOB_CREATE_RATE="100000/minute")
        prepare_database(env)
        with daphne(env, logs / "daphne.log") as (url, _):
            yield LiveServer(url=url, env=env, log=logs / "daphne.log")
