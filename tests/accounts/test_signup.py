"""POST /api/v1/auth/signup/: the happy path, every kind of bad input answering 400 and a taken username or
email 409, with no user created."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from tests.accounts.conftest import PASSWORD, SIGNUP_URL, assert_error

pytestmark = pytest.mark.django_db


def signup(client, body, **extra):
    return client.post(SIGNUP_URL, json.dumps(body), content_type="application/json", **extra)


def user_count() -> int:
    return get_user_model().objects.count()


def test_signup_creates_user_and_never_echoes_password(client):
    response = signup(client, {"username": "Zoë_42", "email": "zoe@Example.COM", "password": PASSWORD})

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "username", "email", "is_staff", "date_joined"}
    assert body["username"] == "Zoë_42"
    assert body["email"] == "zoe@example.com"  # the domain is normalised
    assert body["is_staff"] is False
    assert PASSWORD not in response.content.decode()
    stored = get_user_model().objects.get(pk=body["id"])
    assert stored.check_password(PASSWORD) and stored.password != PASSWORD


@pytest.mark.parametrize(
    "body, field",
    [
        ({"username": "ALICE", "email": "other@example.com", "password": PASSWORD}, "username"),
        ({"username": "bob", "email": "ALICE@example.com", "password": PASSWORD}, "email"),
    ],
)
def test_duplicates_ignoring_case_are_conflicts_with_field_messages(client, user, body, field):
    before = user_count()
    error = assert_error(signup(client, body), 409, "conflict")
    assert "already exists" in error["fields"][field][0]
    assert user_count() == before


def test_a_taken_username_with_a_common_password_is_a_400_naming_both(client, user):
    error = assert_error(signup(client, {"username": "alice", "email": "new@example.com", "password": "password123"}), 400, "invalid")
    assert set(error["fields"]) == {"username", "password"}


@pytest.mark.parametrize(
    "password, fragment",
    [
        ("short1!", "too short"),
        ("password123", "too common"),
        ("84937261504", "entirely numeric"),
        ("carolineexample", "too similar"),
    ],
)
def test_weak_passwords_are_refused_with_the_validators_message(client, password, fragment):
    body = {"username": "caroline", "email": "caroline@example.com", "password": password}
    error = assert_error(signup(client, body), 400, "invalid")
    assert any(fragment in message for message in error["fields"]["password"]), error
    assert user_count() == 0


GOOD = {"username": "dave", "email": "dave@example.com", "password": PASSWORD}


@pytest.mark.parametrize(
    "body, bad_field",
    [
        ({"email": "dave@example.com", "password": PASSWORD}, "username"),  # missing
        ({"username": "dave", "password": PASSWORD}, "email"),
        ({"username": "dave", "email": "dave@example.com"}, "password"),
        ({**GOOD, "is_staff": True}, "is_staff"),  # extra (and an escalation attempt)
        ({**GOOD, "is_superuser": True}, "is_superuser"),
        ({**GOOD, "username": 12345}, "username"),  # wrong types
        ({**GOOD, "username": None}, "username"),
        ({**GOOD, "username": ["dave"]}, "username"),
        ({**GOOD, "email": {"a": 1}}, "email"),
        ({**GOOD, "password": 123456789012}, "password"),
        ({**GOOD, "password": True}, "password"),
        ({**GOOD, "username": ""}, "username"),  # blank
        ({**GOOD, "username": "   "}, "username"),
        ({**GOOD, "username": "d" * 151}, "username"),  # very long
        ({**GOOD, "username": "d" * 100_000}, "username"),
        ({**GOOD, "email": "x" * 300 + "@example.com"}, "email"),
        ({**GOOD, "password": "p" * 10_000}, "password"),
        ({**GOOD, "username": "dave🎧"}, "username"),  # emoji are not username characters
        ({**GOOD, "username": "da\x00ve"}, "username"),  # NUL bytes
        ({**GOOD, "email": "dave\x00@example.com"}, "email"),
        ({**GOOD, "password": PASSWORD + "\x00"}, "password"),
        ({**GOOD, "username": "<script>alert(1)</script>"}, "username"),  # HTML
        ({**GOOD, "username": "x' OR '1'='1"}, "username"),  # SQL-looking
        ({**GOOD, "username": "robert'); DROP TABLE accounts_user;--"}, "username"),
        ({**GOOD, "email": "not-an-email"}, "email"),
    ],
)
def test_bad_fields_answer_400_naming_the_field_and_create_nothing(client, body, bad_field):
    error = assert_error(signup(client, body), 400, "invalid")
    assert bad_field in error["fields"], error
    assert user_count() == 0


@pytest.mark.parametrize("raw", ["[]", '"dave"', "42", "null", '{"username": ', "\x00", "{}"])
def test_bodies_that_are_not_an_object_answer_400(client, raw):
    response = client.post(SIGNUP_URL, raw, content_type="application/json")
    assert_error(response, 400)
    assert user_count() == 0


def test_form_posts_are_refused_so_a_cross_site_form_cannot_sign_up(client):
    response = client.post(SIGNUP_URL, GOOD)  # multipart, as an HTML form would send
    assert_error(response, 415, "unsupported_media_type")
    response = client.post(SIGNUP_URL, "username=dave", content_type="application/x-www-form-urlencoded")
    assert_error(response, 415)
    assert user_count() == 0


def test_unicode_letters_and_sql_looking_passwords_are_stored_verbatim(client):
    password = "' OR 1=1; -- ünïcødé 🎵"
    response = signup(client, {"username": "Ñandú.ü", "email": "nandu@example.com", "password": password})
    assert response.status_code == 201, response.content
    login = client.post(
        "/api/v1/auth/login/", {"username": "Ñandú.ü", "password": password}, content_type="application/json"
    )
    assert login.status_code == 200, login.content


def test_html_in_an_email_is_stored_as_text_and_escaped_in_html_output(client):
    email = '"<script>alert(1)</script>"@example.com'  # a valid (quoted) address
    response = signup(client, {"username": "mallory", "email": email, "password": PASSWORD})
    assert response.status_code == 201, response.content
    assert response.json()["email"] == email  # JSON carries it as text

    login = client.post(
        "/api/v1/auth/login/", {"username": "mallory", "password": PASSWORD}, content_type="application/json"
    )
    page = client.get("/api/v1/auth/me/", HTTP_ACCEPT="text/html")  # the browsable API, via the session
    assert page.status_code == 200 and login.status_code == 200
    html = page.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
