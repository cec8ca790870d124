"""Storage's Celery tasks (queue ``storage``): the last step of the playlist chain."""

from __future__ import annotations

import logging

from celery import shared_task

from apps.core.pipeline import PIPELINE_STEP_OPTIONS
from apps.storage import services

logger = logging.getLogger(__name__)


@shared_task(name="apps.storage.tasks.save_result", **PIPELINE_STEP_OPTIONS)
def save_result(self, payload: dict) -> dict:
    """Store the prediction and playlist and complete the job (idempotent: a redelivery is a no-op)."""
    state = services.complete_job(payload["job_id"], payload["prediction"], payload["playlist"])
    logger.info("result saved" if state else "result not saved: job already ended")
    return {"job_id": payload["job_id"], "status": state["status"] if state else None}
