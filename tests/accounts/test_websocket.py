"""WebSocket authentication through the real ASGI application (config.asgi) and a real communicator.

A tiny consumer of our own is routed for the test: it reports what the auth middleware put in the
scope, and closes with 4401 (after accepting) when nobody is authenticated, as the job consumer does.
"""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections
from django.test import Client
from django.urls import path

from apps.accounts import api as accounts
from tests.accounts.conftest import LOGIN_URL, PASSWORD, alg_none_copy, claims, expired_copy, sign

pytestmark = pytest.mark.django_db(transaction=True)
WHOAMI = "/ws/test-whoami/"
ORIGIN = (b"origin", b"http://testserver")


class WhoAmIConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        await self.accept(subprotocol=accounts.accepted_subprotocol(self.scope))
        user_id = accounts.websocket_user_id(self.scope)
        if user_id is None:
            await self.send_json({"auth_error": self.scope["auth_error"]})
            await self.close(code=accounts.WS_CLOSE_UNAUTHENTICATED)
            return
        await self.send_json(
            {
                "user_id": user_id,
                "source": self.scope.get("auth_source"),
                "expires_at": accounts.websocket_token_expires_at(self.scope),
            }
        )


@pytest.fixture
async def application():
    from apps.gateway import routing
    from config.asgi import application

    route = path(WHOAMI.strip("/") + "/", WhoAmIConsumer.as_asgi())
    routing.websocket_urlpatterns.append(route)  # URLRouter holds this very list
    yield application
    routing.websocket_urlpatterns.remove(route)
    # The ORM ran on asgiref's worker thread; close its connection (CONN_MAX_AGE keeps it open on PostgreSQL).
    await sync_to_async(connections.close_all)()


@pytest.fixture
def alice(db):
    return accounts.signup("alice", "alice@example.com", PASSWORD)


def _login() -> Client:
    client = Client()
    response = client.post(LOGIN_URL, {"username": "alice", "password": PASSWORD}, content_type="application/json")
    assert response.status_code == 200, response.content
    return client


async def login() -> Client:
    return await sync_to_async(_login)()


async def connect(application, subprotocols=None, cookies: dict | None = None, origin=ORIGIN):
    headers = [origin] if origin else []
    if cookies:
        headers.append((b"cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()))
    communicator = WebsocketCommunicator(application, WHOAMI, headers=headers, subprotocols=subprotocols)
    connected, subprotocol = await communicator.connect()
    return communicator, connected, subprotocol


async def expect_refused(communicator, auth_error):
    assert await communicator.receive_json_from() == {"auth_error": auth_error}
    assert await communicator.receive_output() == {"type": "websocket.close", "code": 4401}
    await communicator.disconnect()


async def test_bearer_subprotocol_authenticates_and_is_echoed(application, alice):
    access = (await login()).cookies[settings.AUTH_COOKIE_ACCESS].value
    protocol = f"bearer.{access}"
    communicator, connected, subprotocol = await connect(application, subprotocols=[protocol])
    assert connected and subprotocol == protocol  # browsers fail the handshake otherwise
    message = await communicator.receive_json_from()
    assert message == {"user_id": alice.id, "source": "subprotocol", "expires_at": claims(access)["exp"]}
    await communicator.disconnect()


async def test_access_cookie_authenticates(application, alice):
    client = await login()
    cookies = {settings.AUTH_COOKIE_ACCESS: client.cookies[settings.AUTH_COOKIE_ACCESS].value}
    communicator, connected, subprotocol = await connect(application, cookies=cookies)
    assert connected and subprotocol is None
    assert (await communicator.receive_json_from())["user_id"] == alice.id
    await communicator.disconnect()


async def test_django_session_authenticates(application, alice):
    client = await login()
    cookies = {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}
    communicator, connected, _ = await connect(application, cookies=cookies)
    assert connected
    message = await communicator.receive_json_from()
    assert message["user_id"] == alice.id and message["source"] is None  # no token: the session decided
    await communicator.disconnect()


async def test_expired_cookie_with_a_live_session_keeps_the_session_user(application, alice):
    client = await login()
    cookies = {
        settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
        settings.AUTH_COOKIE_ACCESS: expired_copy(client.cookies[settings.AUTH_COOKIE_ACCESS].value),
    }
    communicator, connected, _ = await connect(application, cookies=cookies)
    assert connected and (await communicator.receive_json_from())["user_id"] == alice.id
    await communicator.disconnect()


async def test_anonymous_is_accepted_then_closed_4401(application, db):
    communicator, connected, _ = await connect(application)
    assert connected
    await expect_refused(communicator, None)


async def test_expired_token_is_closed_4401_token_expired(application, alice):
    access = (await login()).cookies[settings.AUTH_COOKIE_ACCESS].value
    protocol = f"bearer.{expired_copy(access)}"
    communicator, connected, subprotocol = await connect(application, subprotocols=[protocol])
    assert connected and subprotocol == protocol
    await expect_refused(communicator, "token_expired")


@pytest.mark.parametrize("forge", ["alg_none", "other_key", "garbage", "refresh_token"])
async def test_forged_tokens_are_closed_4401(application, alice, forge):
    client = await login()
    access = client.cookies[settings.AUTH_COOKIE_ACCESS].value
    token = {
        "alg_none": lambda: alg_none_copy(access),
        "other_key": lambda: sign(claims(access), key="another-secret-key-that-is-long-enough-0123456789"),
        "garbage": lambda: "not.a.jwt",
        "refresh_token": lambda: client.cookies[settings.AUTH_COOKIE_REFRESH].value,
    }[forge]()
    communicator, connected, _ = await connect(application, subprotocols=[f"bearer.{token}"])
    assert connected
    await expect_refused(communicator, "token_not_valid")


async def test_invalid_subprotocol_token_is_not_rescued_by_the_session(application, alice):
    client = await login()
    cookies = {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}
    communicator, connected, _ = await connect(application, subprotocols=["bearer.forged"], cookies=cookies)
    assert connected
    await expect_refused(communicator, "token_not_valid")


async def test_token_of_a_deleted_user_is_closed_4401(application, alice):
    access = (await login()).cookies[settings.AUTH_COOKIE_ACCESS].value
    await sync_to_async(get_user_model().objects.filter(pk=alice.id).delete)()
    communicator, connected, _ = await connect(application, subprotocols=[f"bearer.{access}"])
    assert connected
    await expect_refused(communicator, "user_not_found")


async def test_foreign_origin_is_refused_before_auth(application, alice):
    access = (await login()).cookies[settings.AUTH_COOKIE_ACCESS].value
    communicator, connected, _ = await connect(
        application, cookies={settings.AUTH_COOKIE_ACCESS: access}, origin=(b"origin", b"https://evil.example")
    )
    assert not connected  # cross-site WebSocket hijacking: the cookie alone must not be enough
    await communicator.disconnect()


async def test_empty_bearer_subprotocol_is_an_invalid_token(application, alice):
    client = await login()
    cookies = {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}
    communicator, connected, subprotocol = await connect(application, subprotocols=["bearer."], cookies=cookies)
    assert connected and subprotocol == "bearer."
    await expect_refused(communicator, "token_not_valid")


async def test_other_subprotocols_are_left_alone(application, alice):
    communicator, connected, subprotocol = await connect(application, subprotocols=["json"])
    assert connected and subprotocol is None
    await expect_refused(communicator, None)


@pytest.fixture
def session_reads(monkeypatch):
    """How many times Channels' session auth looked a user up (channels.auth.get_user)."""
    import channels.auth

    calls = []
    original = channels.auth.get_user

    async def counting(scope):
        calls.append(scope.get("path"))
        return await original(scope)

    monkeypatch.setattr(channels.auth, "get_user", counting)
    return calls


@pytest.mark.parametrize("carrier", ["subprotocol", "cookie"])
async def test_a_valid_token_decides_without_reading_the_session(application, alice, session_reads, carrier):
    client = await login()
    access = client.cookies[settings.AUTH_COOKIE_ACCESS].value
    cookies = {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}
    if carrier == "cookie":
        cookies[settings.AUTH_COOKIE_ACCESS] = access
    subprotocols = [f"bearer.{access}"] if carrier == "subprotocol" else None
    communicator, connected, _ = await connect(application, subprotocols=subprotocols, cookies=cookies)
    assert connected and (await communicator.receive_json_from())["user_id"] == alice.id
    await communicator.disconnect()
    assert session_reads == []  # the session lookup is a thread hop and a query the token made needless


async def test_a_stale_cookie_reads_the_session_once(application, alice, session_reads):
    client = await login()
    cookies = {
        settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
        settings.AUTH_COOKIE_ACCESS: expired_copy(client.cookies[settings.AUTH_COOKIE_ACCESS].value),
    }
    communicator, connected, _ = await connect(application, cookies=cookies)
    message = await communicator.receive_json_from()
    assert connected and message == {"user_id": alice.id, "source": "cookie", "expires_at": None}
    await communicator.disconnect()
    assert session_reads == [WHOAMI]


def test_scope_helpers_read_plain_scopes():
    assert accounts.accepted_subprotocol({"subprotocols": ["json", "bearer.abc"]}) == "bearer.abc"
    assert accounts.accepted_subprotocol({"subprotocols": ["json"]}) is None
    assert accounts.websocket_user_id({}) is None
    assert json.dumps(accounts.WS_CLOSE_UNAUTHENTICATED) == "4401"
