"""The project's Celery app plus one fault-injection hook, for the stacks of bench/ and tests/chaos/.

``celery -A bench._chaos_worker worker …`` runs exactly the production tasks. The hook acts only
on a job whose text contains ``[chaos-slow:SECONDS]``: before the emotion task runs, the pool
child writes ``$SPG_CHAOS_DIR/busy-<pid>`` (the job id inside) and sleeps that long, so a chaos
test can find the child that is in the middle of a task and SIGKILL it there. Only the first
delivery is slowed (a retried task runs at full speed). Every other job runs untouched.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from celery import signals

from config.celery import app

__all__ = ["app"]

SLOW = re.compile(r"\[chaos-slow:(\d+(?:\.\d+)?)\]")
PREDICT_TASK = "apps.emotion.tasks.predict"


def _chaos_dir() -> Path | None:
    folder = os.environ.get("SPG_CHAOS_DIR")
    return Path(folder) if folder else None


@signals.task_prerun.connect
def _slow_down_marked_jobs(task=None, args=None, **_: object) -> None:
    folder = _chaos_dir()
    if folder is None or task is None or task.name != PREDICT_TASK or not args or not isinstance(args[0], dict):
        return
    match = SLOW.search(str(args[0].get("text", "")))
    if not match or task.request.retries:  # only the first delivery: a redelivered task runs at full speed
        return
    marker = folder / f"busy-{os.getpid()}"
    marker.write_text(str(args[0].get("job_id", "")))
    try:
        time.sleep(float(match.group(1)))
    finally:
        marker.unlink(missing_ok=True)
