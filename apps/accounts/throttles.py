"""DRF throttling by scope: a view sets ``throttle_scope = "login" | "signup" | "job_create"``.

Only unsafe methods count, so a view that lists (GET) and creates (POST) under one scope limits
creation only. Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (env-driven) and are
read per request, so ``override_settings`` works. State lives in Django's cache (Redis); the cache
fails open (IGNORE_EXCEPTIONS), so a Redis outage disables throttling rather than failing requests.

The same throttle guards plain Django views (the admin's login form) through ``throttle_view``, so
every door that checks a password shares one mechanism and one budget per client.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import wraps
from types import SimpleNamespace

from django.http import HttpRequest, HttpResponse
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from apps.core.client_ip import client_ip

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ScopedWriteThrottle(ScopedRateThrottle):
    """``ScopedRateThrottle`` for unsafe methods; keyed by user id, or by client IP when anonymous."""

    cache_format = "throttle:%(scope)s:%(ident)s"

    def allow_request(self, request, view):
        if request.method in SAFE_METHODS or not getattr(view, self.scope_attr, None):
            return True
        return super().allow_request(request, view)

    def get_rate(self):
        # DRF binds THROTTLE_RATES at import time; read the live setting instead.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request):
        return client_ip(request)  # never X-Forwarded-For unless a trusted proxy vouches for it


def throttle_view(scope: str) -> Callable:
    """Decorate a plain Django view with the throttle of ``scope``: over the limit, 429 with Retry-After."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        holder = SimpleNamespace(throttle_scope=scope)

        @wraps(view)
        def throttled(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            throttle = ScopedWriteThrottle()
            if throttle.allow_request(request, holder):
                return view(request, *args, **kwargs)
            wait = max(1, math.ceil(throttle.wait() or 1))
            response = HttpResponse(
                f"Too many attempts. Try again in {wait} seconds.\n", status=429, content_type="text/plain; charset=utf-8"
            )
            response["Retry-After"] = str(wait)
            return response

        return throttled

    return decorator
