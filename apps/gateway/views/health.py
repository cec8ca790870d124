"""Liveness and readiness probes."""

from __future__ import annotations

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET
from django_redis import get_redis_connection


@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _redis_ok() -> bool:
    try:
        return bool(get_redis_connection("default").ping())
    except Exception:
        return False


@require_GET
def readyz(request):
    checks = {"database": _database_ok(), "redis": _redis_ok()}
    down = [name for name, ok in checks.items() if not ok]
    body = {"status": "ok" if not down else "unavailable", "checks": {k: "ok" if v else "down" for k, v in checks.items()}}
    if down:
        body["error"] = {"code": "unavailable", "message": f"Not ready: {', '.join(down)} unreachable."}
    return JsonResponse(body, status=200 if not down else 503)
