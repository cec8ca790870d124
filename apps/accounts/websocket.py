"""Channels middleware: authenticate a WebSocket from a JWT.

Where the token comes from, in order:
1. the subprotocol ``bearer.<jwt>`` (non-browser clients: ``new WebSocket(url, ["bearer." + jwt])``);
2. the HttpOnly access cookie set at login (browsers).

Layered inside Channels' session auth (``AuthMiddlewareStack(JWTAuthMiddleware(inner))``): the
session middleware sets ``scope["user"]`` first, and a valid token then overrides it. An invalid
subprotocol token always leaves an AnonymousUser (explicit credentials were wrong); an invalid
cookie keeps the session user, if any. ``scope["auth_error"]`` records why a token was refused
(``token_expired``, ``token_not_valid``, ``user_not_found``, ``user_inactive``).
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
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


class JWTAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        if scope.get("type") != "websocket":
            return await super().__call__(scope, receive, send)
        scope = dict(scope, auth_error=None, auth_expires_at=None, auth_source=None)
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
            else:
                scope["auth_error"] = check.error
                # Explicit credentials that fail never fall back to the session; a stale cookie may.
                if protocol is not None or not _is_authenticated(scope.get("user")):
                    scope["user"] = AnonymousUser()
        elif "user" not in scope:
            scope["user"] = AnonymousUser()
        return await super().__call__(scope, receive, send)


def _is_authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))
