"""Writes of the job: every state change goes through ``transition`` (see docs/jobs.md for the life of a job)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from django.db import connections, router, transaction
from django.utils import timezone

from apps.core.events import publish
from apps.storage.metrics import JOB_DURATION_MS, JOB_STAGE_DURATION_MS, JOBS_CREATED, JOBS_FINISHED, LATE_COMPLETIONS
from apps.storage.models import IN_PROGRESS_STATUSES, STAGES, TERMINAL_STATUSES, JobStatus, PlaylistJob
from apps.storage.state import JobState, Journey

logger = logging.getLogger(__name__)

_ORDER = {status: index for index, status in enumerate(IN_PROGRESS_STATUSES)}
_TIMESTAMP = {
    JobStatus.PREDICTING: "predicting_at",
    JobStatus.GENERATING: "generating_at",
    JobStatus.SAVING: "saving_at",
    JobStatus.COMPLETED: "completed_at",
    JobStatus.FAILED: "failed_at",
}
TIMED_OUT = "timed_out"

# Why a transition changed nothing (also the ``reason`` label of the skipped-steps metric).
MISSING, STALE_ATTEMPT, JOB_ENDED, NOT_ALLOWED = "job_missing", "stale_attempt", "job_ended", "not_allowed"


def job_group(job_id: object) -> str:
    """The Channels group a job's events go to (names allow [A-Za-z0-9._-] only)."""
    return f"job.{job_id}"


def republish(state: JobState) -> None:
    """Publish the current state again (a redelivered step, a lost event): clients drop what they have seen."""
    publish(job_group(state.job_id), state.event())


@dataclass(frozen=True)
class Outcome:
    """What a transition did: the job's state after it (None if there is no job) and, if nothing changed, why."""

    state: JobState | None
    reason: str | None = None

    @property
    def changed(self) -> bool:
        return self.reason is None


def transition(
    job_id: str,
    to: JobStatus,
    *,
    allowed_from: Collection[JobStatus],
    attempt: int | None = None,
    seq: int | None = None,
    mutate: Callable[[PlaylistJob, JobStatus, datetime], None] | None = None,
) -> Outcome:
    """The one way a job's state changes.

    In one transaction: lock the row; refuse (changing nothing) if the job is missing, ``attempt``
    is given and is not the job's current one, ``seq`` is given and the job has moved since, or
    its status is not in ``allowed_from``; otherwise set the status and its timestamp, let
    ``mutate(job, previous_status, now)`` assign its fields, bump ``seq``, save, and publish the event after the commit.
    """
    with transaction.atomic():
        job = _locked_job(job_id)
        if job is None:
            return Outcome(None, MISSING)
        if attempt is not None and job.attempt != attempt:
            return Outcome(JobState.of(job), STALE_ATTEMPT)
        if seq is not None and job.seq != seq:
            return Outcome(JobState.of(job), NOT_ALLOWED)
        if job.status not in allowed_from:
            return Outcome(JobState.of(job), JOB_ENDED if job.status in TERMINAL_STATUSES else NOT_ALLOWED)
        now, previous = timezone.now(), JobStatus(job.status)
        before = _values(job)
        job.status = to
        job.seq += 1
        job.updated_at = now
        if to in _TIMESTAMP:
            setattr(job, _TIMESTAMP[to], now)
        if mutate is not None:
            mutate(job, previous, now)
        # Only the columns that changed: an UPDATE of all 45 was most of a transition's CPU (BENCHMARKS.md).
        job.save(update_fields=[name for name, value in _values(job).items() if value != before[name]])
        state = JobState.of(job)
        transaction.on_commit(lambda: publish(job_group(state.job_id), state.event()))
    logger.info("job %s (attempt %s, seq %s)", state.status, state.attempt, state.seq)
    return Outcome(state)


_LOCK_SQL: dict[str, str] = {}  # by database alias: the compiled SELECT ... FOR UPDATE of one job


def _locked_job(job_id: str) -> PlaylistJob | None:
    """The job, its row locked until the transaction ends (FOR UPDATE where the database has it).

    The same query as ``select_for_update().filter(pk=job_id).first()``, compiled once per database:
    compiling a 45-column SELECT cost more CPU than running it (BENCHMARKS.md, "Fewer cycles per job").
    """
    alias = router.db_for_write(PlaylistJob)
    pk = PlaylistJob._meta.pk
    value = pk.to_python(job_id)  # a malformed id fails here, as it does in filter()
    sql = _LOCK_SQL.get(alias)
    if sql is None:
        query = PlaylistJob.objects.using(alias).select_for_update().filter(pk=value).query
        sql = _LOCK_SQL[alias] = query.get_compiler(using=alias).as_sql()[0]
    return next(iter(PlaylistJob.objects.db_manager(alias).raw(sql, [pk.get_db_prep_value(value, connections[alias])])), None)


def _values(job: PlaylistJob) -> dict[str, object]:
    """The row's column values by field name (``mutate`` assigns fields; it never changes a value in place)."""
    return {field.name: getattr(job, field.attname) for field in _COLUMNS}


_COLUMNS = [field for field in PlaylistJob._meta.concrete_fields if not field.primary_key]


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
    now = timezone.now()
    job = PlaylistJob.objects.create(
        **journey.fields(),
        user_id=user_id,
        text=text,
        target_emotion=target_emotion or "",
        target_valence=float(target_point[0]),
        target_arousal=float(target_point[1]),
        length=length,
        request_id=request_id or "",
        created_at=now,
        updated_at=now,
        queued_at=now,
    )
    JOBS_CREATED.inc()
    return JobState.of(job)


def discard_job(job_id: str) -> None:
    """Delete a job whose pipeline could not be started (nothing was published for it)."""
    PlaylistJob.objects.filter(pk=job_id, status=JobStatus.QUEUED, seq=0).delete()


def admit_step(stage: str, payload: dict, carrier: str | None = None) -> str | None:
    """The pipeline's step gate: may this message (``payload["job_id"]``, ``payload["attempt"]``) enter ``stage``?

    None (go on) when the job moved forward to ``stage`` (recording ``carrier``, the broker message the
    step runs under), or is already in it (a redelivered step whose work is not done), or is in a later
    stage that ``carrier`` itself moved it into: the later steps ran in that message's process, which
    died before acknowledging it, so its redelivery redoes them. Otherwise the reason, and no state
    change: a stale attempt, a job that has ended, or a stage already passed. A refused step re-publishes
    the current state, so an event lost between a commit and its publish reaches open sockets when the
    step is redelivered.
    """
    stage = JobStatus(stage)
    if stage not in STAGES:
        raise ValueError(f"not a stage: {stage!r}")
    job_id, attempt = payload.get("job_id"), int(payload.get("attempt") or 1)
    if not job_id:
        return MISSING

    def record_carrier(job: PlaylistJob, previous: JobStatus, now: datetime) -> None:
        job.stage_carrier = carrier or ""

    earlier = [status for status in IN_PROGRESS_STATUSES if _ORDER[status] < _ORDER[stage]]
    outcome = transition(str(job_id), stage, allowed_from=earlier, attempt=attempt, mutate=record_carrier)
    if outcome.changed:
        return None
    state = outcome.state
    if state is None:
        return outcome.reason
    republish(state)
    if outcome.reason == NOT_ALLOWED and state.status == stage:
        return None  # redelivered mid-stage: the work was not done
    if outcome.reason == NOT_ALLOWED and carrier and _carried_by(state, carrier):
        return None  # the carrier of the later stages, redelivered: redo its steps up to the current one
    if outcome.reason == JOB_ENDED and state.error and state.error.code == TIMED_OUT:
        _late_completion(state, stage)
    return outcome.reason


def _carried_by(state: JobState, carrier: str) -> bool:
    """Is the job (still in progress, same attempt) in a stage that ``carrier`` moved it into? (Only a redelivery asks.)"""
    return PlaylistJob.objects.filter(
        pk=state.job_id, attempt=state.attempt, status__in=STAGES, stage_carrier=carrier
    ).exists()


def _late_completion(state: JobState, stage: str) -> None:
    """A step of the swept attempt finished its work after the sweep: its result is dropped, but not silently."""
    LATE_COMPLETIONS.labels(stage=stage).inc()
    logger.warning("a step of attempt %s finished after the job was swept (timed_out); its result is discarded before %s", state.attempt, stage)


def _ms(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max((end - start).total_seconds() * 1000.0, 0.0)


def complete_job(job_id: str, attempt: int, prediction: dict, playlist: dict) -> JobState | None:
    """Store the result of a job in its saving stage and complete it. None (nothing changed) otherwise."""

    stages = []

    def store_result(job: PlaylistJob, previous: JobStatus, now: datetime) -> None:
        stages.extend([
            (JobStatus.QUEUED, job.queued_at, job.predicting_at),
            (JobStatus.PREDICTING, job.predicting_at, job.generating_at),
            (JobStatus.GENERATING, job.generating_at, job.saving_at),
            (JobStatus.SAVING, job.saving_at, now),
        ])
        job.prediction = prediction
        job.top_emotion = str(prediction.get("top_emotion") or "")
        job.start_valence = prediction.get("valence")
        job.start_arousal = prediction.get("arousal")
        job.model_version = str(prediction.get("model_version") or "")
        job.playlist = playlist
        job.catalog_version = str(playlist.get("catalog_version") or "")
        job.engine_version = str(playlist.get("engine_version") or "")

    outcome = transition(job_id, JobStatus.COMPLETED, allowed_from=(JobStatus.SAVING,), attempt=attempt, mutate=store_result)
    if not outcome.changed:
        state = outcome.state
        if state is not None and state.error and state.error.code == TIMED_OUT and state.attempt == attempt:
            _late_completion(state, JobStatus.COMPLETED)  # swept between the saving gate and here
        logger.warning("result not saved: %s", outcome.reason)
        return None
    JOBS_FINISHED.labels(outcome=JobStatus.COMPLETED.value).inc()
    JOB_DURATION_MS.labels(outcome=JobStatus.COMPLETED.value).observe(_ms(stages[0][1], stages[-1][2]))
    for name, start, end in stages:
        if (duration := _ms(start, end)) is not None:
            JOB_STAGE_DURATION_MS.labels(stage=str(name)).observe(duration)
    return outcome.state


# A message for the person, by the status the job was in; never internals.
FAILURES = {
    JobStatus.QUEUED: ("job_failed", "We could not start your playlist. Please try again."),
    JobStatus.PREDICTING: ("prediction_failed", "We could not read the mood of your text just now. Please try again."),
    JobStatus.GENERATING: ("generation_failed", "We could not build your playlist just now. Please try again."),
    JobStatus.SAVING: ("save_failed", "We could not save your playlist just now. Please try again."),
}
TIMED_OUT_MESSAGE = "Your playlist took too long to prepare. Please try again."


def fail_job(
    job_id: str,
    *,
    code: str | None = None,
    message: str | None = None,
    attempt: int | None = None,
    seq: int | None = None,
    on_failed: Callable[[PlaylistJob], None] | None = None,
) -> Outcome:
    """Fail a job in progress (of ``attempt`` / at ``seq`` when given) with a message for the person.

    Without ``code`` the message is the one for the stage it was in. ``on_failed`` runs in the
    same transaction (the dead letter), so a failure is recorded together with its letter or not at all.
    """

    durations = []

    def record_failure(job: PlaylistJob, previous: JobStatus, now: datetime) -> None:
        durations.append(_ms(job.queued_at, now))
        job.failed_stage = previous
        job.error_code, job.error_message = (code, message) if code else FAILURES[previous]
        if on_failed is not None:
            on_failed(job)

    outcome = transition(
        job_id, JobStatus.FAILED, allowed_from=IN_PROGRESS_STATUSES, attempt=attempt, seq=seq, mutate=record_failure
    )
    if outcome.changed:
        JOBS_FINISHED.labels(outcome=JobStatus.FAILED.value).inc()
        JOB_DURATION_MS.labels(outcome=JobStatus.FAILED.value).observe(durations[0])
        logger.warning("job failed: %s", outcome.state.error.code)
    return outcome


def requeue_job(job_id: str) -> Outcome:
    """Compare-and-set a failed job back to queued as a new attempt (a replay). Only one caller wins."""

    def new_attempt(job: PlaylistJob, previous: JobStatus, now: datetime) -> None:
        job.attempt += 1
        job.queued_at = now
        job.predicting_at = job.generating_at = job.saving_at = job.failed_at = None
        job.error_code = job.error_message = job.failed_stage = ""

    return transition(job_id, JobStatus.QUEUED, allowed_from=(JobStatus.FAILED,), mutate=new_attempt)
