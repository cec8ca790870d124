"""POST /api/v1/auth/login/ and GET /api/v1/auth/me/: cookies, session, bearer, and credential errors."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.accounts.conftest import LOGIN_URL, ME_URL, PASSWORD, assert_error, bearer, claims

pytestmark = pytest.mark.django_db


def login(client, body):
    return client.post(LOGIN_URL, json.dumps(body), content_type="application/json")


def test_login_returns_tokens_user_and_sets_httponly_cookies_and_session(client, user, settings):
    response = login(client, {"username": "alice", "password": PASSWORD})

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"access", "refresh", "user"}
    assert body["user"]["username"] == "alice" and body["user"]["id"] == user.id
    assert claims(body["access"])["token_type"] == "access"
    assert claims(body["refresh"])["token_type"] == "refresh"
    assert claims(body["access"])["user_id"] == str(user.id)

    access = response.cookies[settings.AUTH_COOKIE_ACCESS]
    refresh = response.cookies[settings.AUTH_COOKIE_REFRESH]
    assert access.value == body["access"] and refresh.value == body["refresh"]
    for cookie in (access, refresh):
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"
        assert not cookie["secure"]  # local profile; production sets Secure (see the next test)
    assert access["path"] == "/"
    assert refresh["path"] == "/api/v1/auth/"  # the refresh token only travels to the auth endpoints
    assert response.cookies[settings.SESSION_COOKIE_NAME].value  # a Django session too
    assert response.cookies[settings.CSRF_COOKIE_NAME].value  # rotated at login, readable by the page's JS

    session_only = Client(enforce_csrf_checks=True)
    session_only.cookies[settings.SESSION_COOKIE_NAME] = response.cookies[settings.SESSION_COOKIE_NAME].value
    assert session_only.get(ME_URL).json()["username"] == "alice"
    cookie_only = Client(enforce_csrf_checks=True)
    cookie_only.cookies[settings.AUTH_COOKIE_ACCESS] = access.value
    assert cookie_only.get(ME_URL).json()["username"] == "alice"


def test_cookies_are_secure_when_configured(client, user, settings):
    settings.AUTH_COOKIE_SECURE = True
    response = login(client, {"username": "alice", "password": PASSWORD})
    assert response.cookies[settings.AUTH_COOKIE_ACCESS]["secure"] is True
    assert response.cookies[settings.AUTH_COOKIE_REFRESH]["secure"] is True


def test_username_is_matched_ignoring_case(client, user):
    assert login(client, {"username": "ALICE", "password": PASSWORD}).status_code == 200


def test_bearer_token_authenticates_me(tokens):
    response = Client().get(ME_URL, **bearer(tokens["access"]))
    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_me_without_credentials_is_401_with_www_authenticate(client):
    response = client.get(ME_URL)
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "body",
    [
        {"username": "alice", "password": "wrong password"},
        {"username": "nobody", "password": PASSWORD},
        {"username": "alice' OR '1'='1", "password": "' OR '1'='1"},
        {"username": "alice", "password": PASSWORD.upper()},
        {"username": "<script>", "password": "x"},
        {"username": "ålîçé🎧", "password": "🎧"},
    ],
)
def test_wrong_credentials_are_401_with_one_message_and_no_cookies(client, user, body, settings):
    response = login(client, body)
    error = assert_error(response, 401, "invalid_credentials")
    assert error["message"] == "No active account found with the given credentials."
    assert settings.AUTH_COOKIE_ACCESS not in response.cookies
    assert settings.SESSION_COOKIE_NAME not in response.cookies


def test_inactive_user_cannot_log_in(client, user):
    get_user_model().objects.filter(pk=user.id).update(is_active=False)
    assert_error(login(client, {"username": "alice", "password": PASSWORD}), 401, "invalid_credentials")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"password": PASSWORD}, "username"),
        ({"username": "alice"}, "password"),
        ({"username": "alice", "password": PASSWORD, "remember": True}, "remember"),
        ({"username": 1, "password": PASSWORD}, "username"),
        ({"username": "alice", "password": None}, "password"),
        ({"username": "alice", "password": ["x"]}, "password"),
        ({"username": "a" * 151, "password": PASSWORD}, "username"),
        ({"username": "alice", "password": "p" * 257}, "password"),
        ({"username": "ali\x00ce", "password": PASSWORD}, "username"),
        ({"username": "alice", "password": "pass\x00word"}, "password"),
    ],
)
def test_malformed_login_is_400_naming_the_field(client, user, body, field):
    error = assert_error(login(client, body), 400, "invalid")
    assert field in error["fields"]


def test_me_escapes_nothing_in_json_and_never_shows_the_password(tokens):
    body = Client().get(ME_URL, **bearer(tokens["access"])).json()
    assert set(body) == {"id", "username", "email", "is_staff", "date_joined"}
