"""Scoped throttles: login, signup and job creation answer 429 with Retry-After in the error envelope."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from tests.accounts.conftest import LOGIN_URL, PASSWORD, SIGNUP_URL, assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    def set_rates(**scopes):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **scopes},
        }

    return set_rates


def login(client, password=PASSWORD, **extra):
    body = json.dumps({"username": "alice", "password": password})
    return client.post(LOGIN_URL, body, content_type="application/json", **extra)


def test_default_rates_are_configured_for_every_scope(settings):
    configured = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert {"login", "signup", "job_create"} <= set(configured)
    assert all(configured[scope] for scope in ("login", "signup", "job_create"))


def test_login_is_throttled_with_retry_after(user, rates):
    rates(login="3/minute")
    client = Client()
    statuses = [login(client, password="wrong").status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    response = login(client)  # even the right password waits now
    error = assert_error(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60
    assert "throttled" in error["message"].lower()


def test_spoofed_x_forwarded_for_does_not_reset_the_limit(user, rates):
    rates(login="2/minute")
    client = Client()
    for n in range(2):
        login(client, password="wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    assert_error(login(client, HTTP_X_FORWARDED_FOR="10.0.0.99"), 429)


def test_another_client_address_has_its_own_budget(user, rates):
    rates(login="1/minute")
    assert login(Client(REMOTE_ADDR="10.1.1.1")).status_code == 200
    assert_error(login(Client(REMOTE_ADDR="10.1.1.1")), 429)
    assert login(Client(REMOTE_ADDR="10.1.1.2")).status_code == 200


def test_signup_is_throttled(rates):
    rates(signup="2/hour")
    client = Client()
    for n in range(2):
        body = json.dumps({"username": f"u{n}", "email": f"u{n}@example.com", "password": PASSWORD})
        assert client.post(SIGNUP_URL, body, content_type="application/json").status_code == 201
    body = json.dumps({"username": "u9", "email": "u9@example.com", "password": PASSWORD})
    response = client.post(SIGNUP_URL, body, content_type="application/json")
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


class JobsLikeView(APIView):
    """Stands in for the jobs endpoint: GET lists, POST creates, one throttle scope."""

    permission_classes: list = []
    authentication_classes: list = []
    throttle_scope = "job_create"

    def get(self, request):
        return Response({"ok": True})

    def post(self, request):
        return Response({"created": True}, status=201)


def test_job_create_scope_counts_only_writes(rates):
    rates(job_create="2/minute")
    view = JobsLikeView.as_view()
    factory = APIRequestFactory()
    assert [view(factory.get("/x")).status_code for _ in range(5)] == [200] * 5
    assert [view(factory.post("/x", {}, format="json")).status_code for _ in range(3)] == [201, 201, 429]
    assert view(factory.get("/x")).status_code == 200


def test_throttling_fails_open_when_the_cache_is_down(user, rates, settings):
    rates(login="1/minute")
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {**settings.CACHES["default"]["OPTIONS"], "SOCKET_CONNECT_TIMEOUT": 0.2},
        }
    }
    client = Client()
    assert [login(client).status_code for _ in range(3)] == [200, 200, 200]


def test_a_throttle_check_is_one_redis_round_trip(rates, monkeypatch):
    """Check and record in one atomic script call (DRF's own throttle GETs the history, then SETs it)."""
    import redis

    rates(job_create="2/minute")
    view = JobsLikeView.as_view()
    request = APIRequestFactory().post("/x", {}, format="json", REMOTE_ADDR="10.9.9.9")
    commands: list[str] = []
    real = redis.Redis.execute_command
    monkeypatch.setattr(redis.Redis, "execute_command", lambda self, *args, **kw: commands.append(args[0]) or real(self, *args, **kw))
    assert view(request).status_code == 201
    assert commands == ["EVALSHA"]
    assert [view(request).status_code for _ in range(2)] == [201, 429]
    assert len(commands) == 3


def test_the_wait_counts_from_the_oldest_request_in_the_window(rates, monkeypatch):
    from apps.accounts import throttles

    rates(job_create="2/minute")
    clock = iter([1000.0, 1030.0, 1045.0])
    monkeypatch.setattr(throttles.ScopedWriteThrottle, "timer", lambda self: next(clock))
    view = JobsLikeView.as_view()
    request = APIRequestFactory().post("/x", {}, format="json", REMOTE_ADDR="10.9.9.8")
    assert [view(request).status_code for _ in range(2)] == [201, 201]
    response = view(request)  # at 1045 s: the first request (1000 s) leaves the window at 1060 s
    assert response.status_code == 429 and response["Retry-After"] == "15"
