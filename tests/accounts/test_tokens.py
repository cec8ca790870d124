"""Attacks on the access token: expired, forged, alg:none, tampered, wrong type, deleted or disabled user."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.accounts.conftest import ME_URL, alg_none_copy, assert_error, bearer, claims, expired_copy, sign

pytestmark = pytest.mark.django_db


def me(token: str):
    return Client().get(ME_URL, **bearer(token))


def test_expired_access_token_is_401_token_expired(tokens):
    assert_error(me(expired_copy(tokens["access"])), 401, "token_expired")


def test_token_signed_with_another_key_is_401(tokens):
    forged = sign(claims(tokens["access"]), key="not-our-secret-key-" * 3)
    assert_error(me(forged), 401, "token_not_valid")


def test_alg_none_token_is_401(tokens):
    assert_error(me(alg_none_copy(tokens["access"])), 401, "token_not_valid")


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_token_with_another_algorithm_is_401(tokens):
    forged = sign(claims(tokens["access"]), algorithm="HS512")
    assert_error(me(forged), 401, "token_not_valid")


def test_tampered_payload_keeps_the_old_signature_and_is_401(make_user, tokens):
    other = make_user("eve")
    header, _, signature = tokens["access"].split(".")
    import base64
    import json

    payload = {**claims(tokens["access"]), "user_id": str(other.id)}
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    assert_error(me(f"{header}.{body}.{signature}"), 401, "token_not_valid")


def test_refresh_token_is_not_an_access_token(tokens):
    assert_error(me(tokens["refresh"]), 401, "token_not_valid")


def test_token_of_a_deleted_user_is_401(tokens, user):
    get_user_model().objects.filter(pk=user.id).delete()
    assert_error(me(tokens["access"]), 401, "user_not_found")


def test_token_of_a_disabled_user_is_401(tokens, user):
    get_user_model().objects.filter(pk=user.id).update(is_active=False)
    assert_error(me(tokens["access"]), 401, "user_inactive")


@pytest.mark.parametrize(
    "payload",
    [
        {"token_type": "access", "user_id": "not-a-number"},
        {"token_type": "access", "user_id": ["1"]},
        {"token_type": "access"},
        {"token_type": "access", "user_id": "999999"},
    ],
)
def test_correctly_signed_token_with_odd_claims_is_401_not_500(user, payload):
    now = int(time.time())
    token = sign({**payload, "jti": "x", "iat": now, "exp": now + 60})
    assert_error(me(token), 401)


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer a b",
        "Bearer not.a.jwt",
        "Bearer " + "a" * 10_000,
        "Bearer <script>alert(1)</script>",
        "Bearer ' OR 1=1 --",
        "Bearer 🎧.🎧.🎧",
    ],
)
def test_garbage_authorization_headers_are_401(header):
    response = Client().get(ME_URL, HTTP_AUTHORIZATION=header.encode("utf-8").decode("latin-1"))
    assert_error(response, 401)


def test_other_authorization_schemes_are_ignored_not_crashed():
    assert_error(Client().get(ME_URL, HTTP_AUTHORIZATION="Basic YWxpY2U6cGFzcw=="), 401, "not_authenticated")


def test_invalid_cookie_falls_back_to_no_user_not_500(client, settings):
    client.cookies[settings.AUTH_COOKIE_ACCESS] = "garbage"
    assert_error(client.get(ME_URL), 401, "not_authenticated")
