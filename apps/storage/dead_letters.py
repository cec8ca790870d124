"""The dead-letter queue: one row per final failure of a job's attempt (a task that failed for good, or a sweep)."""

from __future__ import annotations

import json
import logging

from django.db import IntegrityError, transaction

from apps.storage import services
from apps.storage.metrics import DEAD_LETTERS_CREATED
from apps.storage.models import DeadLetter, DeadLetterStatus, PlaylistJob
from apps.storage.privacy import letter_fields

logger = logging.getLogger(__name__)


def _json_safe(value: object) -> object:
    return json.loads(json.dumps(value, default=str))


def record_dead_letter(
    *,
    task_name: str,
    task_id: str,
    job_id: str | None = None,
    args: object = (),
    kwargs: object = None,
    exception_type: str = "",
    exception_message: str = "",
    traceback: str = "",
    retries: int = 0,
    request_id: str | None = "",
) -> tuple[DeadLetter, bool]:
    """Idempotent upsert keyed on ``task_id``: the same failure reported twice stays one row.

    The person's text is left out, also where the exception quotes it (replay reads it from the job),
    so deleting or erasing a job's text leaves no copy here.
    """
    defaults = {
        "task_name": task_name,
        "job_id": job_id,
        **letter_fields(
            args=_json_safe(list(args or ())), kwargs=_json_safe(dict(kwargs or {})),
            exception_message=exception_message, traceback=traceback,
        ),
        "exception_type": exception_type[:200],
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


def fail_with_letter(job_id: str, letter: dict, **failure) -> services.Outcome:
    """Fail the job (``services.fail_job`` arguments) and record ``letter`` for it in the same transaction."""

    def write_letter(job: PlaylistJob) -> None:
        record_dead_letter(**{**letter, "job_id": job_id, "request_id": letter.get("request_id") or job.request_id})

    return services.fail_job(job_id, on_failed=write_letter, **failure)


def record_task_failure(
    *,
    task_name: str,
    task_id: str,
    job_id: str | None,
    attempt: int | None,
    args: object,
    kwargs: object,
    exception: BaseException,
    traceback: str,
    retries: int,
    request_id: str | None,
) -> DeadLetter | None:
    """A task failed for good: fail its job's attempt and dead-letter it, exactly once.

    A failure of an older attempt, or of a job that has already ended (e.g. swept), changes
    nothing and is logged, not dead-lettered again: one letter per final failure.
    """
    letter = {
        "task_name": task_name,
        "task_id": task_id,
        "args": args,
        "kwargs": kwargs,
        "exception_type": f"{type(exception).__module__}.{type(exception).__qualname__}",
        "exception_message": str(exception)[:4000],
        "traceback": traceback or "",
        "retries": retries,
        "request_id": request_id,
    }
    if not job_id:
        return record_dead_letter(**letter)[0]
    outcome = fail_with_letter(job_id, letter, attempt=attempt)
    if outcome.state is None:  # the job is gone: keep the letter for the record
        return record_dead_letter(job_id=job_id, **letter)[0]
    if not outcome.changed:
        logger.warning("task %s failed for a job that is %s (%s); not dead-lettered", task_name, outcome.state.status, outcome.reason)
        return None
    return DeadLetter.objects.filter(task_id=task_id).first()


def resolve_dead_letters(letter_ids: list[int]) -> int:
    return DeadLetter.objects.filter(pk__in=letter_ids).update(status=DeadLetterStatus.RESOLVED)
