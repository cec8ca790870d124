"""Fixtures for the accounts tests: HTTP clients, users made through the public API, token forging."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest
from django.conf import settings
from django.test import Client

from apps.accounts import api as accounts

PASSWORD = "correct horse battery staple 42"
SIGNUP_URL = "/api/v1/auth/signup/"
LOGIN_URL = "/api/v1/auth/login/"
REFRESH_URL = "/api/v1/auth/refresh/"
LOGOUT_URL = "/api/v1/auth/logout/"
ME_URL = "/api/v1/auth/me/"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2's million rounds cost ~0.3 s per login on this machine; hashing strength is not under test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def client():
    """A browser-like client that enforces CSRF like production (Django's default client skips it)."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def make_user(db):
    def make(username: str | None = None, password: str = PASSWORD, email: str | None = None):
        username = username or f"user_{uuid.uuid4().hex[:10]}"
        return accounts.signup(username, email or f"{username}@example.com", password)

    return make


@pytest.fixture
def user(make_user):
    return make_user("alice")


@pytest.fixture
def tokens(user):
    """A fresh pair for ``user``, obtained through the login endpoint."""
    response = Client().post(LOGIN_URL, {"username": "alice", "password": PASSWORD}, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def sign(payload: dict, key: str | None = None, algorithm: str = "HS256") -> str:
    """A token with any payload, signed with our key unless another one is given."""
    return jwt.encode(payload, key or settings.SIMPLE_JWT["SIGNING_KEY"], algorithm=algorithm)


def expired_copy(token: str) -> str:
    """The same token, correctly signed, but expired an hour ago."""
    payload = claims(token)
    payload["iat"] = int(time.time()) - 7200
    payload["exp"] = int(time.time()) - 3600
    return sign(payload)


def alg_none_copy(token: str) -> str:
    """The same claims with ``alg: none`` and no signature (the classic forgery)."""
    return jwt.encode(claims(token), None, algorithm="none")


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str)
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]
