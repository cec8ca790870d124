"""Schemathesis hooks for the live schema test (tests/gateway/test_openapi.py loads them through
SCHEMATHESIS_HOOKS; they also work for the manual run in docs/api.md).

Refresh and logout spend a refresh token, so one token for the whole run would leave every case after the
first to the 401 path. Each positive case gets a refresh token of its own from a fresh login (the account
in SPG_LIVE_USERNAME / SPG_LIVE_PASSWORD on SPG_LIVE_URL), so their success paths are checked too.
"""

from __future__ import annotations

import os

import httpx
import schemathesis
from schemathesis import GenerationMode

SPENDS_REFRESH_TOKEN = frozenset({"/api/v1/auth/refresh/", "/api/v1/auth/logout/"})


@schemathesis.hook
def before_call(context, case, **kwargs) -> None:
    meta = case.meta
    if case.operation.path not in SPENDS_REFRESH_TOKEN or meta is None or meta.generation.mode != GenerationMode.POSITIVE:
        return
    if isinstance(case.body, dict) and isinstance(case.body.get("refresh"), str):
        token = fresh_refresh_token()
        if token is not None:
            case.body["refresh"] = token


def fresh_refresh_token() -> str | None:
    """A new refresh token, or None while logins are throttled (the case keeps its generated token)."""
    credentials = {"username": os.environ["SPG_LIVE_USERNAME"], "password": os.environ["SPG_LIVE_PASSWORD"]}
    response = httpx.post(f"{os.environ['SPG_LIVE_URL']}/api/v1/auth/login/", json=credentials, timeout=10)
    if response.status_code == 429:
        return None
    response.raise_for_status()
    return response.json()["refresh"]


@schemathesis.hook
def filter_case(context, case) -> bool:
    """Positive cases keep the one request rule JSON Schema cannot state (the field's description says it):
    a playlist's ``stay`` is less than its ``length`` (default 10)."""
    meta = case.meta
    if case.operation.path != "/api/v1/playlists/" or meta is None or meta.generation.mode != GenerationMode.POSITIVE:
        return True
    body = case.body if isinstance(case.body, dict) else {}
    stay, length = body.get("stay"), body.get("length", 10)
    return not (isinstance(stay, int) and isinstance(length, int) and stay >= length)
