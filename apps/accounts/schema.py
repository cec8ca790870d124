"""OpenAPI security schemes for the authentication classes (drf-spectacular extensions).

Loaded from AccountsConfig.ready(); the classes are named by dotted path, nothing is imported.
"""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerJWTScheme(OpenApiAuthenticationExtension):
    target_class = "apps.accounts.authentication.BearerJWTAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "Access token from POST /api/v1/auth/login/ (or /refresh/).",
        }


class CookieJWTScheme(OpenApiAuthenticationExtension):
    target_class = "apps.accounts.authentication.CookieJWTAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.AUTH_COOKIE_ACCESS,
            "description": "HttpOnly access cookie set at login (browsers). Unsafe methods need the X-CSRFToken header.",
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "apps.accounts.authentication.CsrfSessionAuthentication"
    name = "sessionAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "Django session (login, admin, browsable API). Unsafe methods need the X-CSRFToken header.",
        }
