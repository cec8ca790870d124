"""Composition of a playlist job's chain across the service queues (storage owns the job itself).

The gateway knows the pipeline; each service knows only its own task. Steps are named
(not imported), so the gateway never loads the model or the catalog code:
``emotion.predict`` (queue emotion) → ``music.generate`` (queue music) → ``storage.save_result``
(queue storage), passing one JSON payload dict along, whose envelope (``job_id``, ``attempt``)
each step's gate checks with storage. Replays reach ``launch_chain`` through storage's seam.
"""

from __future__ import annotations

import logging

from celery import chain, signature, uuid
from django.conf import settings

from apps.core import context, privacy
from apps.storage import api as storage_api

logger = logging.getLogger(__name__)

PREDICT_TASK = "apps.emotion.tasks.predict"
GENERATE_TASK = "apps.music.tasks.generate"
SAVE_TASK = "apps.storage.tasks.save_result"

DEFAULT_LENGTH = 10
MIN_LENGTH = 3
MAX_LENGTH = 50
MAX_SEED = 2**53 - 1  # seeds travel through JavaScript numbers exactly


def text_max_chars() -> int:
    return int(getattr(settings, "JOB_TEXT_MAX_CHARS", 2000))


class PipelineUnavailable(Exception):
    """The broker could not take the job (Redis down): nothing was created."""


def payload_for(state: storage_api.JobState) -> dict:
    """The chain's payload: the envelope (job id and attempt, checked by every step's gate) and the request."""
    return {
        "job_id": state.job_id,
        "attempt": state.attempt,
        "text": state.text,
        "target_emotion": state.target_emotion,
        "target_point": list(state.target_point),
        "length": state.length,
        "journey": state.journey.to_dict(),
    }


# What each step's message shows of its one argument, the payload. Given here, Celery skips its own
# ``saferepr`` of the payload (8 % of a POST's CPU, and as much per step in the worker) that the
# before-publish hook (apps/core/celery_signals.py) would overwrite with this same redacted text anyway.
# Options travel with the chain, so the worker's sends of the later steps use it too.
_STEP_REPR = dict(zip(("argsrepr", "kwargsrepr"), privacy.celery_argsrepr((None,), {}), strict=True))


def pipeline(payload: dict, first_task_id: str | None = None):
    first_options = {"task_id": first_task_id} if first_task_id else {}
    first = signature(PREDICT_TASK, args=(payload,), **first_options, **_STEP_REPR)
    return chain(first, signature(GENERATE_TASK, **_STEP_REPR), signature(SAVE_TASK, **_STEP_REPR))


def launch_chain(state: storage_api.JobState) -> str:
    """Send the chain for the job's current attempt (new jobs, and replays through storage). Returns the first task id.

    ``retry=False``: a POST answers 503 at once rather than holding the request while Redis is down.
    """
    first_task_id = uuid()
    with context.bind(job_id=state.job_id):
        pipeline(payload_for(state), first_task_id).apply_async(retry=False)
    return first_task_id


def start_job(
    *,
    user_id: object,
    text: str,
    target_emotion: str | None,
    target_point: tuple[float, float],
    length: int,
    request_id: str | None,
    journey: storage_api.Journey = storage_api.Journey(),
) -> storage_api.JobState:
    """Create the job and enqueue its chain; no model or playlist work happens here.

    ``target_emotion`` is None for a point chosen on the plane. If the broker refuses the message the
    job is removed again and ``PipelineUnavailable`` raised, so a failed POST leaves nothing behind.
    """
    state = storage_api.create_job(
        user_id=user_id, text=text, target_emotion=target_emotion, target_point=target_point, length=length,
        request_id=request_id or "", journey=journey,
    )
    with context.bind(job_id=state.job_id, user_id=user_id):
        try:
            launch_chain(state)
        except Exception as exc:
            storage_api.discard_job(state.job_id)
            logger.error("could not enqueue job: %s", exc.__class__.__name__)
            raise PipelineUnavailable(str(exc)) from exc
        logger.info("job queued")
    return state


class NothingToReroute(ValueError):
    """The job's state does not allow it (no playlist yet, or nothing after the song playing now): a
    conflict with the job, not a malformed request; ``field`` names what to fix."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def reroute_job(
    parent: storage_api.JobState,
    *,
    user_id: object,
    position: int,
    text: str | None,
    start: tuple[float, float] | None,
    request_id: str | None,
) -> storage_api.JobState:
    """A new job re-planning ``parent``'s songs after ``position`` toward the same goal, linked to it.

    The songs up to and including ``position`` (and those the parent itself left out) count as played
    and are left out of the new plan; the new playlist has as many songs as were still to come (at least
    MIN_LENGTH). Its start is ``start`` when given, else where the reading of ``text`` places you; without
    text the parent's words are read again (a cached reading) so the job has its breakdown. Waypoints are
    not carried over (the path starts again from how you feel now); pacing and seed are.
    """
    songs = (parent.playlist or {}).get("songs") or []
    if parent.status != "completed" or not songs:
        raise NothingToReroute("job", "Only a finished playlist can be re-routed.")
    if position >= len(songs) - 1:
        raise NothingToReroute("position", f"Choose a song before the last one (0 to {len(songs) - 2}).")
    if not text and not parent.text:
        raise NothingToReroute("text", "The earlier words were erased: say how you feel now.")
    length = max(MIN_LENGTH, len(songs) - position - 1)
    played = tuple(parent.journey.exclude_song_ids) + tuple(int(song["id"]) for song in songs[: position + 1])
    journey = storage_api.Journey(
        start_point=start,
        stay=min(parent.journey.stay, length - 1),
        max_step=parent.journey.max_step,
        artist_cap=parent.journey.artist_cap,
        seed=parent.journey.seed,
        rerouted_from=parent.job_id,
        exclude_song_ids=played,
    )
    return start_job(
        user_id=user_id,
        text=text or parent.text,
        target_emotion=parent.target_emotion,
        target_point=tuple(parent.target_point),
        length=length,
        request_id=request_id,
        journey=journey,
    )
