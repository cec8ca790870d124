"""Celery signal hooks of the shared kernel.

- The log context (request/user/job id) travels with each task as message headers,
  and is restored around the task body together with its task id.
- Workers log JSON through Django's LOGGING config.
- Privacy (apps/core/privacy.py): task messages describe their arguments as ``[redacted]``, and while
  a task runs the strings it received under sensitive keys are removed from every log record.
- Database connections live as long as ``CONN_MAX_AGE`` says, across tasks: they are checked
  (and closed when obsolete, broken or left mid-transaction) before and after each task, as Django
  does around a request; ``CELERY_DB_REUSE_MAX`` stops Celery's own fixup closing them every time.
- Metrics: under ``PROMETHEUS_MULTIPROC_DIR`` (exported by ``runstack`` before Daphne and the
  worker start, and wiped by it) each pool child writes its samples to files that Daphne's
  ``/metrics`` aggregates; a child that exits is marked dead so its live gauges drop out.
"""

from __future__ import annotations

import logging.config
import os

from celery import signals
from django.conf import settings
from django.db import connections

from apps.core import context, privacy

HEADER_PREFIX = "spg_"
_tokens: dict[str, list] = {}
_privacy_tokens: dict[str, object] = {}


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


@signals.before_task_publish.connect
def _redact_arguments(body=None, headers: dict | None = None, **_: object) -> None:
    """Logs, retries and monitoring events (Flower) show the message's argsrepr: never the payload."""
    if headers is None or not isinstance(body, list | tuple) or len(body) < 2:
        return
    args, kwargs = body[0], body[1]
    headers["argsrepr"], headers["kwargsrepr"] = privacy.celery_argsrepr(args, kwargs)


def _header_value(request, name: str) -> str | None:
    value = getattr(request, HEADER_PREFIX + name, None)
    if value is None and isinstance(getattr(request, "headers", None), dict):
        value = request.headers.get(HEADER_PREFIX + name)
    return value


def request_context(request) -> dict[str, str]:
    """The log context (request_id, user_id, job_id) a task message carried in its headers."""
    if request is None:
        return {}
    values = {name: _header_value(request, name) for name in ("request_id", "user_id", "job_id")}
    return {name: value for name, value in values.items() if value is not None}


@signals.task_prerun.connect
def _restore_context(task_id: str | None = None, task=None, args=None, kwargs=None, **_: object) -> None:
    if task is None or task_id is None:
        return
    values = request_context(task.request)
    _tokens[task_id] = context.set_values(task_id=task_id, **values)
    _privacy_tokens[task_id] = privacy.hide(privacy.sensitive_values((args, kwargs)))


@signals.task_postrun.connect
def _clear_context(task_id: str | None = None, **_: object) -> None:
    hidden = _privacy_tokens.pop(task_id, None) if task_id else None
    if hidden is not None:
        privacy.unhide(hidden)
    tokens = _tokens.pop(task_id, None) if task_id else None
    if tokens:
        context.reset(tokens)


@signals.task_prerun.connect
@signals.task_postrun.connect
def _recycle_old_connections(task=None, **_: object) -> None:
    """Django's ``close_old_connections``, minus a connection inside an atomic block (an eager task's
    caller, a test's transaction): that one is not the task's to close."""
    if task is None or getattr(task.request, "is_eager", False):
        return
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


@signals.worker_process_shutdown.connect
def _mark_metrics_process_dead(pid: int | None = None, **_: object) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())
