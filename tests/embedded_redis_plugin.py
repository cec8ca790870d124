"""pytest plugin (``-p`` in pyproject): DJANGO_ENV=local, and the session's embedded redis-server when REDIS_URL is unset.

It must run before pytest-django loads settings (in this same hook), so it is a plugin rather than a
conftest: conftests load after that. The server's URL is exported as REDIS_URL, so settings and every
process the tests spawn share it; it stops when the session's process exits.
"""

from __future__ import annotations

import os

import pytest

from apps.core.embedded_redis import ensure_redis_url


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    # The test session is a development machine (settings are the production profile otherwise);
    # processes the tests spawn inherit it.
    os.environ.setdefault("DJANGO_ENV", "local")
    ensure_redis_url()
