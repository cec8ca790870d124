"""Replay: a failed job runs again as a new attempt, exactly once however many letters or callers ask.

The chain is not stored: the gateway composes it from the job's state (``set_chain_launcher``, wired
in ``GatewayConfig.ready``; an unwired launcher fails loudly). ``requeue_job`` is a compare-and-set
(failed → queued, attempt + 1) under the row lock, so of any number of concurrent replays of one
job only the one that wins it sends a chain.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from apps.core import context
from apps.storage import services
from apps.storage.models import DeadLetter, DeadLetterStatus, JobStatus, PlaylistJob
from apps.storage.state import JobState

logger = logging.getLogger(__name__)

ChainLauncher = Callable[[JobState], str]  # sends the job's chain for its current attempt; returns the first task id
_launcher: ChainLauncher | None = None


def set_chain_launcher(launcher: ChainLauncher) -> None:
    global _launcher
    _launcher = launcher


def _launch(state: JobState) -> str:
    if _launcher is None:
        raise ImproperlyConfigured("no chain launcher is wired: the gateway registers one in GatewayConfig.ready()")
    return _launcher(state)


def _why_not(outcome: services.Outcome) -> str:
    if outcome.state is None:
        return "job no longer exists"
    if outcome.state.status == JobStatus.COMPLETED:
        return "job already completed"
    return f"job is {outcome.state.status} (attempt {outcome.state.attempt}), not failed: it was already replayed"


def replay_job(job_id: str) -> tuple[JobState | None, str | None, str | None]:
    """Start a new attempt of a failed job: (state, first task id, None) or (state, None, why not)."""
    erased = PlaylistJob.objects.filter(pk=job_id, text_erased_at__isnull=False).first()
    if erased is not None:  # retention took the text the steps need
        return JobState.of(erased), None, "the job's text was erased (retention): nothing to replay"
    outcome = services.requeue_job(job_id)
    if not outcome.changed:
        return outcome.state, None, _why_not(outcome)
    state = outcome.state
    with context.bind(job_id=job_id):
        try:
            task_id = _launch(state)
        except Exception as exc:
            # The job must not wait forever for a chain that was never sent.
            services.fail_job(job_id, attempt=state.attempt)
            logger.error("replay of attempt %s could not be sent: %s", state.attempt, exc.__class__.__name__)
            return state, None, f"could not send the chain ({exc.__class__.__name__}); the job is failed again"
    logger.info("job replayed as attempt %s", state.attempt)
    return state, task_id, None


def replay_dead_letter(letter_id: int) -> dict:
    """``{"id", "replayed": bool, "task_id"?, "attempt"?, "reason"?}`` for one letter."""
    letter = DeadLetter.objects.filter(pk=letter_id).first()
    if letter is None:
        return {"id": letter_id, "replayed": False, "reason": "no such dead letter"}
    if letter.job_id is None:
        return {"id": letter.pk, "replayed": False, "reason": "not a job's letter: nothing to replay (mark it resolved)"}
    with context.bind(request_id=letter.request_id or None):
        state, task_id, why_not = replay_job(str(letter.job_id))
    if why_not is not None:
        return {"id": letter.pk, "replayed": False, "reason": why_not}
    DeadLetter.objects.filter(pk=letter.pk).update(
        status=DeadLetterStatus.REPLAYED, replayed_at=timezone.now(), replay_count=letter.replay_count + 1, replay_task_id=task_id
    )
    logger.info("dead letter %s replayed as %s", letter.pk, task_id)
    return {"id": letter.pk, "replayed": True, "task_id": task_id, "attempt": state.attempt}


def replay_dead_letters(letter_ids: Iterable[int]) -> list[dict]:
    """Replay each letter in turn; one that fails is reported and the batch carries on."""
    results = []
    for letter_id in letter_ids:
        try:
            results.append(replay_dead_letter(letter_id))
        except Exception as exc:
            logger.exception("replay of dead letter %s failed", letter_id)
            results.append({"id": letter_id, "replayed": False, "reason": f"error: {exc.__class__.__name__}"})
    return results
