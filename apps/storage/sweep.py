"""The stuck-job sweep: fail a job that has made no progress for longer than the deadline.

"Progress" is any transition (``updated_at``), so a slow job that keeps moving is never failed,
and time in a backlog counts only while nothing moves. The deadline must exceed the task time
limit (checked at start-up, ``apps/storage/checks.py``): a task still running cannot be swept.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from apps.core import context
from apps.storage import services
from apps.storage.dead_letters import fail_with_letter
from apps.storage.models import IN_PROGRESS_STATUSES, PlaylistJob

logger = logging.getLogger(__name__)

SWEEP_TASK = "apps.storage.sweep"
SWEEP_BATCH = 500


class JobDeadlineExceeded(Exception):
    """Recorded as the exception type of a swept job's dead letter."""


def deadline_seconds() -> float:
    return float(settings.JOB_DEADLINE_SECONDS)


def sweep_stuck_jobs(deadline: float | None = None) -> int:
    """Fail and dead-letter every job in progress with no transition for ``deadline`` seconds. Returns how many."""
    deadline = deadline_seconds() if deadline is None else deadline
    cutoff = timezone.now() - timedelta(seconds=deadline)
    stuck = PlaylistJob.objects.filter(status__in=IN_PROGRESS_STATUSES, updated_at__lt=cutoff).order_by("updated_at")
    swept = 0
    for job_id, status, seq, attempt in stuck.values_list("pk", "status", "seq", "attempt")[:SWEEP_BATCH]:
        reason = f"job made no progress for more than {deadline:g}s (still {status})"
        letter = {
            "task_name": SWEEP_TASK,
            "task_id": f"sweep-{job_id}-{attempt}",
            "args": [],
            "kwargs": {"attempt": attempt, "status": status},
            "exception_type": f"{JobDeadlineExceeded.__module__}.{JobDeadlineExceeded.__qualname__}",
            "exception_message": reason,
        }
        with context.bind(job_id=job_id):
            # seq: a job that moved since the query is not stuck, and is left alone.
            outcome = fail_with_letter(
                str(job_id), letter, code=services.TIMED_OUT, message=services.TIMED_OUT_MESSAGE, attempt=attempt, seq=seq
            )
            if outcome.changed:
                swept += 1
                logger.warning("stuck job swept: %s", reason)
    return swept
