"""Orchestration of a playlist job: the Celery chain across the service queues.

The gateway knows the pipeline; each service knows only its own task. Steps are named
(not imported), so the gateway never loads the model or the catalog code:
``emotion.predict`` (queue emotion) → ``music.generate`` (queue music) → ``storage.save_result``
(queue storage), passing one JSON payload dict along.
"""

from __future__ import annotations

import logging

from celery import chain, signature
from django.conf import settings

from apps.core import context
from apps.emotion import api as emotion_api
from apps.storage import api as storage_api

logger = logging.getLogger(__name__)

PREDICT_TASK = "apps.emotion.tasks.predict"
GENERATE_TASK = "apps.music.tasks.generate"
SAVE_TASK = "apps.storage.tasks.save_result"

DEFAULT_LENGTH = 10
MIN_LENGTH = 3
MAX_LENGTH = 50


def text_max_chars() -> int:
    return int(getattr(settings, "JOB_TEXT_MAX_CHARS", 2000))


def deadline_seconds() -> float:
    """A job not finished this long after it was (re)queued is failed and dead-lettered by the sweep."""
    return float(getattr(settings, "JOB_DEADLINE_SECONDS", 120))


class PipelineUnavailable(Exception):
    """The broker could not take the job (Redis down): nothing was created."""


class JobDeadlineExceeded(Exception):
    """Recorded as the exception of a swept job's dead letter."""


def payload_for(state: dict) -> dict:
    return {
        "job_id": state["job_id"],
        "text": state["text"],
        "target_emotion": state["target_emotion"],
        "target_point": list(state["target_point"]),
        "length": state["length"],
    }


def pipeline(payload: dict):
    return chain(signature(PREDICT_TASK, args=(payload,)), signature(GENERATE_TASK), signature(SAVE_TASK))


def start_job(*, user_id: object, text: str, target_emotion: str, length: int, request_id: str | None) -> dict:
    """Create the job and enqueue its chain; no model or playlist work happens here.

    If the broker refuses the message the job is removed again and ``PipelineUnavailable`` raised,
    so a failed POST leaves nothing behind.
    """
    target = emotion_api.target_point(target_emotion)
    state = storage_api.create_job(
        user_id=user_id, text=text, target_emotion=target_emotion, target_point=target, length=length,
        request_id=request_id or "",
    )
    with context.bind(job_id=state["job_id"], user_id=user_id):
        try:
            # retry=False: answer 503 at once rather than holding the request while Redis is down.
            pipeline(payload_for(state)).apply_async(retry=False)
        except Exception as exc:
            storage_api.discard_job(state["job_id"])
            logger.error("could not enqueue job: %s", exc.__class__.__name__)
            raise PipelineUnavailable(str(exc)) from exc
        logger.info("job queued")
    return state


def replay_spec(state: dict, reason: str) -> dict:
    """A dead letter that restarts the whole chain for this job when replayed."""
    rest = [dict(signature(SAVE_TASK)), dict(signature(GENERATE_TASK))]  # Celery keeps a chain's rest reversed
    return {
        "task_name": PREDICT_TASK,
        "task_id": f"sweep-{state['job_id']}-{state['seq']}",
        "args": [payload_for(state)],
        "kwargs": {},
        "chain": rest,
        "exception_type": f"{JobDeadlineExceeded.__module__}.{JobDeadlineExceeded.__qualname__}",
        "exception_message": reason,
    }


TIMED_OUT_MESSAGE = "Your playlist took too long to prepare. Please try again."


def sweep_stuck_jobs() -> int:
    """Fail and dead-letter every job still in progress past the deadline. Returns how many."""
    deadline = deadline_seconds()
    swept = 0
    for state in storage_api.stuck_jobs(deadline):
        reason = f"job was still {state['status']} more than {deadline:g}s after it was queued"
        with context.bind(job_id=state["job_id"]):
            if storage_api.fail_job(state["job_id"], "timed_out", TIMED_OUT_MESSAGE, dead_letter=replay_spec(state, reason)):
                swept += 1
                logger.warning("stuck job swept: %s", reason)
    return swept
