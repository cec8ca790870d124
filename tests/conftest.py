"""Shared fixtures. Settings have already started the embedded Redis when REDIS_URL is unset."""

from __future__ import annotations

import pytest


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
