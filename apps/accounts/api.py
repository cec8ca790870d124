"""Public interface of the accounts app: the single source of truth for authentication.

Other apps import only this module. It is importable before Django's app registry is ready
(config/asgi.py, settings-time imports): everything that touches models or simplejwt is imported
inside the functions.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings

from apps.accounts.token_pair import TokenPair

# WebSocket close code for a missing, invalid or expired token. Sent after accept(): a close before accept
# reaches browsers as 1006 with no code (docs/auth.md).
WS_CLOSE_UNAUTHENTICATED = 4401


class AuthError(Exception):
    """Why an accounts operation refused: a stable ``code``, a message, optional per-field messages.

    ``status`` is the HTTP status a view should answer with.
    """

    def __init__(self, code: str, message: str, status: int, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.fields = fields or {}


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    email: str
    is_staff: bool
    date_joined: str  # ISO 8601

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def user_info(user) -> UserInfo:
    """The public description of a user (``request.user`` or ``scope["user"]``)."""
    return UserInfo(
        id=user.pk,
        username=user.get_username(),
        email=user.email,
        is_staff=bool(user.is_staff),
        date_joined=user.date_joined.isoformat(),
    )


def signup(username: str, email: str, password: str) -> UserInfo:
    """Create an account and write nothing on bad input: raises AuthError(400, "invalid", fields=...), or
    AuthError(409, "conflict", fields=...) when the values are valid but the username or email is taken."""
    from apps.accounts import services

    try:
        return user_info(services.register(username, email, password))
    except services.SignupRejected as rejected:
        if rejected.conflict:
            raise AuthError("conflict", "That username or email is already in use.", 409, rejected.fields) from rejected
        raise AuthError("invalid", "Some fields are not valid.", 400, rejected.fields) from rejected


@dataclass(frozen=True)
class CredentialRules:
    """What sign-up and login accept, for request validation and the API schema (one source of truth)."""

    username_max: int
    email_max: int
    password_max: int
    refresh_token_max: int
    username_validators: tuple  # Django validators of the user model's username field
    # The password policy's per-value checks as Django validators (minimum length, not all digits); the
    # checks that need a list or the other fields (too common, too similar) stay in signup().
    password_validators: tuple


def credential_rules() -> CredentialRules:
    from django.contrib.auth import get_user_model, password_validation
    from django.core.validators import MaxLengthValidator, MinLengthValidator, RegexValidator

    from apps.accounts import services, tokens

    username_field = get_user_model()._meta.get_field("username")
    password_validators: list = []
    for policy in password_validation.get_default_password_validators():
        if isinstance(policy, password_validation.MinimumLengthValidator):
            password_validators.append(MinLengthValidator(policy.min_length, policy.get_error_message()))
        elif isinstance(policy, password_validation.NumericPasswordValidator):
            password_validators.append(RegexValidator(r"\D", policy.get_error_message()))
    return CredentialRules(
        username_max=min(services.USERNAME_MAX, username_field.max_length),
        email_max=services.EMAIL_MAX,
        password_max=services.PASSWORD_MAX,
        refresh_token_max=tokens.MAX_TOKEN_LENGTH,
        username_validators=tuple(v for v in username_field.validators if not isinstance(v, MaxLengthValidator)),
        password_validators=tuple(password_validators),
    )


def login(request, username: str, password: str) -> tuple[UserInfo, TokenPair]:
    """Check credentials, issue a JWT pair and log the user into a Django session on ``request``.

    Raises AuthError(401, "invalid_credentials"). Put the pair into cookies with set_auth_cookies().
    """
    from apps.accounts import services

    try:
        user, pair = services.login(request, username, password)
    except services.CredentialsRejected as rejected:
        raise AuthError("invalid_credentials", str(rejected), 401) from rejected
    return user_info(user), pair


def refresh(raw_refresh: str) -> TokenPair:
    """Spend a refresh token for a new pair (rotation; a reused token revokes all the user's tokens).

    Raises AuthError(401, "token_not_valid" | "token_expired" | "token_reused" | "user_not_found" | ...).
    """
    from apps.accounts import tokens

    try:
        _, pair = tokens.rotate(raw_refresh)
    except tokens.TokenRejected as rejected:
        raise AuthError(rejected.code, rejected.message, 401) from rejected
    return pair


def revoke_refresh(raw_refresh: str) -> None:
    """Blacklist a refresh token. Raises AuthError(401) when it is invalid, expired or already revoked."""
    from apps.accounts import tokens

    try:
        tokens.revoke(raw_refresh)
    except tokens.TokenRejected as rejected:
        raise AuthError(rejected.code, rejected.message, 401) from rejected


def end_browser_session(request) -> None:
    """Log out of the Django session on ``request`` (a no-op when there is none)."""
    from apps.accounts import services

    services.end_browser_session(request)


def confirm_password(user, password: object) -> None:
    """Raises AuthError(400, "invalid", fields={"password": ...}) unless ``password`` is ``user``'s."""
    from apps.accounts import services

    try:
        services.confirm_password(user, password)
    except services.CredentialsRejected as rejected:
        raise AuthError("invalid", "Some fields are not valid.", 400, {"password": [str(rejected)]}) from rejected


def delete_account(user) -> None:
    """Delete everything of the user, in one transaction: other apps' data (the wired deleter), every refresh
    token and Django session of theirs, and the user. Their access tokens answer 401 ``user_not_found`` at once.

    The person's page and the admin both delete this way; without a wired deleter it refuses (never half-deletes).
    """
    from django.core.exceptions import ImproperlyConfigured

    from apps.accounts import services

    if _user_data is None:
        raise ImproperlyConfigured("no user-data deleter is wired: the gateway registers one in GatewayConfig.ready()")
    services.delete_account(user, delete_other_data=_user_data.delete)


def account_export(user) -> dict[str, Any]:
    """What accounts holds about the user, for their data export (never the password hash)."""
    return {**user_info(user).to_dict(), "last_login": user.last_login.isoformat() if user.last_login else None}


@dataclass(frozen=True)
class UserDataHooks:
    """What other apps hold about a user: counted for the admin's user page, deleted with the account."""

    count: Callable[[int], dict[str, int]]
    delete: Callable[[int], object]  # runs inside the account deletion's transaction


# Wired by the gateway (GatewayConfig.ready), since accounts imports no other app.
_user_data: UserDataHooks | None = None


def set_user_data_hooks(*, count: Callable[[int], dict[str, int]], delete: Callable[[int], object]) -> None:
    global _user_data
    _user_data = UserDataHooks(count=count, delete=delete)


def stored_data_counts(user_id: int) -> dict[str, int]:
    """``{"playlists": n, …}`` as the wired counter reports them; empty when none is wired."""
    return _user_data.count(user_id) if _user_data is not None else {}


def has_browser_session(request) -> bool:
    """Whether ``request`` carries a logged-in Django session."""
    from django.contrib.auth import SESSION_KEY

    return SESSION_KEY in request.session


def throttled(scope: str):
    """Decorator: the accounts throttle of ``scope`` on a plain Django view (e.g. the admin's login form)."""
    from apps.accounts.throttles import throttle_view

    return throttle_view(scope)


def enforce_csrf(request) -> None:
    """Django's CSRF check for a request authenticated by cookies; raises DRF PermissionDenied (403)."""
    from apps.accounts.authentication import CsrfSessionAuthentication

    CsrfSessionAuthentication().enforce_csrf(request)


# --- Cookies ----------------------------------------------------------------------------------------

# The refresh cookie travels only to the auth endpoints, never to pages or other API calls.
REFRESH_COOKIE_PATH = "/api/v1/auth/"


def refresh_cookie(request) -> str | None:
    return request.COOKIES.get(settings.AUTH_COOKIE_REFRESH) or None


def set_auth_cookies(response, pair: TokenPair) -> None:
    """HttpOnly, SameSite=Lax (Secure in production) cookies. The refresh cookie is sent to /api/v1/auth/ only."""
    now = int(time.time())
    common = {"httponly": True, "secure": settings.AUTH_COOKIE_SECURE, "samesite": settings.AUTH_COOKIE_SAMESITE}
    response.set_cookie(
        settings.AUTH_COOKIE_ACCESS, pair.access, max_age=max(0, pair.access_expires_at - now), path="/", **common
    )
    response.set_cookie(
        settings.AUTH_COOKIE_REFRESH,
        pair.refresh,
        max_age=max(0, pair.refresh_expires_at - now),
        path=REFRESH_COOKIE_PATH,
        **common,
    )


def clear_auth_cookies(response) -> None:
    samesite = settings.AUTH_COOKIE_SAMESITE
    response.delete_cookie(settings.AUTH_COOKIE_ACCESS, path="/", samesite=samesite)
    response.delete_cookie(settings.AUTH_COOKIE_REFRESH, path=REFRESH_COOKIE_PATH, samesite=samesite)


# --- WebSockets -------------------------------------------------------------------------------------


def websocket_auth_stack(inner):
    """Wrap a WebSocket router: a JWT (subprotocol or cookie) decides; without a valid one, the Django session.

    Sets ``scope["user"]`` (AnonymousUser when unauthenticated), ``scope["auth_error"]`` (why a
    token was refused, or None) and ``scope["auth_expires_at"]`` (epoch seconds of the token's exp).
    """
    from apps.accounts.websocket import JWTAuthMiddleware

    return JWTAuthMiddleware(inner)


def accepted_subprotocol(scope) -> str | None:
    """The subprotocol to pass to ``accept()``: the ``bearer.<jwt>`` one the client offered, else None.

    Browsers fail the handshake unless the server picks one of the offered subprotocols, so accept
    with this even when the token is bad, then close with WS_CLOSE_UNAUTHENTICATED.
    """
    from apps.accounts.websocket import offered_bearer_subprotocol

    return offered_bearer_subprotocol(scope)


def websocket_user_id(scope) -> int | None:
    """The authenticated user's id for this connection, or None (then close with WS_CLOSE_UNAUTHENTICATED)."""
    user = scope.get("user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.pk


def websocket_token_expires_at(scope) -> int | None:
    """Epoch seconds at which the connection's access token expires (None for session auth)."""
    return scope.get("auth_expires_at")


