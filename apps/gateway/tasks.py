"""Gateway's periodic Celery tasks (default queue ``gateway``; scheduled by beat, see settings)."""

from __future__ import annotations

from celery import shared_task

from apps.storage import api as storage_api


@shared_task(name="apps.gateway.tasks.sweep_stuck_jobs", ignore_result=True)
def sweep_stuck_jobs() -> int:
    """A job must never stay in progress forever: storage fails and dead-letters those with no progress past the deadline."""
    return storage_api.sweep_stuck_jobs()


@shared_task(name="apps.gateway.tasks.erase_expired_texts", ignore_result=True)
def erase_expired_texts() -> int:
    """Retention: storage erases the texts of finished jobs older than JOB_TEXT_RETENTION_DAYS (off when 0)."""
    return storage_api.erase_expired_texts()
