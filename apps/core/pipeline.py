"""Steps of a multi-queue Celery chain, guarded by a gate that the data's owner wires in.

A step is a Celery task whose first argument is the chain's payload dict. Before its work,
``guarded_step`` asks the gate "may this message enter ``stage``?"; the gate (wired once at
start-up by the app that owns the data, through ``set_step_gate``) records the transition and
answers None to go on, or a reason to skip. A skipped step does no work, counts in
``spg_pipeline_steps_skipped_total`` and raises ``celery.exceptions.Ignore``, so the rest of the
chain is not sent. An unwired gate is a start-up bug: the step fails loudly rather than running
unguarded. This module knows no app: stages are opaque strings to it.

**Successors in-process.** When a step delivered by the broker succeeds and the next step of its
chain is another guarded step routed to a queue this worker consumes, the next step runs at once in
the same process (through its own gate, with its own task id in the logs) instead of a broker round
trip: publish, deliver, hand to a pool child, acknowledge. A worker that does not consume the next
queue (the split topology) sends it through the broker as before. The delivered message is the
*carrier*: it is acknowledged only after the last step run in-process, and its id goes to the gate,
which records it with each stage it lets in; if the carrier is redelivered (its worker died), the gate
lets it redo its steps up to the job's current stage (``admit``'s ``carrier``). A step run in-process
that raises is handed to the broker as its own message, so its own retries and failure handling (the
dead letter naming it) apply as if it had never run in-process.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from contextvars import ContextVar

import redis.exceptions
from celery import Task, signals, signature, states
from celery.exceptions import Ignore
from django.core.exceptions import ImproperlyConfigured
from django.db import InterfaceError, OperationalError
from prometheus_client import Counter

from apps.core import context, privacy

logger = logging.getLogger(__name__)

# gate(stage, payload, carrier) -> None to run the step, or the reason it must not (e.g. "stale_attempt").
# carrier: the id of the broker message the step runs under (None outside a worker, e.g. eager).
StepGate = Callable[[str, dict, "str | None"], "str | None"]
_gate: StepGate | None = None
_carrier: ContextVar[str | None] = ContextVar("spg_pipeline_carrier", default=None)
# Guarded task bodies by dotted path, which is each step's task name here (a step registered under
# another name is simply never run in-process): the steps a carrier may run.
_steps: dict[str, Callable] = {}

STEPS_IN_PROCESS = Counter(
    "spg_pipeline_steps_in_process", "Chain steps run in the process of the step before them (no broker hop), by outcome: success, ignored "
    "(the gate refused it) or retry (it raised and was sent through the broker).", ["outcome"]
)
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
    reason = _gate(stage, payload, _carrier.get())
    if reason is not None:
        STEPS_SKIPPED.labels(stage=stage, reason=reason).inc()
        logger.warning("step %s skipped: %s", stage, reason)
        raise Ignore(reason)


def guarded_step(stage: str) -> Callable:
    """Decorate a bound task body ``(self, payload, ...)``: the gate runs first, inside the retried body;
    delivered by the broker, the step then runs its local successors (see the module's docstring)."""

    def decorate(body: Callable) -> Callable:
        @functools.wraps(body)
        def step(self, payload: dict, *args, **kwargs):
            admit(stage, payload)
            return body(self, payload, *args, **kwargs)

        @functools.wraps(body)
        def run(self, payload: dict, *args, **kwargs):
            carrier = _delivered_id(self)
            if carrier is None or _carrier.get() is not None:
                return step(self, payload, *args, **kwargs)
            token = _carrier.set(carrier)
            try:
                return _run_local_successors(self, step(self, payload, *args, **kwargs))
            finally:
                _carrier.reset(token)

        _steps[f"{body.__module__}.{body.__name__}"] = step
        return run

    return decorate


def _delivered_id(task: Task) -> str | None:
    """The id of the broker message this task runs from; None when called eagerly or directly."""
    request = task.request
    if request.id is None or request.is_eager or not request.delivery_info:
        return None
    return request.id


def _local_step(task: Task, message: dict) -> Callable | None:
    """The guarded body of the chain's next step when this worker consumes its queue; else None."""
    name = message.get("task")
    step = _steps.get(name)
    if step is None or name not in task.app.tasks or message.get("args") or message.get("kwargs"):
        return None
    queue = (message.get("options") or {}).get("queue") or task.app.amqp.router.route({}, name).get("queue")
    return step if getattr(queue, "name", queue) in task.app.amqp.queues.consume_from else None


def _run_local_successors(task: Task, result: object) -> object:
    """Run the chain's next steps here while this worker consumes their queues; leave the rest to the broker.

    Celery sends ``task.request.chain``'s last entry (and the rest with it) once the task returns, so
    the entries run here are removed from it; it is changed only at the end, so a carrier retried
    meanwhile is sent again with its whole chain.
    """
    remaining = list(task.request.chain or ())
    while remaining and (step := _local_step(task, remaining[-1])) is not None:
        message = remaining[-1]
        successor, task_id, args = task.app.tasks[message["task"]], (message.get("options") or {}).get("task_id"), (result,)
        # task_prerun/postrun fire as for a delivered task: the log context and privacy hooks, step counters.
        with context.bind(task_id=task_id), privacy.hidden(args):
            signals.task_prerun.send(sender=successor, task_id=task_id, task=successor, args=args, kwargs={})
            state = states.FAILURE
            try:
                result, state = step(successor, *args), states.SUCCESS
            except Ignore:
                state = states.IGNORED  # the gate refused it: no later step is sent, as when a delivered step is ignored
            except Exception as exc:
                logger.warning("step %s failed in-process (%s): sent through the broker", message["task"], exc.__class__.__name__)
                try:
                    signature(message, app=task.app).apply_async(
                        args, chain=remaining[:-1], parent_id=task.request.id, root_id=task.request.root_id or task.request.id
                    )
                except Exception:
                    raise exc from None  # the carrier fails (or retries) instead: its chain is still whole
                state = states.RETRY  # re-sent as its own message: retried or dead-lettered under its own name
            finally:
                signals.task_postrun.send(sender=successor, task_id=task_id, task=successor, args=args, kwargs={}, retval=None, state=state)
        STEPS_IN_PROCESS.labels(outcome=state.lower()).inc()
        if state != states.SUCCESS:
            remaining = []
            break
        remaining.pop()
    task.request.chain = remaining
    return result
