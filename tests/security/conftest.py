"""A real Daphne (bench/_stack.py, no worker) for the security tests: requests go through the server
that production runs, not Django's test client, so headers such as X-Forwarded-For arrive as sent."""

from __future__ import annotations

import re

import httpx
import pytest

from bench._stack import Stack

LOGIN_LIMIT = 5
SIGNUP_LIMIT = 3
METRICS_TOKEN = "scrape-secret-0123456789"
REFRESH_GRACE_SECONDS = 2


@pytest.fixture(scope="module")
def daphne():
    extra_env = {
        "THROTTLE_LOGIN_RATE": f"{LOGIN_LIMIT}/minute",
        "THROTTLE_SIGNUP_RATE": f"{SIGNUP_LIMIT}/minute",
        "METRICS_TOKEN": METRICS_TOKEN,
        "METRICS_ALLOWED_NETWORKS": "",  # not even loopback: the token is the only way in
        "JWT_REFRESH_GRACE_SECONDS": str(REFRESH_GRACE_SECONDS),
    }
    with Stack(workers=0, with_beat=False, extra_env=extra_env) as stack:
        yield stack


@pytest.fixture
def server(daphne) -> Stack:
    """The module's Daphne with fresh throttle budgets (every test comes from 127.0.0.1)."""
    daphne.flush_cache()
    return daphne


@pytest.fixture
def http(server):
    with httpx.Client(base_url=server.url, timeout=20) as client:
        yield client


def form_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF token in the form"
    return match.group(1)
