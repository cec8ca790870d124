"""Schema generation: every operation documents the error envelope it can answer with.

Set as DRF's DEFAULT_SCHEMA_CLASS. The statuses are derived from the view (request body, path
parameters, pagination, authentication, permissions, throttle scope), so views need no decorators
for them; an ``@extend_schema(responses=...)`` entry for the same status wins.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

ERROR_DESCRIPTIONS = {
    "400": "Invalid input (field messages in error.fields).",
    "401": "Not authenticated, or the token is invalid or expired.",
    "403": "Authenticated but not allowed (or the CSRF check failed for cookie authentication).",
    "404": "Not found (or not yours).",
    "415": "Unsupported media type: send application/json.",
    "429": "Too many requests: retry after the number of seconds in the Retry-After header.",
}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(required=False, help_text="Field name -> list of messages.")


class ErrorEnvelopeSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


class EnvelopeAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status in self._error_statuses():
            if status not in responses:
                response = self._get_response_for_code(ErrorEnvelopeSerializer, status, direction=direction)
                response["description"] = ERROR_DESCRIPTIONS[status]
                responses[status] = response
        return responses

    def _error_statuses(self) -> list[str]:
        view, method = self.view, self.method
        statuses = set()
        has_body = method in {"POST", "PUT", "PATCH"}
        if has_body:
            statuses |= {"400", "415"}
        if self._get_paginator() is not None and self._is_list_view():
            statuses |= {"400", "404"}
        if "{" in self.path:
            statuses.add("404")
        if getattr(view, "authentication_classes", None):
            statuses.add("401")  # a bad Bearer token is refused even where anonymous access is allowed
            if method in UNSAFE:
                statuses.add("403")  # CSRF for cookie authentication
        if any(not _allows_anyone(permission) for permission in getattr(view, "permission_classes", ())):
            statuses |= {"401", "403"}
        if method in UNSAFE and (getattr(view, "throttle_scope", None) or _custom_throttles(view)):
            statuses.add("429")
        return sorted(statuses)


def _custom_throttles(view) -> bool:
    """A view that picks its throttles per request (overrides get_throttles) may answer 429."""
    return type(view).get_throttles is not APIView.get_throttles


def _allows_anyone(permission) -> bool:
    return isinstance(permission, type) and issubclass(permission, AllowAny)


def error_response(description: str) -> OpenApiResponse:
    """For ``@extend_schema(responses={401: error_response("why")})``."""
    return OpenApiResponse(response=ErrorEnvelopeSerializer, description=description)
