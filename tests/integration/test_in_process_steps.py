"""Chain steps run in the process of the step before them when the worker consumes their queue
(apps/core/pipeline.py), with a real worker on every queue: fewer broker hops, the same guarantees."""

from __future__ import annotations

import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async
from celery import signals
from prometheus_client import REGISTRY

from apps.gateway import jobs
from apps.storage import api as storage_api
from apps.storage import services
from config.celery import app as celery_app
from tests.integration.conftest import make_user
from tests.integration.test_job_flow import TEXT, final, logged_in_client, post_job, run_to_end

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker", "channel_layer")]


def in_process(outcome: str) -> float:
    return REGISTRY.get_sample_value("spg_pipeline_steps_in_process_total", {"outcome": outcome}) or 0.0


async def in_process_once_counted(outcome: str, expected: float, timeout: float = 5.0) -> float:
    """The counter once it reaches ``expected`` (or the timeout passes): the last step publishes *completed*
    from inside itself, so the socket may see it just before that step returns and is counted."""
    deadline = asyncio.get_running_loop().time() + timeout
    while in_process(outcome) < expected and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.02)
    return in_process(outcome)


@pytest.fixture
def delivered():
    """The chain steps the worker received from the broker (task_prerun fires for in-process steps too, so
    this counts the worker's deliveries: Celery's own task_received signal)."""
    names: list[str] = []
    signals.task_received.connect(lambda request=None, **_: names.append(request.name), weak=False, dispatch_uid="test.received")
    yield names
    signals.task_received.disconnect(dispatch_uid="test.received")


async def test_a_worker_on_every_queue_runs_the_whole_chain_from_one_delivery(delivered):
    user = await sync_to_async(make_user)("olga")
    before = in_process("success")

    events, _ = await run_to_end((await post_job(await logged_in_client(user)))["job_id"], user)

    assert final(events, "completed")["playlist"]["songs"]
    assert delivered == ["apps.emotion.tasks.predict"]
    assert await in_process_once_counted("success", before + 2) == before + 2  # generate and save_result, no hop


async def test_a_step_whose_queue_this_worker_does_not_consume_goes_through_the_broker(monkeypatch, delivered):
    # As a worker on "emotion" and "music" only would decide (this test worker still consumes "storage").
    queues = celery_app.amqp.queues
    monkeypatch.setattr(queues, "_consume_from", {name: queues[name] for name in ("gateway", "emotion", "music")})
    user = await sync_to_async(make_user)("omar")
    before = in_process("success")

    events, _ = await run_to_end((await post_job(await logged_in_client(user)))["job_id"], user)

    assert final(events, "completed")["playlist"]["songs"]
    assert delivered == ["apps.emotion.tasks.predict", "apps.storage.tasks.save_result"]
    assert await in_process_once_counted("success", before + 1) == before + 1  # only generate ran in-process


async def test_a_redelivered_carrier_redoes_its_steps_and_completes_the_job_and_a_duplicate_does_not():
    """The worker died in a step run in-process: the job is in that step's stage, recorded with the carrier.
    Its redelivery (same task id) completes the job; another message for the same attempt is skipped."""
    user = await sync_to_async(make_user)("oona")
    state = await sync_to_async(storage_api.create_job)(
        user_id=user.pk, text=TEXT, target_emotion="relief", target_point=(8.0, -8.0), length=5
    )
    envelope = {"job_id": state.job_id, "attempt": 1}
    for stage in ("predicting", "generating"):
        assert await sync_to_async(services.admit_step)(stage, envelope, "carrier-of-olivia") is None
    ignored = threading.Event()
    signals.task_postrun.connect(
        lambda task_id=None, state=None, **_: ignored.set() if (task_id, state) == ("a-duplicate", "IGNORED") else None,
        weak=False, dispatch_uid="test.ignored",
    )
    try:
        await sync_to_async(jobs.pipeline(jobs.payload_for(state), "a-duplicate").apply_async)()
        assert await asyncio.to_thread(ignored.wait, 30)
        assert (await sync_to_async(storage_api.get_job)(state.job_id)).status == "generating"
    finally:
        signals.task_postrun.disconnect(dispatch_uid="test.ignored")

    await sync_to_async(jobs.pipeline(jobs.payload_for(state), "carrier-of-olivia").apply_async)()
    events, _ = await run_to_end(state.job_id, user)
    job = final(events, "completed")
    assert len(job["playlist"]["songs"]) == 5 and job["attempt"] == 1
