"""Public interface of the storage app: playlist jobs and the dead-letter queue.

Other apps import only this module. Every function takes and returns plain,
JSON-serialisable data; the job state dict is the one described in docs/jobs.md.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from apps.storage import selectors, services
from apps.storage.models import IN_PROGRESS_STATUSES, JobStatus

JOB_STATUSES: tuple[str, ...] = tuple(JobStatus.values)
STAGES: tuple[str, ...] = ("predicting", "generating", "saving")
TERMINAL_STATUSES: tuple[str, ...] = ("completed", "failed")
ACTIVE_STATUSES: tuple[str, ...] = tuple(str(status) for status in IN_PROGRESS_STATUSES)


def _uuid(value: object) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except (TypeError, ValueError, AttributeError):
        return None


def create_job(
    *, user_id: object, text: str, target_emotion: str, target_point: tuple[float, float], length: int, request_id: str = ""
) -> dict:
    """Create a queued job and return its state (publishes nothing: nobody can be listening yet)."""
    return services.create_job(
        user_id=user_id, text=text, target_emotion=target_emotion, target_point=target_point, length=length,
        request_id=request_id,
    )


def discard_job(job_id: str) -> None:
    """Remove a just-created job whose pipeline could not be enqueued (no half-created jobs)."""
    if job_uuid := _uuid(job_id):
        services.discard_job(job_uuid)


def get_job(job_id: object, user_id: object | None = None) -> dict | None:
    """The job's state, or None if it does not exist or (when ``user_id`` is given) is not that user's."""
    job_uuid = _uuid(job_id)
    job = selectors.get_job(job_uuid, user_id) if job_uuid else None
    return selectors.job_state(job) if job is not None else None


def count_jobs(user_id: object, status: str | None = None) -> int:
    return selectors.user_jobs(user_id, status).count()


def list_jobs(user_id: object, offset: int = 0, limit: int = 20, status: str | None = None) -> list[dict]:
    """The user's jobs, newest first."""
    jobs = selectors.user_jobs(user_id, status)[offset : offset + limit]
    return [selectors.job_state(job) for job in jobs]


def record_stage(job_id: str, stage: str) -> dict | None:
    """A service task started ``stage``: move the job forward, bump ``seq``, commit, publish ``job.progress``.

    Idempotent (a retried task reports its stage again: no-op); None when nothing changed.
    """
    return services.record_stage(job_id, stage)


def fail_job(job_id: str, code: str, message: str, dead_letter: dict | None = None) -> dict | None:
    """Fail a job in progress with a user-facing ``message`` and publish ``job.failed``.

    ``dead_letter`` (task_name, task_id, args, kwargs, chain, exception_type, exception_message)
    is recorded in the same transaction. None if the job had already ended.
    """
    return services.fail_job(job_id, code, message, dead_letter)


def stuck_jobs(deadline_seconds: float) -> list[dict]:
    """States of jobs still in progress whose current attempt began more than ``deadline_seconds`` ago."""
    return [selectors.job_state(job) for job in selectors.stuck_jobs(deadline_seconds)]


def job_event(state: dict, event_type: str | None = None) -> dict:
    """The socket event for a job state (``job.snapshot`` when given, else by status)."""
    return services.event_for(state, event_type)


def list_dead_letters(*, since: datetime | None = None, task_name: str | None = None, status: str | None = None) -> list[dict]:
    return [selectors.dead_letter_dict(letter) for letter in selectors.dead_letters(since=since, task_name=task_name, status=status)]


def _fresh_step(step: dict) -> dict:
    """A chain step without the ids of its first run, so a replay's failures get their own dead letters."""
    options = {key: value for key, value in (step.get("options") or {}).items() if key not in ("task_id", "parent_id", "root_id")}
    return {**step, "options": options}


def _send_task(name: str, args: list, kwargs: dict, chain: list | None) -> str:
    from celery import current_app

    steps = [_fresh_step(step) for step in chain] if chain else None
    return current_app.send_task(name, args=args, kwargs=kwargs, chain=steps).id


def replay_dead_letters(
    *, ids: list[int] | None = None, since: datetime | None = None, task_name: str | None = None
) -> list[dict]:
    """Re-enqueue dead-lettered tasks (new ones unless ``ids`` are given) with their original arguments.

    Each result: ``{"id", "replayed": bool, "task_id"?, "reason"?}``.
    """
    letters = selectors.dead_letters(since=since, task_name=task_name, status=None if ids else "new")
    if ids is not None:
        letters = letters.filter(pk__in=ids)
    return [services.replay_dead_letter(letter.pk, _send_task) for letter in letters]


def resolve_dead_letters(ids: list[int]) -> int:
    """Mark dead letters resolved (handled by hand, nothing to replay)."""
    return services.resolve_dead_letters(ids)
