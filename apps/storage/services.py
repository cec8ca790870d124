"""Writes: job state transitions (each bumps ``seq``, commits, then publishes) and dead letters."""

from __future__ import annotations

import json
import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core import context
from apps.core.events import job_group, publish
from apps.core.metrics import (
    DEAD_LETTERS_CREATED,
    JOB_DURATION_MS,
    JOB_STAGE_DURATION_MS,
    JOBS_CREATED,
    JOBS_FINISHED,
)
from apps.storage.models import (
    IN_PROGRESS_STATUSES,
    DeadLetter,
    DeadLetterStatus,
    JobStatus,
    PlaylistJob,
)
from apps.storage.selectors import job_state

logger = logging.getLogger(__name__)

# Stages move forward only; a repeated report (a retried task) is a no-op.
_ORDER = {status: index for index, status in enumerate(IN_PROGRESS_STATUSES)}
_STAGE_TIMESTAMP = {
    JobStatus.PREDICTING: "predicting_at",
    JobStatus.GENERATING: "generating_at",
    JobStatus.SAVING: "saving_at",
}
EVENT_TYPES = {JobStatus.COMPLETED: "job.completed", JobStatus.FAILED: "job.failed"}


def event_for(state: dict, event_type: str | None = None) -> dict:
    """A socket event carrying the full job state (type follows the status unless given)."""
    kind = event_type or EVENT_TYPES.get(state["status"], "job.progress")
    return {"type": kind, "job_id": state["job_id"], "status": state["status"], "seq": state["seq"], "job": state}


def _publish_after_commit(state: dict) -> None:
    transaction.on_commit(lambda: publish(job_group(state["job_id"]), event_for(state)))


def _ms(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max((end - start).total_seconds() * 1000.0, 0.0)


def create_job(
    *, user_id: object, text: str, target_emotion: str, target_point: tuple[float, float], length: int, request_id: str = ""
) -> dict:
    now = timezone.now()
    job = PlaylistJob.objects.create(
        user_id=user_id,
        text=text,
        target_emotion=target_emotion,
        target_valence=float(target_point[0]),
        target_arousal=float(target_point[1]),
        length=length,
        request_id=request_id or "",
        created_at=now,
        updated_at=now,
        queued_at=now,
    )
    JOBS_CREATED.inc()
    return job_state(job)


def discard_job(job_id: str) -> None:
    """Delete a job whose pipeline could not be started (nothing was published for it)."""
    PlaylistJob.objects.filter(pk=job_id, status=JobStatus.QUEUED, seq=0).delete()


def _locked(job_id: str) -> PlaylistJob | None:
    return PlaylistJob.objects.select_for_update().filter(pk=job_id).first()


def record_stage(job_id: str, stage: str) -> dict | None:
    """Move a job forward to ``stage`` (predicting, generating, saving). Returns the new state, or None."""
    stage = JobStatus(stage)
    if stage not in _STAGE_TIMESTAMP:
        raise ValueError(f"not a stage: {stage!r}")
    with transaction.atomic():
        job = _locked(job_id)
        if job is None or job.status not in _ORDER or _ORDER[job.status] >= _ORDER[stage]:
            if job is not None and job.status != stage:
                logger.warning("job is %s; not moving it to %s", job.status, stage)
            return None
        now = timezone.now()
        job.status = stage
        job.seq += 1
        job.updated_at = now
        setattr(job, _STAGE_TIMESTAMP[stage], now)
        job.save()
        state = job_state(job)
        _publish_after_commit(state)
    logger.info("job stage %s", stage)
    return state


def complete_job(job_id: str, prediction: dict, playlist: dict) -> dict | None:
    """Store the result and complete the job (through the saving stage). None if it already ended."""
    record_stage(job_id, JobStatus.SAVING)
    with transaction.atomic():
        job = _locked(job_id)
        if job is None or job.status != JobStatus.SAVING:
            logger.warning("job is %s; result not saved", job.status if job else "missing")
            return None
        now = timezone.now()
        job.status = JobStatus.COMPLETED
        job.seq += 1
        job.updated_at = job.completed_at = now
        job.prediction = prediction
        job.top_emotion = str(prediction.get("top_emotion") or "")
        job.start_valence = prediction.get("valence")
        job.start_arousal = prediction.get("arousal")
        job.model_version = str(prediction.get("model_version") or "")
        job.playlist = playlist
        job.catalog_version = str(playlist.get("catalog_version") or "")
        job.engine_version = str(playlist.get("engine_version") or "")
        job.error_code = job.error_message = ""
        job.save()
        state = job_state(job)
        _publish_after_commit(state)
    JOBS_FINISHED.labels(outcome="completed").inc()
    JOB_DURATION_MS.labels(outcome="completed").observe(_ms(job.queued_at, job.completed_at))
    stages = (
        ("queued", job.queued_at, job.predicting_at),
        ("predicting", job.predicting_at, job.generating_at),
        ("generating", job.generating_at, job.saving_at),
        ("saving", job.saving_at, job.completed_at),
    )
    for name, start, end in stages:
        duration = _ms(start, end)
        if duration is not None:
            JOB_STAGE_DURATION_MS.labels(stage=name).observe(duration)
    logger.info("job completed")
    return state


def fail_job(job_id: str, code: str, message: str, dead_letter: dict | None = None) -> dict | None:
    """Fail a job still in progress with a user-facing message; optionally dead-letter it in the same
    transaction. Returns the new state, or None if the job was missing or had already ended."""
    with transaction.atomic():
        job = _locked(job_id)
        if job is None or job.status not in _ORDER:
            return None
        now = timezone.now()
        job.status = JobStatus.FAILED
        job.seq += 1
        job.updated_at = job.failed_at = now
        job.error_code, job.error_message = code, message
        job.save()
        state = job_state(job)
        if dead_letter is not None:
            record_dead_letter(**{**dead_letter, "job_id": job_id, "request_id": dead_letter.get("request_id") or job.request_id})
        _publish_after_commit(state)
    JOBS_FINISHED.labels(outcome="failed").inc()
    JOB_DURATION_MS.labels(outcome="failed").observe(_ms(job.queued_at, job.failed_at))
    logger.warning("job failed: %s", code)
    return state


def requeue_job(job_id: str) -> dict | None:
    """Put a failed job back to queued for a replay (a fresh attempt and deadline)."""
    with transaction.atomic():
        job = _locked(job_id)
        if job is None or job.status != JobStatus.FAILED:
            return None
        now = timezone.now()
        job.status = JobStatus.QUEUED
        job.seq += 1
        job.updated_at = job.queued_at = now
        job.predicting_at = job.generating_at = job.saving_at = job.failed_at = None
        job.error_code = job.error_message = ""
        job.save()
        state = job_state(job)
        _publish_after_commit(state)
    return state


def _json_safe(value: object) -> object:
    return json.loads(json.dumps(value, default=str))


def record_dead_letter(
    *,
    task_name: str,
    task_id: str,
    job_id: str | None = None,
    args: object = (),
    kwargs: object = None,
    chain: object = None,
    exception_type: str = "",
    exception_message: str = "",
    traceback: str = "",
    retries: int = 0,
    request_id: str | None = "",
) -> tuple[DeadLetter, bool]:
    """Idempotent upsert keyed on ``task_id``: the same failure reported twice stays one row."""
    defaults = {
        "task_name": task_name,
        "job_id": job_id,
        "args": _json_safe(list(args or ())),
        "kwargs": _json_safe(dict(kwargs or {})),
        "chain": _json_safe(list(chain or ())),
        "exception_type": exception_type[:200],
        "exception_message": exception_message,
        "traceback": traceback,
        "retries": retries or 0,
        "request_id": (request_id or "")[:64],
    }
    try:
        with transaction.atomic():
            letter, created = DeadLetter.objects.get_or_create(task_id=task_id, defaults=defaults)
    except IntegrityError:  # a concurrent report of the same failure won the race
        letter, created = DeadLetter.objects.get(task_id=task_id), False
    if created:
        DEAD_LETTERS_CREATED.labels(task=task_name).inc()
        logger.error("dead letter %s for %s: %s", letter.pk, task_name, exception_type)
    return letter, created


# A message for the person, by the stage the job was in; never internals.
_FAILURE_MESSAGES = {
    JobStatus.QUEUED: ("job_failed", "We could not start your playlist. Please try again."),
    JobStatus.PREDICTING: ("prediction_failed", "We could not read the mood of your text just now. Please try again."),
    JobStatus.GENERATING: ("generation_failed", "We could not build your playlist just now. Please try again."),
    JobStatus.SAVING: ("save_failed", "We could not save your playlist just now. Please try again."),
}


def record_task_failure(
    *,
    task_name: str,
    task_id: str,
    job_id: str | None,
    args: object,
    kwargs: object,
    chain: object,
    exception: BaseException,
    traceback: str,
    retries: int,
    request_id: str | None,
) -> DeadLetter | None:
    """A task failed for good: dead-letter it and fail its job (with the event), exactly once."""
    letter_fields = {
        "task_name": task_name,
        "task_id": task_id,
        "args": args,
        "kwargs": kwargs,
        "chain": chain,
        "exception_type": f"{type(exception).__module__}.{type(exception).__qualname__}",
        "exception_message": str(exception)[:4000],
        "traceback": traceback or "",
        "retries": retries,
        "request_id": request_id,
    }
    if not job_id:
        return record_dead_letter(**letter_fields)[0]
    job = PlaylistJob.objects.filter(pk=job_id).only("status").first()
    if job is not None and job.status not in _ORDER:
        # The job's outcome is already settled (e.g. swept and dead-lettered): one row per final failure.
        logger.warning("task %s failed for a job already %s; not dead-lettered again", task_name, job.status)
        return None
    code, message = _FAILURE_MESSAGES.get(job.status if job else JobStatus.QUEUED, _FAILURE_MESSAGES[JobStatus.QUEUED])
    if job is None:
        return record_dead_letter(job_id=job_id, **letter_fields)[0]
    if fail_job(job_id, code, message, dead_letter=letter_fields) is None:
        return None
    return DeadLetter.objects.filter(task_id=task_id).first()


def replay_dead_letter(letter_id: int, send_task) -> dict:
    """Re-enqueue a dead letter's task with its original arguments (and remaining chain steps).

    ``send_task(name, args, kwargs, chain)`` sends the message and returns the new task id.
    A letter whose job has since completed is not replayed.
    """
    letter = DeadLetter.objects.get(pk=letter_id)
    job_id = str(letter.job_id) if letter.job_id else None
    if job_id:
        job = PlaylistJob.objects.filter(pk=job_id).only("status").first()
        if job is None:
            return {"id": letter.pk, "replayed": False, "reason": "job no longer exists"}
        if job.status == JobStatus.FAILED:
            requeue_job(job_id)
        elif job.status == JobStatus.COMPLETED:
            return {"id": letter.pk, "replayed": False, "reason": "job already completed"}
    try:
        with context.bind(job_id=job_id, request_id=letter.request_id or None):
            new_task_id = send_task(letter.task_name, letter.args, letter.kwargs, letter.chain or None)
    except Exception:
        if job_id:  # the job must not wait forever for a message that was never sent
            fail_job(job_id, *_FAILURE_MESSAGES[JobStatus.QUEUED])
        raise
    DeadLetter.objects.filter(pk=letter.pk).update(
        status=DeadLetterStatus.REPLAYED,
        replayed_at=timezone.now(),
        replay_count=letter.replay_count + 1,
        replay_task_id=new_task_id,
    )
    logger.info("dead letter %s replayed as %s", letter.pk, new_task_id)
    return {"id": letter.pk, "replayed": True, "task_id": new_task_id}


def resolve_dead_letters(letter_ids: list[int]) -> int:
    return DeadLetter.objects.filter(pk__in=letter_ids).update(status=DeadLetterStatus.RESOLVED)
