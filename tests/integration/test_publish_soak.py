"""200 consecutive jobs published from one worker: every event arrives, no loop or connection leaks."""

from __future__ import annotations

import asyncio
import logging

import pytest
import redis
from asgiref.sync import sync_to_async
from django.conf import settings

from apps.core.events import publish
from apps.storage import api as storage_api
from apps.storage.tasks import save_result
from tests.integration.conftest import make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]

JOBS = 200
PREDICTION = {"probabilities": {"sadness": 1.0}, "top_emotion": "sadness", "emotions": [], "others": 0.0,
              "valence": -10.0, "arousal": -9.0, "model_version": "soak", "truncated": False}
PLAYLIST = {"songs": [{"id": 1, "title": "Song", "artist": "Artist", "valence": 0.0, "arousal": 0.0}],
            "metrics": {}, "catalog_version": "soak", "engine_version": "soak", "notes": []}


def channel_layer_clients() -> int:
    server = redis.Redis.from_url(settings.REDIS_CHANNELS_URL)
    try:
        database = server.connection_pool.connection_kwargs.get("db", 0)
        return sum(1 for client in server.client_list() if int(client.get("db", -1)) == database) - 1  # minus us
    finally:
        server.close()


async def test_two_hundred_consecutive_jobs_publish_every_event(channel_layer, caplog):
    caplog.set_level(logging.WARNING)
    user = await sync_to_async(make_user)("soak")
    states = await sync_to_async(
        lambda: [
            storage_api.create_job(user_id=user.pk, text=f"text {i}", target_emotion="happiness", target_point=(10, 9), length=1)
            for i in range(JOBS)
        ]
    )()
    listener = await channel_layer.new_channel()
    for state in states:
        await channel_layer.group_add(f"job.{state['job_id']}", listener)
    await sync_to_async(publish)("job.warm-up", {"seq": 0})  # this process's publisher opens its connection
    clients_before = await sync_to_async(channel_layer_clients)()

    for state in states:  # one after another, through the broker, into the one worker thread
        await sync_to_async(save_result.delay)({"job_id": state["job_id"], "prediction": PREDICTION, "playlist": PLAYLIST})

    received: dict[str, list[int]] = {}
    async with asyncio.timeout(120):
        while sum(len(seqs) for seqs in received.values()) < 2 * JOBS:
            event = (await channel_layer.receive(listener))["event"]
            received.setdefault(event["job_id"], []).append(event["seq"])

    assert set(received) == {state["job_id"] for state in states}
    assert all(seqs == [1, 2] for seqs in received.values())  # saving, then completed
    assert await sync_to_async(storage_api.count_jobs)(user.pk, "completed") == JOBS
    problems = [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith(("asyncio", "channels_redis", "apps.core.events")) or "loop is closed" in record.getMessage().lower()
    ]
    assert problems == []
    # Publishing reuses the process's connections: 400 events later there are no more than before.
    assert await sync_to_async(channel_layer_clients)() <= clients_before
