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
    """Walk from the start (chosen, or the predicted point) to ``payload["target_point"]`` shaped by
    ``payload["journey"]`` (storage's Journey.to_dict()); adds ``playlist`` (Playlist.to_dict())."""
    prediction, journey = payload["prediction"], payload.get("journey") or {}
    start = journey.get("start_point") or (prediction["valence"], prediction["arousal"])
    start, target = (float(start[0]), float(start[1])), (float(payload["target_point"][0]), float(payload["target_point"][1]))
    options = {
        "length": int(payload.get("length") or 10),
        "exclude": journey.get("exclude_song_ids") or (),
        "waypoints": [tuple(p) for p in journey.get("waypoints") or ()],
        "stay": int(journey.get("stay") or 0),
        "max_step": journey.get("max_step"),
        "artist_cap": journey.get("artist_cap"),
    }
    seed = journey.get("seed")
    # A seed asks for another path than the best one (the playlist's seed says which reproduces it).
    made = api.generate_playlist(start, target, **options) if seed is None else api.another_path(start, target, seed, **options)
    playlist = made.to_dict()
    logger.info("playlist generated: %d songs", len(playlist.get("songs") or ()))
    return {**payload, "playlist": playlist}
