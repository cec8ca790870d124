"""The API's one error envelope.

Every error answers ``{"error": {"code", "message", "fields"?}}`` with a 4xx/5xx status:
DRF's own exceptions, Django's 404/permission errors and anything unexpected (as a
500 without internals). ``fields`` carries field-level validation messages.
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)


class Conflict(exceptions.APIException):
    """409: the request is valid but clashes with existing data (per-field messages in ``fields``)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message, self.default_code)
        self.fields = fields


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    body: dict = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def _flatten(detail) -> dict:
    if isinstance(detail, dict):
        return {key: _messages(value) for key, value in detail.items()}
    return {"non_field_errors": _messages(detail)}


def _messages(value) -> list[str] | dict:
    if isinstance(value, dict):
        return {key: _messages(inner) for key, inner in value.items()}
    if isinstance(value, list):
        out: list = []
        for item in value:
            out.extend(_messages(item) if isinstance(item, list) else [str(item)])
        return out
    return [str(value)]


def api_exception_handler(exc, context):
    response = exception_handler(exc, context)
    if response is None and isinstance(exc, (OperationalError, InterfaceError)):
        # The database is locked past its busy timeout or unreachable: a transient outage, not a bug.
        # Each write is one statement (autocommit), so a failed request has saved nothing.
        logger.error("database unavailable: %s", exc.__class__.__name__)
        return Response(
            error_body("unavailable", "The service is busy or unreachable right now. Please try again shortly."),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    if response is None:
        logger.exception("unhandled API error", exc_info=exc)
        return Response(
            error_body("server_error", "Something went wrong on our side. Please try again."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body("invalid", "Some fields are not valid.", _flatten(exc.detail))
    elif isinstance(exc, exceptions.APIException):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        response.data = error_body(code, str(message), getattr(exc, "fields", None))
    else:  # Http404 / PermissionDenied from Django
        response.data = error_body("not_found" if response.status_code == 404 else "forbidden", str(response.data.get("detail", "")))
    return response
