"""Celery ``task_failure`` hook: every final task failure becomes one DeadLetter row.

It fires in the pool child for ordinary failures and in the worker's main process for a lost
worker (STACK-NOTES §5); Celery pushes the request onto the task's stack in both cases, so
the remaining chain and the context headers are readable. It never raises.
"""

from __future__ import annotations

import logging

from celery import signals
from django.db import close_old_connections

from apps.core import context
from apps.core.celery_signals import request_context
from apps.storage import services

logger = logging.getLogger(__name__)


def _job_id(args: object, headers: dict) -> str | None:
    if isinstance(args, (list, tuple)) and args and isinstance(args[0], dict) and args[0].get("job_id"):
        return str(args[0]["job_id"])
    return headers.get("job_id") or context.get("job_id")


def on_task_failure(sender=None, task_id=None, exception=None, args=None, kwargs=None, einfo=None, **_) -> None:
    try:
        close_old_connections()
        request = getattr(sender, "request", None)
        headers = request_context(request)
        job_id = _job_id(args, headers)
        # In the worker's main process (a lost child) no task context is bound: bind it for the logs.
        bound = {**headers, "job_id": job_id, "task_id": task_id}
        with context.bind(**bound):
            services.record_task_failure(
                task_name=getattr(sender, "name", None) or "unknown",
                task_id=str(task_id),
                job_id=job_id,
                args=args or (),
                kwargs=kwargs or {},
                chain=getattr(request, "chain", None) or (),
                exception=exception if exception is not None else RuntimeError("unknown failure"),
                traceback=str(einfo.traceback) if einfo is not None else "",
                retries=getattr(request, "retries", 0) or 0,
                request_id=headers.get("request_id") or context.get("request_id"),
            )
    except Exception:
        logger.exception("could not record dead letter for task %s", task_id)


def connect() -> None:
    signals.task_failure.connect(on_task_failure, weak=False, dispatch_uid="storage.dead_letter")
