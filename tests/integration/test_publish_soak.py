"""200 consecutive jobs published from one prefork worker child: every event arrives, no loop or
connection leaks (each publish from a prefork child runs `async_to_sync` on a fresh event loop, and
channels-redis keeps a connection pool per loop)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection

from apps.storage import api as storage_api
from apps.storage.tasks import save_result
from tests.integration.conftest import make_user, purge_queues

pytestmark = pytest.mark.django_db(transaction=True)

JOBS = 200
PREDICTION = {"probabilities": {"sadness": 1.0}, "top_emotion": "sadness", "emotions": [], "others": 0.0,
              "valence": -10.0, "arousal": -9.0, "model_version": "soak", "truncated": False}
PLAYLIST = {"songs": [{"id": 1, "title": "Song", "artist": "Artist", "valence": 0.0, "arousal": 0.0}],
            "metrics": {}, "catalog_version": "soak", "engine_version": "soak", "notes": []}
ROOT = Path(__file__).resolve().parents[2]


def database_url_of_this_test_run() -> str:
    """The URL of the test database this process uses, for the worker subprocess."""
    db = connection.settings_dict
    if "sqlite" in db["ENGINE"]:
        return f"sqlite:///{db['NAME']}"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "") + "@" if db.get("USER") else ""
    return f"postgres://{auth}{db['HOST'] or '127.0.0.1'}{port}/{db['NAME']}"


@pytest.fixture
def prefork_worker(tmp_path):
    """A real ``celery worker`` process: prefork pool with ONE child, consuming the storage queue."""
    purge_queues()
    log = tmp_path / "worker.log"
    env = {**os.environ, "DATABASE_URL": database_url_of_this_test_run(), "EMOTION_WARM_UP": "0", "PROMETHEUS_MULTIPROC_DIR": ""}
    env.pop("PROMETHEUS_MULTIPROC_DIR")
    with log.open("w") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "storage", "--pool", "prefork", "-c", "1",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"soak-{os.getpid()}@%h", "--loglevel", "INFO"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while "ready." not in log.read_text():
            assert worker.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        yield log
    finally:
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def channel_layer_clients() -> int:
    server = redis.Redis.from_url(settings.REDIS_CHANNELS_URL)
    try:
        database = server.connection_pool.connection_kwargs.get("db", 0)
        return sum(1 for client in server.client_list() if int(client.get("db", -1)) == database) - 1  # minus us
    finally:
        server.close()


async def test_two_hundred_consecutive_jobs_publish_every_event_from_one_prefork_child(channel_layer, prefork_worker):
    user = await sync_to_async(make_user)("soak")
    states = await sync_to_async(
        lambda: [
            storage_api.create_job(user_id=user.pk, text=f"text {i}", target_emotion="happiness", target_point=(10, 9), length=1)
            for i in range(JOBS)
        ]
    )()
    listener = await channel_layer.new_channel()
    for state in states:
        await channel_layer.group_add(f"job.{state.job_id}", listener)

    received: dict[str, list[int]] = {}

    async def collect(until: int) -> None:
        async with asyncio.timeout(120):
            while sum(len(seqs) for seqs in received.values()) < until:
                event = (await channel_layer.receive(listener))["event"]
                received.setdefault(event["job_id"], []).append(event["seq"])

    payloads = [{"job_id": state.job_id, "prediction": PREDICTION, "playlist": PLAYLIST} for state in states]
    await sync_to_async(save_result.delay)(payloads[0])
    await collect(2)  # the child has published once: its connection is open
    clients_after_first = await sync_to_async(channel_layer_clients)()
    for payload in payloads[1:]:  # one after another, through the broker, into the one child
        await sync_to_async(save_result.delay)(payload)
    await collect(2 * JOBS)

    assert set(received) == {state.job_id for state in states}
    assert all(seqs == [1, 2] for seqs in received.values())  # saving, then completed
    assert await sync_to_async(storage_api.count_jobs)(user.pk, "completed") == JOBS
    # 199 more jobs later the child still uses the connections it opened for the first one.
    assert await sync_to_async(channel_layer_clients)() <= clients_after_first
    log = prefork_worker.read_text()
    assert log.count("succeeded in") == JOBS
    assert "loop is closed" not in log.lower() and "could not publish" not in log and "Traceback" not in log
    assert "exited with" not in log  # one child did all of it: none crashed and was replaced
