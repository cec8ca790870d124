"""Shared fixtures. Settings have already started the embedded Redis when REDIS_URL is unset."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache (a dedicated Redis DB index)."""
    from django.core.cache import cache

    cache.clear()
    yield
