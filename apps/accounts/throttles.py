"""DRF throttling by scope: a view sets ``throttle_scope = "login" | "signup" | "job_create"``.

Only unsafe methods count, so a view that lists (GET) and creates (POST) under one scope limits
creation only. Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (env-driven) and are
read per request, so ``override_settings`` works. State lives in the cache's Redis: a sliding log of
request times per client and scope (a sorted set), checked and updated by one Lua script, so a check
is one round trip (DRF's own is a GET then a SET of a JSON list, two round trips) and atomic
(concurrent requests can no longer all read the same history and all pass). A Redis outage disables
throttling rather than failing requests (fail open, as the cache itself does: IGNORE_EXCEPTIONS).

The same throttle guards plain Django views (the admin's login form) through ``throttle_view``, so
every door that checks a password shares one mechanism and one budget per client.
"""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Callable
from functools import wraps
from types import SimpleNamespace

import redis.exceptions
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django_redis import get_redis_connection
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from apps.core.client_ip import client_ip

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# KEYS[1]: the log; ARGV: now, window seconds, limit, a unique member. Drops the times that left the
# window (as DRF does: a time <= now - window is gone), then records now if the log has room.
# Returns {allowed 0/1, requests in the window, the oldest time in it as a string} (Lua numbers would
# reach Python as truncated integers).
_SLIDING_LOG = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
local allowed = 0
if count < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('EXPIRE', key, math.ceil(window))
  count = count + 1
  allowed = 1
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2]
return {allowed, count, oldest and tostring(oldest) or ''}
"""
_script = None  # redis-py's Script: EVALSHA, loading the script when Redis does not know it yet


def _sliding_log(key: str, now: float, window: int, limit: int) -> tuple[bool, int, float | None] | None:
    """Check and record one request in the log at ``key``: (allowed, requests in the window, oldest time), or
    None when Redis fails (the caller fails open)."""
    global _script
    try:
        client = get_redis_connection("default")
        if _script is None:
            _script = client.register_script(_SLIDING_LOG)
        member = f"{now!r}:{secrets.token_hex(4)}"
        allowed, count, oldest = _script(keys=[cache.make_key(key)], args=[repr(now), window, limit, member], client=client)
    except redis.exceptions.RedisError as error:  # unreachable, read-only, out of memory: as the cache would, fail open
        logger.warning("throttle unavailable (%s): request allowed", error.__class__.__name__)
        return None
    return bool(allowed), int(count), float(oldest) if oldest else None


class ScopedWriteThrottle(ScopedRateThrottle):
    """``ScopedRateThrottle`` for unsafe methods; keyed by user id, or by client IP when anonymous."""

    cache_format = "throttle-log:%(scope)s:%(ident)s"  # a sorted set (DRF's "throttle:" keys hold JSON lists)
    count = 0
    oldest: float | None = None

    def allow_request(self, request, view):
        if request.method in SAFE_METHODS or not getattr(view, self.scope_attr, None):
            return True
        # ScopedRateThrottle.allow_request up to here: the scope's live rate.
        self.scope = getattr(view, self.scope_attr)
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        checked = _sliding_log(self.key, self.now, self.duration, self.num_requests)
        if checked is None:
            return True
        allowed, self.count, self.oldest = checked
        return allowed

    def wait(self):
        """DRF's estimate, from the log the script saw: the time until the oldest request leaves the window,
        spread over the requests that would then be available."""
        remaining = self.duration - (self.now - self.oldest) if self.oldest is not None else self.duration
        available = self.num_requests - self.count + 1
        return remaining / available if available > 0 else None

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
