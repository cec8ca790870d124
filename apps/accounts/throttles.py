"""DRF throttling by scope: a view sets ``throttle_scope = "login" | "signup" | "job_create"``.

Only unsafe methods count, so a view that lists (GET) and creates (POST) under one scope limits
creation only. Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (env-driven) and are
read per request, so ``override_settings`` works. State lives in Django's cache (Redis); the cache
fails open (IGNORE_EXCEPTIONS), so a Redis outage disables throttling rather than failing requests.
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

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
