"""Music's Celery tasks (queue ``music``): thin wrappers over ``apps.music.api``."""

from __future__ import annotations

import logging

from celery import shared_task

from apps.core.pipeline import PIPELINE_STEP_OPTIONS, guarded_step
from apps.music import api

logger = logging.getLogger(__name__)


@shared_task(name="apps.music.tasks.generate", **PIPELINE_STEP_OPTIONS)
@guarded_step("generating")
def generate(self, payload: dict) -> dict:
    """Walk from the predicted start point to ``payload["target_point"]``; adds ``playlist`` (Playlist.to_dict())."""
    prediction = payload["prediction"]
    start = (float(prediction["valence"]), float(prediction["arousal"]))
    target = (float(payload["target_point"][0]), float(payload["target_point"][1]))
    playlist = api.generate_playlist(start, target, length=int(payload.get("length") or 10)).to_dict()
    logger.info("playlist generated: %d songs", len(playlist.get("songs") or ()))
    return {**payload, "playlist": playlist}
