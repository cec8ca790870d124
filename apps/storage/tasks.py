"""Storage's Celery tasks (queue ``storage``): the last step of the playlist chain."""

from __future__ import annotations

import logging

from celery import shared_task

from apps.core.pipeline import TRANSIENT_ERRORS
from apps.storage import services

logger = logging.getLogger(__name__)


@shared_task(
    name="apps.storage.tasks.save_result",
    bind=True,
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=1,
    retry_backoff_max=10,
    max_retries=3,
    retry_on_worker_lost=True,
    default_retry_delay=2,
)
def save_result(self, payload: dict) -> dict:
    """Store the prediction and playlist and complete the job (idempotent: a redelivery is a no-op)."""
    state = services.complete_job(payload["job_id"], payload["prediction"], payload["playlist"])
    logger.info("result saved" if state else "result not saved: job already ended")
    return {"job_id": payload["job_id"], "status": state["status"] if state else None}
