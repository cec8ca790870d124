"""Every door that checks a password is limited per client, and a made-up X-Forwarded-For does not
buy a fresh budget (real Daphne: the header reaches the app exactly as the attacker sent it)."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from tests.security.conftest import LOGIN_LIMIT, SIGNUP_LIMIT, form_token

pytestmark = pytest.mark.slow
EXTRA_ATTEMPTS = 3


def spoofed(n: int) -> dict:
    return {"X-Forwarded-For": f"198.51.100.{n}, 203.0.113.{n}"}


def api_login(http: httpx.Client, n: int) -> int:
    body = {"username": "nobody", "password": f"wrong-{n}"}
    return http.post("/api/v1/auth/login/", json=body, headers=spoofed(n)).status_code


def page_login(http: httpx.Client, n: int) -> int:
    """What the login page's script does: post to the endpoint its form names."""
    page = http.get("/login/")
    endpoint = re.search(r'data-endpoint="([^"]+)"', page.text).group(1)
    headers = {**spoofed(n), "X-CSRFToken": http.cookies["csrftoken"]}
    return http.post(endpoint, json={"username": "nobody", "password": f"wrong-{n}"}, headers=headers).status_code


def admin_login(http: httpx.Client, n: int) -> int:
    token = form_token(http.get("/admin/login/").text)
    form = {"csrfmiddlewaretoken": token, "username": "nobody", "password": f"wrong-{n}", "next": "/admin/"}
    return http.post("/admin/login/", data=form, headers=spoofed(n)).status_code


def signup(http: httpx.Client, n: int) -> int:
    name = f"door-{uuid.uuid4().hex[:10]}"
    body = {"username": name, "email": f"{name}@example.com", "password": "a-Long-walk-2-the-sea"}
    return http.post("/api/v1/auth/signup/", json=body, headers=spoofed(n)).status_code


@pytest.mark.parametrize(
    ("door", "limit", "before_limit"),
    [
        (api_login, LOGIN_LIMIT, 401),
        (page_login, LOGIN_LIMIT, 401),
        (admin_login, LOGIN_LIMIT, 200),  # the admin re-renders its form with an error
        (signup, SIGNUP_LIMIT, 201),
    ],
    ids=["api-login", "page-login", "admin-login", "signup"],
)
def test_rotating_x_forwarded_for_still_gets_429_after_the_limit(http, door, limit, before_limit):
    statuses = [door(http, n) for n in range(limit + EXTRA_ATTEMPTS)]
    assert statuses == [before_limit] * limit + [429] * EXTRA_ATTEMPTS


def test_every_login_door_shares_one_budget(http):
    for n in range(LOGIN_LIMIT):
        assert (api_login, page_login, admin_login)[n % 3](http, n) in (200, 401)
    assert [api_login(http, 99), admin_login(http, 99), page_login(http, 99)] == [429, 429, 429]


def test_the_admin_lockout_says_when_to_come_back(http):
    for n in range(LOGIN_LIMIT):
        admin_login(http, n)
    token = form_token(http.get("/admin/login/").text)  # the form itself still shows
    refused = http.post("/admin/login/", data={"csrfmiddlewaretoken": token, "username": "a", "password": "b"})
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
