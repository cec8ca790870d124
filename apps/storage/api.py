"""Public interface of the storage app: the playlist job (its state, rules and events) and the dead letters.

Other apps import only this module. Storage owns the job: every state change goes through one
transition (row lock, allowed-from and attempt checks, seq + 1, save, publish after commit).
The job state crosses the boundary as the frozen ``JobState``; docs/jobs.md draws its life.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from apps.storage import dead_letters, outcomes, privacy, replay, selectors, services, sweep
from apps.storage.models import IN_PROGRESS_STATUSES, STAGES, TERMINAL_STATUSES, JobStatus
from apps.storage.outcomes import JobNotFinished, OutcomeGroup, OutcomeState, OutcomeSummary
from apps.storage.state import JOB_STATUSES, TERMINAL_EVENTS, EventType, JobError, JobState, Journey

__all__ = [
    "IN_PROGRESS_STATUSES", "JOB_STATUSES", "STAGES", "TERMINAL_EVENTS", "TERMINAL_STATUSES",
    "EventType", "JobError", "JobState", "JobStatus", "Journey",
    "create_job", "discard_job", "get_job", "count_jobs", "list_jobs", "job_group", "set_chain_launcher",
    "JobNotFinished", "OutcomeGroup", "OutcomeState", "OutcomeSummary",
    "record_outcome", "get_outcome", "list_outcomes", "outcome_summary",
    "sweep_stuck_jobs", "list_dead_letters", "replay_dead_letters", "resolve_dead_letters",
    "stored_counts", "export_user_data", "delete_job", "delete_user_data", "erase_expired_texts", "retention_days",
]

job_group = services.job_group
set_chain_launcher = replay.set_chain_launcher


def _uuid(value: object) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except (TypeError, ValueError, AttributeError):
        return None


def create_job(
    *,
    user_id: object,
    text: str,
    target_emotion: str | None,
    target_point: tuple[float, float],
    length: int,
    request_id: str = "",
    journey: Journey = Journey(),
) -> JobState:
    """Create a queued job (attempt 1, seq 0) and return its state (publishes nothing: nobody can be listening yet).

    ``target_emotion`` is None for a point chosen on the plane; ``journey`` holds the path's shape.
    """
    return services.create_job(
        user_id=user_id, text=text, target_emotion=target_emotion, target_point=target_point, length=length,
        request_id=request_id, journey=journey,
    )


def discard_job(job_id: str) -> None:
    """Remove a just-created job whose pipeline could not be enqueued (no half-created jobs)."""
    if job_uuid := _uuid(job_id):
        services.discard_job(job_uuid)


def get_job(job_id: object, user_id: object | None = None) -> JobState | None:
    """The job's state, or None if it does not exist or (when ``user_id`` is given) is not that user's."""
    job_uuid = _uuid(job_id)
    job = selectors.get_job(job_uuid, user_id) if job_uuid else None
    return JobState.of(job) if job is not None else None


def count_jobs(user_id: object, status: str | None = None) -> int:
    return selectors.user_jobs(user_id, status).count()


def list_jobs(user_id: object, offset: int = 0, limit: int = 20, status: str | None = None) -> list[JobState]:
    """The user's jobs, newest first."""
    return [JobState.of(job) for job in selectors.user_jobs(user_id, status)[offset : offset + limit]]


def record_outcome(
    job_id: object, user_id: object, after: tuple[float, float], after_emotion: str = ""
) -> tuple[OutcomeState, bool] | None:
    """Create or change how the user felt after their completed job: ``(state, created)``; None if no such job of theirs.

    ``after`` is a (valence, arousal) point on the plane; ``after_emotion`` the named emotion it came from, if any.
    Raises ``JobNotFinished`` (a ValueError) when the job has no result yet.
    """
    job_uuid = _uuid(job_id)
    return outcomes.record_outcome(job_uuid, user_id, after, after_emotion) if job_uuid else None


def get_outcome(job_id: object, user_id: object) -> OutcomeState | None:
    """The outcome of the user's job, or None (no such job of theirs, or nothing reported yet)."""
    job_uuid = _uuid(job_id)
    outcome = selectors.get_outcome(job_uuid, user_id) if job_uuid else None
    return OutcomeState.of(outcome, outcome.job) if outcome is not None else None


def list_outcomes(user_id: object, job_ids: list[object] | None = None) -> list[OutcomeState]:
    """The user's outcomes, newest playlist first (only those of ``job_ids`` when given)."""
    ids = None if job_ids is None else [job_uuid for job_uuid in map(_uuid, job_ids) if job_uuid]
    return [OutcomeState.of(outcome, outcome.job) for outcome in selectors.user_outcomes(user_id, ids)]


def outcome_summary(user_id: object | None = None, by: str = "target") -> OutcomeSummary:
    """Counts and means of the user's outcomes (everyone's when ``user_id`` is None), grouped ``by``
    "target" (emotion) or "version" (model / engine), best group first."""
    return selectors.outcome_summary(user_id, by=by)


def sweep_stuck_jobs() -> int:
    """Fail and dead-letter jobs with no progress for ``JOB_DEADLINE_SECONDS``. Returns how many."""
    return sweep.sweep_stuck_jobs()


def list_dead_letters(*, since: datetime | None = None, task_name: str | None = None, status: str | None = None) -> list[dict]:
    return [selectors.dead_letter_dict(letter) for letter in selectors.dead_letters(since=since, task_name=task_name, status=status)]


def replay_dead_letters(
    *, ids: list[int] | None = None, since: datetime | None = None, task_name: str | None = None
) -> list[dict]:
    """Replay the jobs of dead letters (new ones unless ``ids`` are given), each at most once per failure.

    One result per letter, in order: ``{"id", "replayed": bool, "task_id"?, "attempt"?, "reason"?}``;
    a letter that cannot be replayed says why, and the batch carries on.
    """
    letters = selectors.dead_letters(since=since, task_name=task_name, status=None if ids else "new")
    if ids is not None:
        letters = letters.filter(pk__in=ids)
    return replay.replay_dead_letters(list(letters.values_list("pk", flat=True)))


def resolve_dead_letters(ids: list[int]) -> int:
    """Mark dead letters resolved (handled by hand, nothing to replay)."""
    return dead_letters.resolve_dead_letters(ids)


# --- The person's data (docs/privacy.md) ---------------------------------------------------------------


def stored_counts(user_id: object) -> dict[str, int]:
    """``{"playlists", "texts_kept", "texts_erased", "outcomes", "failure_records"}`` held about the user."""
    return privacy.stored_counts(user_id)


def export_user_data(user_id: object) -> dict[str, list[dict]]:
    """``{"playlists": [job state + text_erased_at + outcome, …], "failure_records": […]}``, oldest first."""
    return privacy.export(user_id)


def delete_job(job_id: object, user_id: object) -> bool:
    """Delete one of the user's jobs (its outcome and dead letters too); its open sockets close. False if not theirs."""
    job_uuid = _uuid(job_id)
    return privacy.delete_job(job_uuid, user_id) if job_uuid else False


def delete_user_data(user_id: object) -> dict[str, int]:
    """Delete every job of the user, their outcomes and dead letters. Returns ``{"playlists", "outcomes", "failure_records"}`` deleted."""
    return privacy.delete_user_jobs(user_id)


def erase_expired_texts(days: int | None = None) -> int:
    """Retention: erase texts of finished jobs older than ``days`` (default ``JOB_TEXT_RETENTION_DAYS``; 0 = off)."""
    return privacy.erase_expired_texts(days)


retention_days = privacy.retention_days
