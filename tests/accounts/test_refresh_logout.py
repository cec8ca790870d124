"""Refresh rotation, reuse detection, logout, and CSRF on everything a cookie authenticates."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.accounts.conftest import (
    LOGIN_URL,
    LOGOUT_URL,
    ME_URL,
    PASSWORD,
    REFRESH_URL,
    assert_error,
    bearer,
    claims,
    expired_copy,
)

pytestmark = pytest.mark.django_db


def post(client, url, body=None, **extra):
    return client.post(url, json.dumps(body) if body is not None else "", content_type="application/json", **extra)


def browser_login(client) -> dict:
    response = post(client, LOGIN_URL, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 200, response.content
    return response.json()


def csrf(client, settings) -> dict:
    return {"HTTP_X_CSRFTOKEN": client.cookies[settings.CSRF_COOKIE_NAME].value}


# --- Refresh ---------------------------------------------------------------------------------------


@pytest.fixture
def no_grace(settings):
    """A spent token is theft at once (the grace for concurrent refreshes is tested on its own)."""
    settings.REFRESH_GRACE_SECONDS = 0


def test_refresh_rotates_and_the_old_refresh_token_is_spent(tokens, no_grace):
    api = Client()
    response = post(api, REFRESH_URL, {"refresh": tokens["refresh"]})
    assert response.status_code == 200, response.content
    pair = response.json()
    assert set(pair) == {"access", "refresh"}
    assert pair["refresh"] != tokens["refresh"]
    assert claims(pair["refresh"])["jti"] != claims(tokens["refresh"])["jti"]
    assert api.get(ME_URL, **bearer(pair["access"])).status_code == 200

    assert_error(post(api, REFRESH_URL, {"refresh": tokens["refresh"]}), 401, "token_reused")


def test_reusing_a_spent_refresh_token_revokes_the_whole_family(tokens, no_grace):
    api = Client()
    newer = post(api, REFRESH_URL, {"refresh": tokens["refresh"]}).json()
    assert_error(post(api, REFRESH_URL, {"refresh": tokens["refresh"]}), 401, "token_reused")  # the thief
    assert_error(post(api, REFRESH_URL, {"refresh": newer["refresh"]}), 401)  # ...and the legitimate holder


def test_a_refresh_repeated_within_the_grace_gets_the_same_new_pair(tokens):
    api = Client()
    first = post(api, REFRESH_URL, {"refresh": tokens["refresh"]})
    second = post(api, REFRESH_URL, {"refresh": tokens["refresh"]})  # a second tab, a moment later
    assert first.status_code == second.status_code == 200, second.content
    assert first.json() == second.json()
    assert post(api, REFRESH_URL, {"refresh": first.json()["refresh"]}).status_code == 200  # nothing was revoked


def test_reuse_after_the_grace_also_ends_every_session_of_the_user(user, no_grace, settings):
    browser, other_browser = Client(), Client()
    spent = browser_login(browser)["refresh"]
    browser_login(other_browser)
    assert other_browser.get(ME_URL).status_code == 200
    assert post(Client(), REFRESH_URL, {"refresh": spent}).status_code == 200
    assert_error(post(Client(), REFRESH_URL, {"refresh": spent}), 401, "token_reused")
    for client in (browser, other_browser):
        client.cookies.pop(settings.AUTH_COOKIE_ACCESS)  # the access token alone lives on until it expires
        assert_error(client.get(ME_URL), 401)


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"refresh": "garbage"}, 401, "token_not_valid"),
        ({"refresh": ""}, 400, "invalid"),
        ({"refresh": 42}, 400, "invalid"),
        ({"refresh": None}, 400, "invalid"),
        ({"refresh": "x" * 5000}, 400, "invalid"),
        ({"refresh": "a\x00b"}, 400, "invalid"),
        ({"token": "x"}, 400, "invalid"),
        ({}, 401, "not_authenticated"),  # nothing in the body and no cookie: no credentials
    ],
)
def test_bad_refresh_requests(body, status, code, db):
    assert_error(post(Client(), REFRESH_URL, body), status, code)


def test_expired_refresh_token_is_401(tokens):
    assert_error(post(Client(), REFRESH_URL, {"refresh": expired_copy(tokens["refresh"])}), 401, "token_expired")


def test_access_token_cannot_be_used_to_refresh(tokens):
    assert_error(post(Client(), REFRESH_URL, {"refresh": tokens["access"]}), 401, "token_not_valid")


def test_refresh_token_of_a_deleted_user_is_401(tokens, user):
    get_user_model().objects.filter(pk=user.id).delete()
    assert_error(post(Client(), REFRESH_URL, {"refresh": tokens["refresh"]}), 401, "user_not_found")


def test_refresh_from_the_cookie_needs_csrf_and_sets_new_cookies(client, user, settings):
    first = browser_login(client)
    assert_error(post(client, REFRESH_URL), 403, "permission_denied")  # no X-CSRFToken
    response = post(client, REFRESH_URL, **csrf(client, settings))
    assert response.status_code == 200, response.content
    assert response.cookies[settings.AUTH_COOKIE_REFRESH].value == response.json()["refresh"] != first["refresh"]
    assert response.cookies[settings.AUTH_COOKIE_ACCESS].value == response.json()["access"]


# --- Logout ----------------------------------------------------------------------------------------


def test_logout_with_a_body_token_blacklists_it(tokens):
    api = Client()
    assert post(api, LOGOUT_URL, {"refresh": tokens["refresh"]}).status_code == 204
    assert_error(post(api, REFRESH_URL, {"refresh": tokens["refresh"]}), 401)


def test_logout_with_an_invalid_body_token_is_401_and_changes_nothing(client, user, settings):
    browser_login(client)
    assert_error(post(client, LOGOUT_URL, {"refresh": "forged"}), 401, "token_not_valid")
    assert client.get(ME_URL).status_code == 200  # still logged in


def test_browser_logout_needs_csrf_then_clears_cookies_session_and_refresh(client, user, settings):
    pair = browser_login(client)
    assert_error(post(client, LOGOUT_URL), 403, "permission_denied")
    assert client.get(ME_URL).status_code == 200

    response = post(client, LOGOUT_URL, **csrf(client, settings))
    assert response.status_code == 204
    for name in (settings.AUTH_COOKIE_ACCESS, settings.AUTH_COOKIE_REFRESH):
        assert response.cookies[name].value == "" and response.cookies[name]["max-age"] == 0
    assert_error(post(Client(), REFRESH_URL, {"refresh": pair["refresh"]}), 401)  # blacklisted
    # The session is gone server-side, even for a client that kept the old session cookie.
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = response.wsgi_request.COOKIES[settings.SESSION_COOKIE_NAME]
    assert_error(replay.get(ME_URL), 401)


def test_logout_without_anything_is_an_idempotent_204(db):
    assert post(Client(), LOGOUT_URL, {}).status_code == 204


# --- CSRF on cookie and session authentication ------------------------------------------------------


def test_cookie_authenticated_unsafe_request_without_csrf_is_403(client, user, settings):
    browser_login(client)
    client.cookies.pop(settings.SESSION_COOKIE_NAME)  # only the JWT cookie is left
    assert_error(post(client, ME_URL, {}), 403, "permission_denied")
    # With the token the request reaches the view (which only allows GET).
    assert_error(post(client, ME_URL, {}, **csrf(client, settings)), 405)


def test_session_authenticated_unsafe_request_without_csrf_is_403(client, user, settings):
    browser_login(client)
    client.cookies.pop(settings.AUTH_COOKIE_ACCESS)
    assert_error(post(client, ME_URL, {}), 403, "permission_denied")


def test_bearer_requests_need_no_csrf(tokens):
    assert_error(post(Client(enforce_csrf_checks=True), ME_URL, {}, **bearer(tokens["access"])), 405)


def test_expired_access_cookie_falls_back_to_the_session(client, user, settings):
    pair = browser_login(client)
    client.cookies[settings.AUTH_COOKIE_ACCESS] = expired_copy(pair["access"])
    assert client.get(ME_URL).json()["username"] == "alice"


def test_failed_cookie_refresh_clears_the_auth_cookies(client, user, settings):
    browser_login(client)
    client.cookies[settings.AUTH_COOKIE_REFRESH] = "forged"
    response = post(client, REFRESH_URL, **csrf(client, settings))
    assert_error(response, 401, "token_not_valid")
    assert response.cookies[settings.AUTH_COOKIE_ACCESS].value == ""
    assert response.cookies[settings.AUTH_COOKIE_REFRESH].value == ""
