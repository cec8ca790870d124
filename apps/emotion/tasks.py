"""Emotion's Celery tasks (queue ``emotion``): thin wrappers over ``apps.emotion.api``."""

from __future__ import annotations

import logging

from celery import shared_task

from apps.core.pipeline import PIPELINE_STEP_OPTIONS, guarded_step
from apps.emotion import api

logger = logging.getLogger(__name__)


@shared_task(name="apps.emotion.tasks.predict", **PIPELINE_STEP_OPTIONS)
@guarded_step("predicting")
def predict(self, payload: dict) -> dict:
    """Read the mood of ``payload["text"]``; returns the payload with ``prediction`` (Prediction.to_dict())."""
    prediction = api.predict(payload["text"]).to_dict()
    logger.info("emotion predicted: %s", prediction.get("top_emotion"))
    return {**payload, "prediction": prediction}
