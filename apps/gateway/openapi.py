"""Schema generation: request schemas carry the server's real constraints, and every operation documents
the error envelope it can answer with.

Set as DRF's DEFAULT_SCHEMA_CLASS. The error statuses are derived from the view (request body, path
parameters, pagination, authentication, permissions, throttle scope), so views need no decorators for
them; an ``@extend_schema(responses=...)`` entry for the same status wins. String constraints come from
the serializer fields themselves (``allow_blank``, ``trim_whitespace``, the NUL-byte check every DRF
``CharField`` makes, validators), and a serializer that refuses unknown fields says so
(``additionalProperties: false``), so a client generated from the schema cannot send what the server
refuses.
"""

from __future__ import annotations

from django.core import validators
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

ERROR_DESCRIPTIONS = {
    "400": "Invalid input (field messages in error.fields).",
    "401": "Not authenticated, or the token is invalid or expired.",
    "403": "Authenticated but not allowed (or the CSRF check failed for cookie authentication).",
    "404": "Not found (or not yours).",
    "409": "Conflicts with existing data (field messages in error.fields).",
    "415": "Unsupported media type: send application/json.",
    "429": "Too many requests: retry after the number of seconds in the Retry-After header.",
    "503": "The database or the job queue is unreachable right now: retry after the Retry-After header's seconds.",
}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# DRF's CharField refuses NUL bytes; with trim_whitespace it also refuses a value that is only whitespace.
NO_NUL = r"^[^\u0000]*$"
NOT_BLANK_NO_NUL = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(required=False, help_text="Field name -> list of messages.")


class ErrorEnvelopeSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


class EnvelopeAutoSchema(AutoSchema):
    def get_serializer_name(self, serializer, direction):
        # With COMPONENT_SPLIT_REQUEST drf-spectacular appends "Request" itself: SignupRequestSerializer
        # becomes "SignupRequest", not "SignupRequestRequest".
        name = super().get_serializer_name(serializer, direction)
        return name.replace("RequestSerializer", "Serializer") if direction == "request" else name

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request":
            if getattr(serializer, "refuses_unknown_fields", False):
                schema["additionalProperties"] = False
            # Rules across fields that JSON Schema can state (e.g. "one of these two fields").
            schema.update(getattr(serializer, "schema_rules", {}))
            for name, field in force_instance(serializer).fields.items():
                if name in schema["properties"] and isinstance(field, serializers.CharField):
                    _refuse_what_charfield_refuses(field, schema["properties"][name])
        return schema

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
        statuses = {"503"}  # every API operation reads or writes the database (apps.gateway.errors)
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


def _refuse_what_charfield_refuses(field, schema: dict) -> None:
    """DRF's CharField refuses NUL bytes, and with trim_whitespace a value that is only whitespace: say so,
    unless the field's own pattern or format already rules them out (a username pattern, an email)."""
    if schema.get("type") != "string" or "format" in schema or "$ref" in schema:
        return
    not_blank = field.trim_whitespace and not field.allow_blank
    wanted = NOT_BLANK_NO_NUL if not_blank else NO_NUL
    own = [validator.regex for validator in field.validators if isinstance(validator, validators.RegexValidator)]
    if not own:
        schema["pattern"] = wanted
    elif any(regex.search("\x00") or (not_blank and regex.search(" ")) for regex in own):
        schema["allOf"] = [*schema.get("allOf", []), {"pattern": wanted}]


def _custom_throttles(view) -> bool:
    """A view that picks its throttles per request (overrides get_throttles) may answer 429."""
    return type(view).get_throttles is not APIView.get_throttles


def _allows_anyone(permission) -> bool:
    return isinstance(permission, type) and issubclass(permission, AllowAny)


def error_response(description: str) -> OpenApiResponse:
    """For ``@extend_schema(responses={401: error_response("why")})``."""
    return OpenApiResponse(response=ErrorEnvelopeSerializer, description=description)


def link_identifiers(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: OpenAPI links from every success body's property to the GET
    operations whose path parameter has that name (the 202's ``job_id`` leads to the job), so generated
    clients, Swagger and schemathesis's stateful phase can follow them."""
    schemas = result.get("components", {}).get("schemas", {})
    readers = {}  # path parameter name -> operationIds of GETs that take it
    for item in result["paths"].values():
        operation = item.get("get")
        for parameter in (operation or {}).get("parameters", []):
            if parameter["in"] == "path":
                readers.setdefault(parameter["name"], []).append(operation["operationId"])
    for item in result["paths"].values():
        for operation in item.values():
            for status, response in operation["responses"].items():
                body = response.get("content", {}).get("application/json", {}).get("schema", {})
                component = schemas.get(body.get("$ref", "").rpartition("/")[2], {})
                links = {
                    target: {"operationId": target, "parameters": {name: f"$response.body#/{name}"}}
                    for name in component.get("properties", {}) if status.startswith("2")
                    for target in readers.get(name, []) if target != operation["operationId"]
                }
                if links:
                    response["links"] = links
    return result
