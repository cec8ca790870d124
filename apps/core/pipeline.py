"""Steps of a multi-queue Celery chain, guarded by a gate that the data's owner wires in.

A step is a Celery task whose first argument is the chain's payload dict. Before its work,
``guarded_step`` asks the gate "may this message enter ``stage``?"; the gate (wired once at
start-up by the app that owns the data, through ``set_step_gate``) records the transition and
answers None to go on, or a reason to skip. A skipped step does no work, counts in
``spg_pipeline_steps_skipped_total`` and raises ``celery.exceptions.Ignore``, so the rest of the
chain is not sent. An unwired gate is a start-up bug: the step fails loudly rather than running
unguarded. This module knows no app: stages are opaque strings to it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

import redis.exceptions
from celery.exceptions import Ignore
from django.core.exceptions import ImproperlyConfigured
from django.db import InterfaceError, OperationalError
from prometheus_client import Counter

logger = logging.getLogger(__name__)

# gate(stage, payload) -> None to run the step, or the reason it must not (e.g. "stale_attempt").
StepGate = Callable[[str, dict], "str | None"]
_gate: StepGate | None = None

STEPS_SKIPPED = Counter(
    "spg_pipeline_steps_skipped", "Chain steps that did no work because their gate refused them, by stage and reason.", ["stage", "reason"]
)

# Errors worth retrying with backoff: Redis hiccups and a locked or briefly unreachable database.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    OperationalError,
    InterfaceError,
)

# Celery options shared by every step of a chain: acknowledged after the work (a killed worker's
# message is redelivered), transient errors (in the gate too) retried with backoff, a lost worker
# retried up to max_retries, then the task fails for good (and its failure handler takes over).
PIPELINE_STEP_OPTIONS: dict = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 1,
    "retry_backoff_max": 10,
    "max_retries": 3,
    "retry_on_worker_lost": True,
    "default_retry_delay": 2,
}


def set_step_gate(gate: StepGate) -> None:
    """Wire the gate (once, from the data owner's ``AppConfig.ready``)."""
    global _gate
    _gate = gate


def admit(stage: str, payload: dict) -> None:
    """Ask the gate; raise ``Ignore`` (stopping the chain) when the step must not run."""
    if _gate is None:
        raise ImproperlyConfigured("no pipeline step gate is wired: the owning app must call apps.core.pipeline.set_step_gate at start-up")
    reason = _gate(stage, payload)
    if reason is not None:
        STEPS_SKIPPED.labels(stage=stage, reason=reason).inc()
        logger.warning("step %s skipped: %s", stage, reason)
        raise Ignore(reason)


def guarded_step(stage: str) -> Callable:
    """Decorate a bound task body ``(self, payload, ...)``: the gate runs first, inside the retried body."""

    def decorate(body: Callable) -> Callable:
        @functools.wraps(body)
        def run(self, payload: dict, *args, **kwargs):
            admit(stage, payload)
            return body(self, payload, *args, **kwargs)

        return run

    return decorate
