"""HTTP middleware of the shared kernel: request ids and user ids in the log context."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from apps.core import context

REQUEST_ID_HEADER = "X-Request-ID"
access_log = logging.getLogger("apps.access")


class RequestIdMiddleware:
    """Accept a valid incoming X-Request-ID or make one; echo it on the response.

    Also writes the JSON access log line (Daphne's own text access log is switched off).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = context.valid_request_id(request.headers.get(REQUEST_ID_HEADER)) or context.new_request_id()
        request.request_id = request_id
        started = time.perf_counter()
        with context.bind(request_id=request_id):
            response = self.get_response(request)
            user = getattr(request, "user", None)
            access_log.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "client_ip": request.META.get("REMOTE_ADDR"),  # resolved by apps.core.client_ip
                    "user_id": user.pk if user is not None and user.is_authenticated else None,
                },
            )
        response[REQUEST_ID_HEADER] = request_id
        return response


class UserContextMiddleware:
    """After authentication, put the user id into the log context.

    DRF authenticates inside the view, so API views also bind it (see gateway views).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        with context.bind(user_id=user_id):
            return self.get_response(request)
