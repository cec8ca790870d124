"""Start-up check of the job deadline: a job must never be swept while one of its tasks may still run."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def check_job_deadline() -> None:
    """Refuse to start when ``JOB_DEADLINE_SECONDS`` is not above ``CELERY_TASK_TIME_LIMIT``."""
    deadline = float(settings.JOB_DEADLINE_SECONDS)
    limit = getattr(settings, "CELERY_TASK_TIME_LIMIT", None)
    if limit is not None and deadline <= float(limit):
        raise ImproperlyConfigured(
            f"JOB_DEADLINE_SECONDS ({deadline:g}) must be greater than CELERY_TASK_TIME_LIMIT ({float(limit):g}): "
            "otherwise the stuck-job sweep fails jobs whose task is still running. Raise JOB_DEADLINE_SECONDS "
            "or lower CELERY_TASK_TIME_LIMIT."
        )
