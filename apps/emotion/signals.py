"""Celery worker hooks: load the model once per pool process, with torch threads sized to the pool,
but only in workers that consume the emotion queue.

Connected from EmotionConfig.ready. Nothing here imports torch until a pool child starts, and torch
must never run in the parent before fork (thread pools are not fork-safe). A worker for the other
queues (music, storage, gateway) never imports torch: it stays a plain Django process (~150 MB
instead of ~600 MB per pool process).
"""

from __future__ import annotations

import logging
import os

from celery import signals

logger = logging.getLogger(__name__)
EMOTION_QUEUE = "emotion"
_concurrency: int | None = None
# The queues this worker consumes, learnt in the parent (worker_init) and inherited by the forked
# children; None outside a worker (e.g. a test sending worker_process_init alone): load as before.
_consumed_queues: frozenset[str] | None = None


def consumed_queues(worker: object) -> frozenset[str] | None:
    """The names of the queues a ``WorkController`` consumes (``-Q``, or the default queue without it)."""
    try:
        return frozenset(worker.app.amqp.queues.consume_from)  # type: ignore[attr-defined]
    except AttributeError:
        return None


@signals.worker_init.connect
def _remember_worker(sender=None, **_: object) -> None:
    """Runs in the worker parent after its queues are set up and before the pool forks; children inherit."""
    global _concurrency, _consumed_queues
    _concurrency = getattr(sender, "concurrency", None)
    _consumed_queues = consumed_queues(sender)


def threads_per_process(concurrency: int | None, cores: int | None = None) -> int:
    cores = cores or os.cpu_count() or 1
    return max(1, cores // max(1, concurrency or 1))


def serves_emotion(queues: frozenset[str] | None) -> bool:
    return queues is None or EMOTION_QUEUE in queues


@signals.worker_process_init.connect
def _load_model_in_child(**_: object) -> None:
    if os.environ.get("EMOTION_WARM_UP", "1") == "0" or not serves_emotion(_consumed_queues):
        return
    threads = threads_per_process(_concurrency)
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    try:
        from apps.emotion.loading import import_torch

        torch = import_torch()
        torch.set_num_threads(threads)
        from apps.emotion import api

        api.warm_up()
        from apps.emotion.heap import ALLOCATOR

        logger.info(
            "emotion model loaded",
            extra={
                "torch_threads": threads,
                "model_version": api.model_version(),
                "quantization": api.quantization(),
                "allocator": ALLOCATOR,  # jemalloc where deploy/with-jemalloc found it, else glibc
            },
        )
    except Exception:  # a child that cannot load the model still serves other queues; predict retries lazily
        logger.exception("emotion model warm-up failed")
