"""Celery signal hooks of the shared kernel.

- The log context (request/user/job id) travels with each task as message headers,
  and is restored around the task body together with its task id.
- Workers log JSON through Django's LOGGING config.
"""

from __future__ import annotations

import logging.config

from celery import signals
from django.conf import settings

from apps.core import context

HEADER_PREFIX = "spg_"
_tokens: dict[str, list] = {}


@signals.setup_logging.connect
def _configure_logging(**_: object) -> None:
    logging.config.dictConfig(settings.LOGGING)


@signals.before_task_publish.connect
def _attach_context(headers: dict | None = None, **_: object) -> None:
    if headers is None:
        return
    for name, value in context.snapshot().items():
        if name != "task_id":
            headers.setdefault(HEADER_PREFIX + name, value)


def _header(task, name: str) -> str | None:
    request = task.request
    value = getattr(request, HEADER_PREFIX + name, None)
    if value is None and isinstance(getattr(request, "headers", None), dict):
        value = request.headers.get(HEADER_PREFIX + name)
    return value


@signals.task_prerun.connect
def _restore_context(task_id: str | None = None, task=None, **_: object) -> None:
    if task is None or task_id is None:
        return
    values = {name: _header(task, name) for name in ("request_id", "user_id", "job_id")}
    _tokens[task_id] = context.set_values(task_id=task_id, **values)


@signals.task_postrun.connect
def _clear_context(task_id: str | None = None, **_: object) -> None:
    tokens = _tokens.pop(task_id, None) if task_id else None
    if tokens:
        context.reset(tokens)
