"""Storage's Celery tasks (queue ``storage``): the last step of the playlist chain."""

from __future__ import annotations

import logging

from celery import shared_task

from apps.core.pipeline import PIPELINE_STEP_OPTIONS, guarded_step
from apps.storage import services
from apps.storage.models import JobStatus

logger = logging.getLogger(__name__)


@shared_task(name="apps.storage.tasks.save_result", **PIPELINE_STEP_OPTIONS)
@guarded_step(JobStatus.SAVING)
def save_result(self, payload: dict) -> dict:
    """Store the prediction and playlist and complete the job (the gate skips a stale or finished attempt)."""
    state = services.complete_job(payload["job_id"], int(payload.get("attempt") or 1), payload["prediction"], payload["playlist"])
    logger.info("result saved" if state else "result not saved: job already ended")
    return {"job_id": payload["job_id"], "status": state.status if state else None}
