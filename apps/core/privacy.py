"""What people write never reaches a log line.

Three layers, none of which needs the task modules or the views to cooperate:

- Celery messages carry redacted ``argsrepr``/``kwargsrepr`` (set when a task is published), so
  every log line and monitoring event that describes a task's arguments (received, retried,
  failed, Flower) shows ``[redacted]`` instead of the payload; the worker's events also drop
  return values and exception text (``PrivateTask``, the base of every task).
- ``RedactingFilter`` sits on the log handler of every process. It blanks the fields Celery fills
  with arguments and return values (``args``, ``kwargs``, ``return_value``), and while a task runs it
  removes every string the task received under a key known to carry a person's words
  (``SENSITIVE_KEYS``) from the message, its arguments and any exception text or traceback.
- ``PrivateRequestMiddleware`` does the same in the web process for the values of a JSON request
  body, so an error logged while serving ``POST /api/v1/playlists/`` (or a login) cannot carry them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any

from celery import Task
from celery.worker.request import Request

REDACTED = "[redacted]"
# Keys whose values are a person's own words, whole or in part (a "word" of a text that an explanation
# points at), or secrets, wherever they appear in a payload.
SENSITIVE_KEYS = frozenset({"text", "word", "password"})
# Request bodies larger than this are not inspected (the API refuses far smaller ones anyway).
_MAX_INSPECTED_BODY = 64 * 1024
# Celery's log context fields that hold a task's arguments or its return value (celery.app.trace).
CELERY_PAYLOAD_FIELDS = frozenset({"args", "kwargs", "return_value", "argsrepr", "kwargsrepr", "result"})
# Fields of worker events (Flower) that hold a return value or an exception's text.
EVENT_PAYLOAD_FIELDS = frozenset({"result", "exception", "traceback"})
_MIN_SECRET_LENGTH = 3  # shorter strings would blank unrelated words

_secrets: ContextVar[tuple[str, ...]] = ContextVar("spg_log_secrets", default=())


def sensitive_values(payload: Any) -> tuple[str, ...]:
    """Every string under a ``SENSITIVE_KEYS`` key anywhere in ``payload`` (dicts, lists, tuples)."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in SENSITIVE_KEYS and isinstance(item, str):
                    found.append(item)
                else:
                    walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    walk(payload)
    return tuple(sorted({value for value in found if len(value.strip()) >= _MIN_SECRET_LENGTH}, key=len, reverse=True))


def hide(values: Iterable[str]) -> Token:
    """Redact ``values`` from log records until ``unhide(token)``; returns the token."""
    return _secrets.set(tuple(dict.fromkeys((*_secrets.get(), *values))))


def unhide(token: Token) -> None:
    _secrets.reset(token)


@contextmanager
def hidden(payload: Any) -> Iterator[None]:
    """Within the block, no log line carries the sensitive strings of ``payload``."""
    token = hide(sensitive_values(payload))
    try:
        yield
    finally:
        unhide(token)


def redact_text(text: str, secrets: tuple[str, ...] | None = None) -> str:
    for secret in _secrets.get() if secrets is None else secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def _redacted_context(context: dict, secrets: tuple[str, ...]) -> dict:
    cleaned = {}
    for key, value in context.items():
        if key in CELERY_PAYLOAD_FIELDS:
            cleaned[key] = REDACTED
        elif isinstance(value, str):
            cleaned[key] = redact_text(value, secrets)
        else:
            cleaned[key] = value
    return cleaned


class RedactingFilter(logging.Filter):
    """Blank task arguments and return values; remove the running task's sensitive strings."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = _secrets.get()
        if isinstance(record.args, dict):
            record.args = _redacted_context(record.args, secrets)
        data = getattr(record, "data", None)
        if isinstance(data, dict):
            record.data = _redacted_context(data, secrets)
        if secrets:
            message = record.getMessage()
            cleaned = redact_text(message, secrets)
            if cleaned != message:
                record.msg, record.args = cleaned, ()
            if record.exc_info:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
                record.exc_info = None
            if record.exc_text:
                record.exc_text = redact_text(record.exc_text, secrets)
        return True


def celery_argsrepr(args: Any, kwargs: Any) -> tuple[str, str]:
    """What a task message shows of its arguments: their shape, never their content."""
    count = len(args) if isinstance(args, list | tuple) else 0
    names = ", ".join(sorted(str(name) for name in kwargs)) if isinstance(kwargs, dict) else ""
    return f"({count} argument{'s' if count != 1 else ''}: {REDACTED})", f"{{{names}: {REDACTED}}}" if names else "{}"


class RedactedEventsRequest(Request):
    """The worker's view of a task message, whose monitoring events (Flower) carry no return value
    or exception text: the succeeded event would otherwise hold the repr of the returned payload."""

    def send_event(self, type, **fields):
        for name in EVENT_PAYLOAD_FIELDS & fields.keys():
            fields[name] = REDACTED
        super().send_event(type, **fields)


class PrivateTask(Task):
    """The base of every task (config/celery.py ``task_cls``): events through ``RedactedEventsRequest``."""

    Request = "apps.core.privacy:RedactedEventsRequest"


class PrivateRequestMiddleware:
    """While a request with a JSON body is served, its sensitive values are kept out of every log line."""

    def __init__(self, get_response: Callable):
        self.get_response = get_response

    def __call__(self, request):
        with hidden(_json_body(request)):
            return self.get_response(request)


def _json_body(request) -> Any:
    if request.method not in {"POST", "PUT", "PATCH"} or "json" not in request.content_type:
        return None
    try:
        if int(request.META.get("CONTENT_LENGTH") or 0) > _MAX_INSPECTED_BODY:
            return None
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return None  # the view answers 400; nothing of it is logged
