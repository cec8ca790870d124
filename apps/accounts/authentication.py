"""DRF authentication classes: Bearer JWT (API clients), cookie JWT (browsers), Django session.

Settings list them in this order. Bearer goes first so an unauthenticated request answers 401
with ``WWW-Authenticate: Bearer``. Anything authenticated by a cookie (JWT or session) must pass
Django's CSRF check on unsafe methods.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header

from apps.accounts import tokens


class BearerJWTAuthentication(BaseAuthentication):
    """``Authorization: Bearer <access>``. A malformed or invalid token answers 401 at once."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Authorization header must be 'Bearer <token>'.", code="bad_authorization_header"
            )
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError as error:
            raise exceptions.AuthenticationFailed("Token is invalid.", code="token_not_valid") from error
        return _authenticate_access(raw)

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


class CookieJWTAuthentication(BaseAuthentication):
    """The HttpOnly access cookie set at login. CSRF-checked on unsafe methods.

    An invalid or expired cookie is ignored rather than rejected, so a browser whose access
    token lapsed still falls through to its Django session (login starts both).
    """

    def authenticate(self, request):
        raw = request.COOKIES.get(settings.AUTH_COOKIE_ACCESS)
        if not raw:
            return None
        try:
            user, token = _authenticate_access(raw)
        except exceptions.AuthenticationFailed:
            return None
        CsrfSessionAuthentication().enforce_csrf(request)
        return user, token


class CsrfSessionAuthentication(SessionAuthentication):
    """Django's session (admin login, server-rendered pages, browsable API); DRF enforces CSRF."""


def _authenticate_access(raw: str):
    result = tokens.validate_access(raw)
    if result.user is None:
        raise exceptions.AuthenticationFailed(result.message, code=result.error)
    return result.user, result.payload
