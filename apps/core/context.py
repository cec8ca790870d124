"""Per-request / per-task context carried into every log line and across Celery.

Context variables work for threads, asyncio tasks (Daphne, consumers) and Celery
task bodies alike; each layer sets what it knows and resets it when done.
"""

from __future__ import annotations

import contextvars
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

FIELDS = ("request_id", "user_id", "job_id", "task_id")
_vars: dict[str, contextvars.ContextVar[str | None]] = {
    name: contextvars.ContextVar(name, default=None) for name in FIELDS
}

# Accept ids clients commonly send (UUIDs, ULIDs, hex, dashed tokens) but nothing that
# could forge log fields or blow up a header: 8..64 safe characters.
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{7,63}$")


def new_request_id() -> str:
    return uuid.uuid4().hex


def valid_request_id(value: str | None) -> str | None:
    if value and _REQUEST_ID_RE.match(value):
        return value
    return None


def get(name: str) -> str | None:
    return _vars[name].get()


def snapshot() -> dict[str, str]:
    """The context fields currently set (for logs and Celery headers)."""
    return {name: value for name, var in _vars.items() if (value := var.get()) is not None}


@contextmanager
def bind(**values: object) -> Iterator[None]:
    """Set context fields for the duration of a block (None values are ignored)."""
    tokens = []
    for name, value in values.items():
        if value is None:
            continue
        tokens.append((_vars[name], _vars[name].set(str(value))))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def set_values(**values: object) -> list[tuple[contextvars.ContextVar, contextvars.Token]]:
    """Set fields without a block; pass the result to ``reset`` later (Celery signals)."""
    return [(_vars[n], _vars[n].set(str(v))) for n, v in values.items() if v is not None]


def reset(tokens: list[tuple[contextvars.ContextVar, contextvars.Token]]) -> None:
    for var, token in reversed(tokens):
        try:
            var.reset(token)
        except ValueError:  # token from another context: fall back to clearing
            var.set(None)
