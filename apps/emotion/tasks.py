"""Emotion's Celery tasks (queue ``emotion``): thin wrappers over ``apps.emotion.api``."""

from __future__ import annotations

import logging

from celery import shared_task

from apps.core.pipeline import PIPELINE_STEP_OPTIONS, report_stage
from apps.emotion import api

logger = logging.getLogger(__name__)


@shared_task(name="apps.emotion.tasks.predict", **PIPELINE_STEP_OPTIONS)
def predict(self, payload: dict) -> dict:
    """Read the mood of ``payload["text"]``; returns the payload with ``prediction`` (Prediction.to_dict())."""
    report_stage(payload.get("job_id"), "predicting")
    prediction = api.predict(payload["text"]).to_dict()
    logger.info("emotion predicted: %s", prediction.get("top_emotion"))
    return {**payload, "prediction": prediction}
