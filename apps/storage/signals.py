"""Celery ``task_failure`` hook: the final failure of a chain step fails its job's attempt and becomes one DeadLetter.

It fires in the pool child for ordinary failures and in the worker's main process for a lost
worker; Celery pushes the request onto the task's stack in both cases, so the context headers
are readable. A skipped step (``Ignore``) is not a failure and never arrives here. It never raises.
"""

from __future__ import annotations

import logging

from celery import signals
from django.db import close_old_connections

from apps.core import context
from apps.core.celery_signals import request_context
from apps.storage import dead_letters

logger = logging.getLogger(__name__)


def _payload(args: object) -> dict:
    return args[0] if isinstance(args, (list, tuple)) and args and isinstance(args[0], dict) else {}


def on_task_failure(sender=None, task_id=None, exception=None, args=None, kwargs=None, einfo=None, **_) -> None:
    try:
        close_old_connections()
        request = getattr(sender, "request", None)
        headers = request_context(request)
        payload = _payload(args)
        job_id = str(payload["job_id"]) if payload.get("job_id") else headers.get("job_id") or context.get("job_id")
        attempt = payload.get("attempt")
        # In the worker's main process (a lost child) no task context is bound: bind it for the logs.
        with context.bind(**{**headers, "job_id": job_id, "task_id": task_id}):
            dead_letters.record_task_failure(
                task_name=getattr(sender, "name", None) or "unknown",
                task_id=str(task_id),
                job_id=job_id,
                attempt=int(attempt) if attempt is not None else None,
                args=args or (),
                kwargs=kwargs or {},
                exception=exception if exception is not None else RuntimeError("unknown failure"),
                traceback=str(einfo.traceback) if einfo is not None else "",
                retries=getattr(request, "retries", 0) or 0,
                request_id=headers.get("request_id") or context.get("request_id"),
            )
    except Exception:
        logger.exception("could not record dead letter for task %s", task_id)


def connect() -> None:
    signals.task_failure.connect(on_task_failure, weak=False, dispatch_uid="storage.dead_letter")
