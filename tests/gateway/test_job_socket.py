"""The job socket's connect and event path, through the real ASGI application and Redis (no worker needed).

The ownership check and the snapshot are one read of the job, taken after the socket has joined the
job's group: these tests publish an event while that read runs, and check that the owner gets it after
the snapshot while anyone else gets nothing at all.
"""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from apps.core.events import publish
from apps.storage import api as storage_api
from tests.integration.conftest import channel_layer, make_user, open_job_socket, receive_until_closed  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("channel_layer")]


def _create_job(user) -> storage_api.JobState:
    return storage_api.create_job(
        user_id=user.pk, text="A quiet evening.", target_emotion="happiness", target_point=(10.0, 9.0), length=10
    )


def _progress(job_id: str, seq: int, stage: str = "predicting") -> dict:
    return {"type": storage_api.EventType.PROGRESS, "job_id": job_id, "stage": stage, "seq": seq}


@pytest.fixture
async def alice_job():
    alice = await sync_to_async(make_user)("alice")
    return alice, await sync_to_async(_create_job)(alice)


@pytest.fixture
def job_reads(monkeypatch):
    """Count the socket's reads of the job, and publish an event to its group while the first one runs."""
    reads: list[str] = []
    real = storage_api.get_job

    def reading(job_id, user_id=None):
        if not reads:
            publish(storage_api.job_group(job_id), _progress(str(job_id), seq=1))
        reads.append(str(job_id))
        return real(job_id, user_id)

    monkeypatch.setattr(storage_api, "get_job", reading)
    return reads


async def test_the_owner_gets_the_snapshot_then_an_event_sent_during_the_check_in_one_read(alice_job, job_reads):
    alice, job = alice_job
    communicator, connected = await open_job_socket(job.job_id, alice)
    assert connected
    snapshot = await communicator.receive_json_from(timeout=5)
    assert (snapshot["type"], snapshot["seq"]) == (storage_api.EventType.SNAPSHOT, 0)
    event = await communicator.receive_json_from(timeout=5)
    assert (event["type"], event["seq"]) == (storage_api.EventType.PROGRESS, 1)  # subscribed before the read
    assert job_reads == [job.job_id]  # ownership and snapshot: one read, not two
    await communicator.disconnect()


async def test_a_foreign_socket_gets_nothing_even_an_event_queued_during_the_check(alice_job, job_reads):
    _, job = alice_job
    mallory = await sync_to_async(make_user)("mallory")
    communicator, connected = await open_job_socket(job.job_id, mallory)
    assert connected
    events, code = await receive_until_closed(communicator, timeout=5)
    assert (events, code) == ([], 4404)
    assert job_reads == [job.job_id]  # the event was published: it must not follow the close either
    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.disconnect()


async def test_events_reach_the_socket_without_a_thread_hop_each(alice_job, monkeypatch):
    """Channels hops to a thread to close DB connections before every message; this consumer does not need it."""
    import channels.consumer
    import channels.generic.websocket

    hops: list[int] = []

    async def counting():
        hops.append(1)

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counting)
    monkeypatch.setattr(channels.generic.websocket, "aclose_old_connections", counting)
    alice, job = alice_job
    communicator, connected = await open_job_socket(job.job_id, alice)
    assert connected and (await communicator.receive_json_from(timeout=5))["seq"] == 0
    group = storage_api.job_group(job.job_id)
    for seq, stage in enumerate(("predicting", "generating", "saving"), start=1):
        await sync_to_async(publish)(group, _progress(job.job_id, seq, stage))
        assert (await communicator.receive_json_from(timeout=5))["seq"] == seq
    await communicator.disconnect()
    assert hops == []
