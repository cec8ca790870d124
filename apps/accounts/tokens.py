"""JWT issue, validation, rotation and revocation (simplejwt). Nothing else in the project decodes tokens.

Import this module only after Django's app registry is ready: simplejwt's token classes import the
blacklist models at import time.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import (
    ExpiredTokenError,
    TokenBackendError,
    TokenBackendExpiredToken,
    TokenError,
)
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, Token
from rest_framework_simplejwt.utils import datetime_from_epoch

from apps.accounts.token_pair import TokenPair

# A real token is a few hundred bytes; anything far longer is rejected before decoding.
MAX_TOKEN_LENGTH = 4096


class TokenRejected(Exception):
    """A token that is missing, malformed, forged, expired, revoked or names no active user."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class AccessCheck:
    """The outcome of validating an access token: a user, or why there is none."""

    user: Any = None
    payload: Any = None  # the validated AccessToken (DRF's request.auth)
    error: str | None = None
    message: str = ""
    expires_at: int | None = None


def issue_pair(user) -> TokenPair:
    refresh = RefreshToken.for_user(user)  # recorded as an outstanding token
    access = refresh.access_token
    return TokenPair(str(access), str(refresh), int(access["exp"]), int(refresh["exp"]))


def validate_access(raw: str) -> AccessCheck:
    """Validate an access token and load its user (synchronous: touches the database)."""
    try:
        token = _decode(AccessToken, raw)
        user = _active_user(token)
    except TokenRejected as rejected:
        return AccessCheck(error=rejected.code, message=rejected.message)
    return AccessCheck(user=user, payload=token, expires_at=int(token["exp"]))


def rotate(raw_refresh: str) -> tuple[Any, TokenPair]:
    """Spend a refresh token once and issue a new pair.

    Spending is atomic (the blacklist row is unique), so of concurrent refreshes with the same
    token only one spends it. The winner remembers the pair it issued for ``REFRESH_GRACE_SECONDS``
    (in the cache, keyed by the spent token's jti, written before its transaction commits), and the
    others get that same pair: two tabs refreshing at once are not a theft. Presenting a spent token
    after the grace is treated as theft: every refresh token of the user is revoked and every one of
    their Django sessions ends.
    """
    refresh = _decode(RefreshToken, raw_refresh, check_blacklist=False)
    user = _active_user(refresh)
    jti = refresh[api_settings.JTI_CLAIM]
    with transaction.atomic():
        spent = _spend(refresh)
        if spent:
            pair = issue_pair(user)
            _remember_rotation(jti, pair)
    if spent:
        return user, pair
    remembered = _remembered_rotation(jti)
    if remembered is not None:
        return user, remembered
    revoke_all_for_user(user)
    end_all_sessions(user)
    raise TokenRejected("token_reused", "Refresh token was already used; all sessions were signed out.")


def _grace_key(jti: str) -> str:
    return f"refresh-grace:{jti}"


def _remember_rotation(jti: str, pair: TokenPair) -> None:
    grace = settings.REFRESH_GRACE_SECONDS
    if grace > 0:
        cache.set(_grace_key(jti), asdict(pair), timeout=grace)


def _remembered_rotation(jti: str) -> TokenPair | None:
    stored = cache.get(_grace_key(jti)) if settings.REFRESH_GRACE_SECONDS > 0 else None
    return TokenPair(**stored) if isinstance(stored, dict) else None


def end_all_sessions(user, include_expired: bool = False) -> int:
    """Delete every Django session logged in as ``user`` (database sessions); returns how many.

    ``include_expired``: expired rows too (account deletion: no row may still name the person).
    """
    user_id = str(user.pk)
    sessions = Session.objects.all() if include_expired else Session.objects.filter(expire_date__gt=timezone.now())
    doomed = [
        session.session_key
        for session in sessions.iterator()
        if str(session.get_decoded().get(SESSION_KEY)) == user_id
    ]
    Session.objects.filter(session_key__in=doomed).delete()
    return len(doomed)


def revoke(raw_refresh: str) -> None:
    """Blacklist a refresh token (logout). Already revoked tokens are rejected, and so are those of a
    deleted user (recording them would write a row about a person who asked to be forgotten)."""
    refresh = _decode(RefreshToken, raw_refresh, check_blacklist=False)
    if not get_user_model().objects.filter(**{api_settings.USER_ID_FIELD: refresh.payload.get(api_settings.USER_ID_CLAIM)}).exists():
        raise TokenRejected("user_not_found", "The user of this token no longer exists.")
    with transaction.atomic():
        if not _spend(refresh):
            raise TokenRejected("token_not_valid", "Token is blacklisted.")


def revoke_all_for_user(user) -> int:
    """Blacklist every unexpired outstanding refresh token of ``user``; returns how many were new."""
    revoked = 0
    outstanding = OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now())
    for token in outstanding:
        _, created = BlacklistedToken.objects.get_or_create(token=token)
        revoked += int(created)
    return revoked


def forget_all_for_user(user) -> int:
    """Delete every refresh token row of ``user`` (account deletion): their tokens already fail, as the user is gone."""
    deleted, _ = OutstandingToken.objects.filter(user=user).delete()  # their blacklist rows cascade
    return deleted


def _spend(refresh: RefreshToken) -> bool:
    """Blacklist ``refresh``; False when it already was."""
    outstanding, _ = OutstandingToken.objects.get_or_create(
        jti=refresh[api_settings.JTI_CLAIM],
        defaults={
            "user": None,
            "token": str(refresh),
            "created_at": timezone.now(),
            "expires_at": datetime_from_epoch(refresh["exp"]),
        },
    )
    _, created = BlacklistedToken.objects.get_or_create(token=outstanding)
    return created


def _decode(token_class, raw: Any, check_blacklist: bool = True):
    if not isinstance(raw, str) or not raw or len(raw) > MAX_TOKEN_LENGTH:
        raise TokenRejected("token_not_valid", "Token is invalid.")
    try:
        if check_blacklist:
            # One decode: the signature (with the configured algorithm only: alg "none" fails), then
            # expiry, jti, type, and the blacklist for token classes that have one.
            return token_class(raw)
        # Verify the signature first, then all but the blacklist: the caller spends the token atomically.
        token_backend.decode(raw, verify=True)
        token = token_class(raw, verify=False)
        Token.verify(token)
        return token
    except (TokenBackendExpiredToken, ExpiredTokenError) as error:
        raise TokenRejected("token_expired", "Token is expired.") from error
    except (TokenBackendError, TokenError) as error:
        raise TokenRejected("token_not_valid", "Token is invalid.") from error


def _active_user(token):
    user_model = get_user_model()
    user_id = token.payload.get(api_settings.USER_ID_CLAIM)
    try:
        # A slice, not first(): first() orders by pk, and compiling that ORDER BY costs more than the row.
        matches = user_model.objects.filter(**{api_settings.USER_ID_FIELD: user_id})[:1] if user_id else ()
        user = next(iter(matches), None)
    except (ValueError, TypeError):
        user = None
    if user is None:
        raise TokenRejected("user_not_found", "The user of this token no longer exists.")
    if not user.is_active:
        raise TokenRejected("user_inactive", "This account is disabled.")
    return user
