"""Public interface of the accounts app: the single source of truth for authentication."""

from __future__ import annotations

from channels.auth import AuthMiddlewareStack


def websocket_auth_stack(inner):
    """Wrap a WebSocket router with the project's authentication (sets scope["user"])."""
    return AuthMiddlewareStack(inner)
