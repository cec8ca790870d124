"""Gateway's periodic Celery tasks (default queue ``gateway``; scheduled by beat, see settings)."""

from __future__ import annotations

from celery import shared_task

from apps.storage import api as storage_api


@shared_task(name="apps.gateway.tasks.sweep_stuck_jobs", ignore_result=True)
def sweep_stuck_jobs() -> int:
    """A job must never stay in progress forever: storage fails and dead-letters those with no progress past the deadline."""
    return storage_api.sweep_stuck_jobs()
