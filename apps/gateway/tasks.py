"""Gateway's periodic Celery tasks (default queue ``gateway``; scheduled by beat, see settings)."""

from __future__ import annotations

from celery import shared_task

from apps.gateway import jobs


@shared_task(name="apps.gateway.tasks.sweep_stuck_jobs", ignore_result=True)
def sweep_stuck_jobs() -> int:
    """A job must never stay in progress forever: fail and dead-letter those past the deadline."""
    return jobs.sweep_stuck_jobs()
