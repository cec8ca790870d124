"""A person's data in storage: what is kept, the export, deletion, and retention of the texts.

What people write is close to health data. Deleting is immediate and complete in the database
(the job and every dead letter of it, in one transaction); the retention sweep erases a job's
text (with the words of it that moved the reading, and the copies in its dead letters) once it is
older than ``JOB_TEXT_RETENTION_DAYS``, while the playlist and the reading stay. Dead letters never
store the text, or those words, in the first place (``letter_fields``): replay composes the chain
from the job, not from the letter. What counts as a person's words is the log redaction's
definition (``apps.core.privacy.SENSITIVE_KEYS``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.core.events import publish
from apps.core.privacy import REDACTED, SENSITIVE_KEYS, redact_text, sensitive_values
from apps.storage.metrics import TEXTS_ERASED
from apps.storage.models import TERMINAL_STATUSES, DeadLetter, Outcome, PlaylistJob
from apps.storage.outcomes import OutcomeState
from apps.storage.services import job_group
from apps.storage.state import PREDICTION_WORDS, EventType, JobState

logger = logging.getLogger(__name__)

ERASE_BATCH = 500


def without_text(value: object) -> object:
    """``value`` (a task's args or kwargs) with every ``"text"``, ``"word"`` (of a prediction's words) or password
    replaced by ``[redacted]``."""
    if isinstance(value, dict):
        return {key: REDACTED if key in SENSITIVE_KEYS else without_text(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [without_text(item) for item in value]
    return value


def letter_fields(*, args: object, kwargs: object, exception_message: str, traceback: str) -> dict:
    """A dead letter's payload and exception without the person's words: the payload's text is replaced,
    and wherever the exception or its traceback quotes it, that is redacted too."""
    words = sensitive_values([args, kwargs])
    return {
        "args": without_text(args),
        "kwargs": without_text(kwargs),
        "exception_message": redact_text(exception_message, words),
        "traceback": redact_text(traceback, words),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _user_letters(user_id: object):
    return DeadLetter.objects.filter(job_id__in=PlaylistJob.objects.filter(user_id=user_id).values("pk"))


# --- What is stored, and the export ------------------------------------------------------------------


def stored_counts(user_id: object) -> dict[str, int]:
    """How much storage holds about the user (the account page and the admin show these)."""
    jobs = PlaylistJob.objects.filter(user_id=user_id)
    return {
        "playlists": jobs.count(),
        "texts_kept": jobs.filter(text_erased_at__isnull=True).count(),
        "texts_erased": jobs.filter(text_erased_at__isnull=False).count(),
        "outcomes": Outcome.objects.filter(job__user_id=user_id).count(),
        "failure_records": _user_letters(user_id).count(),
    }


def export(user_id: object) -> dict[str, list[dict]]:
    """Every playlist of the user (the full job state with its text, and how they felt after it) and the
    failure records of them, oldest first."""
    jobs = PlaylistJob.objects.filter(user_id=user_id).order_by("created_at", "id")
    outcomes = {outcome.job_id: outcome for outcome in Outcome.objects.filter(job__user_id=user_id)}
    playlists = [
        {
            **JobState.of(job).to_dict(),
            "text_erased_at": _iso(job.text_erased_at),
            "outcome": OutcomeState.of(outcomes[job.pk], job).to_dict() if job.pk in outcomes else None,
        }
        for job in jobs.iterator()
    ]
    letters = _user_letters(user_id).order_by("created_at", "pk")
    failures = [
        {"job_id": str(letter.job_id), "task": letter.task_name, "created_at": _iso(letter.created_at), "status": letter.status}
        for letter in letters.iterator()
    ]
    return {"playlists": playlists, "failure_records": failures}


# --- Deletion ------------------------------------------------------------------------------------------


def delete_job(job_id: str, user_id: object) -> bool:
    """Delete one of the user's jobs, its outcome and dead letters; open sockets on it close. False if not theirs (or gone)."""
    with transaction.atomic():
        _, by_model = PlaylistJob.objects.filter(pk=job_id, user_id=user_id).delete()
        if not by_model.get(PlaylistJob._meta.label):
            return False
        DeadLetter.objects.filter(job_id=job_id).delete()
        transaction.on_commit(lambda: publish(job_group(job_id), {"type": EventType.DELETED, "job_id": str(job_id)}))
    logger.info("job deleted by its owner")
    return True


def delete_user_jobs(user_id: object) -> dict[str, int]:
    """Delete every job of the user, their outcomes and dead letters, in one transaction. Returns how many of each."""
    with transaction.atomic():
        letters, _ = _user_letters(user_id).delete()
        _, by_model = PlaylistJob.objects.filter(user_id=user_id).delete()  # outcomes cascade
    deleted = {
        "playlists": by_model.get(PlaylistJob._meta.label, 0),
        "outcomes": by_model.get(Outcome._meta.label, 0),
        "failure_records": letters,
    }
    logger.info("history deleted by its owner: %(playlists)s playlists, %(outcomes)s outcomes, %(failure_records)s failure records", deleted)
    return deleted


# --- Retention -----------------------------------------------------------------------------------------


def retention_days() -> int:
    return int(getattr(settings, "JOB_TEXT_RETENTION_DAYS", 0) or 0)


def erase_expired_texts(days: int | None = None) -> int:
    """Erase the text of every finished job created more than ``days`` ago (with the words of it its prediction
    keeps, and its letters' copies). Returns how many.

    ``days`` defaults to ``JOB_TEXT_RETENTION_DAYS``; 0 (off) erases nothing. A job still in
    progress keeps its text until it ends (its steps need it).
    """
    days = retention_days() if days is None else days
    if days <= 0:
        return 0
    cutoff = timezone.now() - timedelta(days=days)
    expired = PlaylistJob.objects.filter(text_erased_at__isnull=True, created_at__lt=cutoff, status__in=TERMINAL_STATUSES)
    erased = 0
    while batch := dict(expired.order_by("created_at").values_list("pk", "text")[:ERASE_BATCH]):
        with transaction.atomic():
            count = PlaylistJob.objects.filter(pk__in=list(batch), text_erased_at__isnull=True).update(
                text="", text_erased_at=timezone.now()
            )
            _erase_words(list(batch))
            _erase_from_letters(batch)
        erased += count
        if len(batch) < ERASE_BATCH:
            break
    if erased:
        TEXTS_ERASED.inc(erased)
        logger.info("retention erased %s texts older than %s days", erased, days)
    return erased


def _erase_words(job_ids: list) -> None:
    """The words that moved the reading are fragments of the text: they go with it (the reading stays).
    Idempotent, in the transaction that erases the text."""
    jobs = list(PlaylistJob.objects.filter(pk__in=job_ids, prediction__has_key=PREDICTION_WORDS).only("pk", "prediction"))
    for job in jobs:
        job.prediction = {key: value for key, value in job.prediction.items() if key != PREDICTION_WORDS}
    PlaylistJob.objects.bulk_update(jobs, ["prediction"])  # one statement for the batch, not one per job


def _erase_from_letters(texts_by_job: dict) -> None:
    """Letters written before they stopped keeping texts, and any text quoted in an exception message."""
    for letter in DeadLetter.objects.filter(job_id__in=list(texts_by_job)):
        text = texts_by_job.get(letter.job_id) or ""
        payload = {"args": letter.args, "kwargs": letter.kwargs, "text": text}  # the job's own text, quoted or not
        words = sensitive_values(payload)
        letter.args, letter.kwargs = without_text(letter.args), without_text(letter.kwargs)
        letter.exception_message = redact_text(letter.exception_message, words)
        letter.traceback = redact_text(letter.traceback, words)
        letter.save(update_fields=["args", "kwargs", "exception_message", "traceback"])
