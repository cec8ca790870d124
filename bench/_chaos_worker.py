"""The project's Celery app plus fault-injection hooks, for the stacks of bench/ and tests/.

``celery -A bench._chaos_worker worker …`` runs exactly the production tasks. The hook acts only
on a job whose text contains ``[chaos-slow:SECONDS]``: before the emotion task runs, the pool
child writes ``$SPG_CHAOS_DIR/busy-<pid>`` (the job id inside) and sleeps that long, so a chaos
test can find the child that is in the middle of a task and SIGKILL it there. Only the first
delivery is slowed (a retried task runs at full speed). A job whose text contains ``[chaos-fail]``
fails for good in the emotion step, with an exception whose message quotes the whole text (the worst
case for the logs, see tests/security/test_privacy.py). Every other job runs untouched.
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
FAIL = "[chaos-fail]"
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


class ChaosFailure(RuntimeError):
    """Not a transient error: the task fails for good (no retry) and the job is dead-lettered."""


_real_predict = None


@signals.task_prerun.connect
def _fail_marked_jobs(task=None, args=None, **_: object) -> None:
    """For a ``[chaos-fail]`` job, the emotion API raises during this task only (restored at postrun)."""
    global _real_predict
    if task is None or task.name != PREDICT_TASK or not args or not isinstance(args[0], dict):
        return
    if FAIL not in str(args[0].get("text", "")):
        return
    from apps.emotion import api as emotion_api

    _real_predict = emotion_api.predict

    def refuse(text: str, *rest, **options):
        raise ChaosFailure(f"chaos: refusing to read {text!r}")

    emotion_api.predict = refuse


@signals.task_postrun.connect
def _restore_predict(**_: object) -> None:
    global _real_predict
    if _real_predict is not None:
        from apps.emotion import api as emotion_api

        emotion_api.predict, _real_predict = _real_predict, None
