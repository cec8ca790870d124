"""Celery worker hooks: load the model once per pool process, with torch threads sized to the pool.

Connected from EmotionConfig.ready. Nothing here imports torch until a pool child starts, and torch
must never run in the parent before fork (thread pools are not fork-safe).
"""

from __future__ import annotations

import logging
import os

from celery import signals

logger = logging.getLogger(__name__)
_concurrency: int | None = None


@signals.worker_init.connect
def _remember_concurrency(sender=None, **_: object) -> None:
    """Runs in the worker parent before the pool forks; children inherit the value."""
    global _concurrency
    _concurrency = getattr(sender, "concurrency", None)


def threads_per_process(concurrency: int | None, cores: int | None = None) -> int:
    cores = cores or os.cpu_count() or 1
    return max(1, cores // max(1, concurrency or 1))


@signals.worker_process_init.connect
def _load_model_in_child(**_: object) -> None:
    if os.environ.get("EMOTION_WARM_UP", "1") == "0":
        return
    threads = threads_per_process(_concurrency)
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    try:
        from apps.emotion.loading import import_torch

        torch = import_torch()
        torch.set_num_threads(threads)
        from apps.emotion import api

        api.warm_up()
        logger.info("emotion model loaded", extra={"torch_threads": threads, "model_version": api.model_version()})
    except Exception:  # a child that cannot load the model still serves other queues; predict retries lazily
        logger.exception("emotion model warm-up failed")
