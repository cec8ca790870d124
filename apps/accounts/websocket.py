"""Channels middleware: authenticate a WebSocket from a JWT.

Where the token comes from, in order:
1. the subprotocol ``bearer.<jwt>`` (non-browser clients: ``new WebSocket(url, ["bearer." + jwt])``);
2. the HttpOnly access cookie set at login (browsers).

A valid token decides and the Django session is not read; an invalid subprotocol token always
leaves an AnonymousUser (explicit credentials were wrong). Only without a token, or with an invalid
cookie, does the request go on through Channels' session auth (``AuthMiddlewareStack``), which then
sets ``scope["user"]`` (the session's user, or AnonymousUser). Reading the session first for every
socket, as this did before, cost a thread hop and a lookup that a valid token then overrode.
``scope["auth_error"]`` records why a token was refused (``token_expired``, ``token_not_valid``,
``user_not_found``, ``user_inactive``).
"""

from __future__ import annotations

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.cookie import parse_cookie

SUBPROTOCOL_PREFIX = "bearer."


def offered_bearer_subprotocol(scope) -> str | None:
    """The ``bearer.<jwt>`` subprotocol the client offered, if any."""
    for protocol in scope.get("subprotocols") or ():
        if isinstance(protocol, str) and protocol.startswith(SUBPROTOCOL_PREFIX):
            return protocol
    return None


def _cookie_token(scope) -> str | None:
    cookies = scope.get("cookies")
    if cookies is None:
        header = b"; ".join(value for name, value in scope.get("headers", ()) if name == b"cookie")
        cookies = parse_cookie(header.decode("latin-1"))
    return cookies.get(settings.AUTH_COOKIE_ACCESS) or None


class JWTAuthMiddleware:
    """Authenticate a WebSocket from its token; fall back to the session (``AuthMiddlewareStack(inner)``)."""

    def __init__(self, inner):
        self.inner = inner
        self.session_auth = AuthMiddlewareStack(inner)

    async def __call__(self, scope, receive, send):
        if scope.get("type") != "websocket":
            return await self.session_auth(scope, receive, send)
        scope = dict(scope, auth_error=None, auth_expires_at=None, auth_source=None)
        scope.pop("user", None)  # set below, or by the session auth (which keeps a user already in the scope)
        protocol = offered_bearer_subprotocol(scope)
        if protocol is not None:
            raw, scope["auth_source"] = protocol[len(SUBPROTOCOL_PREFIX) :], "subprotocol"
        else:
            raw = _cookie_token(scope)
            scope["auth_source"] = "cookie" if raw else None
        if scope["auth_source"] is not None:
            from apps.accounts.tokens import validate_access  # after app loading: simplejwt imports models

            check = await database_sync_to_async(validate_access)(raw)
            if check.user is not None:
                scope["user"] = check.user
                scope["auth_expires_at"] = check.expires_at
                return await self.inner(scope, receive, send)
            scope["auth_error"] = check.error
            # Explicit credentials that fail never fall back to the session; a stale cookie may.
            if protocol is not None:
                scope["user"] = AnonymousUser()
                return await self.inner(scope, receive, send)
        return await self.session_auth(scope, receive, send)
