"""Operations endpoints: liveness and readiness probes, and the Prometheus metrics (closed by default)."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from django_prometheus.exports import ExportToDjangoView
from django_redis import get_redis_connection

from apps.core.client_ip import client_ip, in_networks, parse_networks


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


def _metrics_allowed(request: HttpRequest) -> bool:
    """A bearer token equal to METRICS_TOKEN, or a client inside METRICS_ALLOWED_NETWORKS."""
    token = settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return True
    return in_networks(client_ip(request), parse_networks(settings.METRICS_ALLOWED_NETWORKS))


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' scrape target (scrape config: ``authorization: {credentials: <METRICS_TOKEN>}``)."""
    if not _metrics_allowed(request):
        response = JsonResponse(
            {"error": {"code": "permission_denied", "message": "Metrics need the bearer token or an allowed network."}},
            status=403,
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return ExportToDjangoView(request)
