"""A seam between service tasks and the job they serve (dependency inversion).

Service apps (emotion, music) must not import storage, yet their Celery tasks advance a
job's stage. They call ``report_stage``; the gateway, which owns orchestration,
registers the real reporter at start-up (it records the stage through
``apps.storage.api``, which commits and publishes the event).
"""

from __future__ import annotations

from collections.abc import Callable

import redis.exceptions
from django.db import InterfaceError, OperationalError

Reporter = Callable[[str, str], None]
_reporter: Reporter | None = None

# Errors worth retrying with backoff: Redis hiccups and a locked or briefly unreachable database.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    OperationalError,
    InterfaceError,
)

# Celery options shared by every step of the playlist chain: acknowledged after the work (a killed
# worker's message is redelivered), transient errors retried with backoff, a lost worker retried
# up to max_retries, then the task fails for good (and storage dead-letters it).
PIPELINE_STEP_OPTIONS: dict = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 1,
    "retry_backoff_max": 10,
    "max_retries": 3,
    "retry_on_worker_lost": True,
    "default_retry_delay": 2,
}


def register_reporter(reporter: Reporter) -> None:
    global _reporter
    _reporter = reporter


def report_stage(job_id: str | None, stage: str) -> None:
    """Tell the job's owner that ``stage`` has started. No-op without a job or reporter."""
    if job_id and _reporter is not None:
        _reporter(job_id, stage)
