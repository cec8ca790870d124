"""The playlist job end to end: HTTP POST → Celery chain (real worker, real model) → WebSocket push."""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command
from django.core.signals import request_started
from django.test import AsyncClient
from prometheus_client import REGISTRY

from apps.core.logging import ContextFilter
from apps.storage import api as storage_api
from tests.integration.conftest import make_user, open_job_socket, receive_until_closed

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker", "channel_layer")]

TEXT = "I lost my job today and everything feels grey and heavy."
STAGES = ["predicting", "generating", "saving", "completed"]


async def logged_in_client(user) -> AsyncClient:
    client = AsyncClient()
    await client.aforce_login(user)
    return client


async def post_job(client: AsyncClient, body: dict | None = None, **headers) -> dict:
    response = await client.post(
        "/api/v1/playlists/", body or {"text": TEXT, "target_emotion": "Happiness"}, content_type="application/json", headers=headers
    )
    assert response.status_code == 202, response.content
    return response.json()


async def run_to_end(job_id: str, user) -> tuple[list[dict], int | None]:
    socket, connected = await open_job_socket(job_id, user)
    assert connected
    try:
        return await receive_until_closed(socket)
    finally:
        await socket.disconnect()


def final(events: list[dict], status: str) -> dict:
    """The terminal state: a pushed event, or the snapshot when the job ended before the socket opened."""
    last = events[-1]
    assert last["status"] == status, [(event["type"], event["status"]) for event in events]
    assert last["type"] in (f"job.{status}", "job.snapshot")
    return last["job"]


def assert_increasing(events: list[dict]) -> None:
    seqs = [event["seq"] for event in events]
    assert seqs == sorted(set(seqs)), seqs


async def test_happy_path_over_http_and_websocket():
    user = await sync_to_async(make_user)("alice")
    client = await logged_in_client(user)
    accepted = await post_job(client)
    assert set(accepted) == {"job_id", "status_url", "ws_url"}
    assert accepted["ws_url"].endswith(f"/ws/jobs/{accepted['job_id']}/")

    events, code = await run_to_end(accepted["job_id"], user)

    assert code == 1000
    assert events[0]["type"] == "job.snapshot"
    job = final(events, "completed")
    assert_increasing(events)
    for event in events:
        assert event["job_id"] == accepted["job_id"] and event["job"]["status"] == event["status"]
    assert job["error"] is None
    assert job["target_emotion"] == "happiness" and job["target_point"] == [10.0, 9.0]
    assert set(job["prediction"]["probabilities"]) and job["prediction"]["top_emotion"]
    assert len(job["playlist"]["songs"]) == job["length"] == 10
    status = await client.get(accepted["status_url"])
    assert status.status_code == 200 and status.json() == job
    history = (await client.get("/api/v1/playlists/")).json()
    assert history["count"] == 1 and history["results"][0]["job_id"] == accepted["job_id"]


async def test_no_polling_one_http_request_and_every_stage_over_the_socket(monkeypatch):
    """The client's only HTTP request is the POST; every stage then arrives as a pushed event."""
    from apps.core import pipeline

    subscribed = threading.Event()
    admit = pipeline.admit

    def admit_after_subscribe(stage, payload):  # hold the chain until the socket listens
        subscribed.wait(30)
        admit(stage, payload)

    monkeypatch.setattr(pipeline, "admit", admit_after_subscribe)
    user = await sync_to_async(make_user)("bob")
    client = await logged_in_client(user)
    http_requests = []

    def count(**_):
        http_requests.append(1)

    request_started.connect(count)
    try:
        accepted = await post_job(client)
        socket, connected = await open_job_socket(accepted["job_id"], user)
        assert connected
        first = await socket.receive_json_from(10)
        subscribed.set()
        rest, code = await receive_until_closed(socket)
        await socket.disconnect()
    finally:
        request_started.disconnect(count)
        subscribed.set()

    assert len(http_requests) == 1
    assert first["type"] == "job.snapshot" and first["status"] == "queued"
    assert [event["status"] for event in rest] == STAGES
    assert [event["type"] for event in rest] == ["job.progress"] * 3 + ["job.completed"]
    assert_increasing([first, *rest])
    assert code == 1000


async def test_late_connect_and_reconnect_with_last_seq():
    user = await sync_to_async(make_user)("carol")
    client = await logged_in_client(user)
    job_id = (await post_job(client))["job_id"]
    events, _ = await run_to_end(job_id, user)
    final_seq = events[-1]["seq"]

    # Connecting after completion still delivers the result, at once, then closes.
    late, code = await run_to_end(job_id, user)
    assert [event["type"] for event in late] == ["job.snapshot"]
    assert late[0]["status"] == "completed" and late[0]["seq"] == final_seq and late[0]["job"]["playlist"]
    assert code == 1000

    # A client that has seen the final seq gets nothing new; one that is behind gets the newer state.
    socket, _ = await open_job_socket(job_id, user, f"last_seq={final_seq}")
    seen, code = await receive_until_closed(socket)
    assert seen == [] and code == 1000
    socket, _ = await open_job_socket(job_id, user, f"last_seq={final_seq - 1}")
    seen, _ = await receive_until_closed(socket)
    assert [event["seq"] for event in seen] == [final_seq]

    # keep_open=1: the server does not close after the terminal state.
    socket, _ = await open_job_socket(job_id, user, "keep_open=1")
    assert (await socket.receive_json_from(10))["status"] == "completed"
    assert await socket.receive_nothing(0.3)
    await socket.send_json_to({"type": "ping"})
    assert (await socket.receive_json_from(5)) == {"type": "pong"}
    await socket.disconnect()


async def test_ownership_and_authentication_refusals():
    owner = await sync_to_async(make_user)("dave")
    stranger = await sync_to_async(make_user)("eve")
    job_id = (await post_job(await logged_in_client(owner)))["job_id"]

    for user, path_job, expected in ((None, job_id, 4401), (stranger, job_id, 4404), (owner, str(uuid.uuid4()), 4404)):
        socket, connected = await open_job_socket(path_job, user)
        assert connected  # accepted first, so browsers see the code (not 1006)
        events, code = await receive_until_closed(socket, timeout=10)
        assert (events, code) == ([], expected)
        await socket.disconnect()

    other = await logged_in_client(stranger)
    for url in (f"/api/v1/jobs/{job_id}/", f"/api/v1/playlists/{job_id}/"):
        response = await other.get(url)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert (await other.get("/api/v1/playlists/")).json()["count"] == 0
    await run_to_end(job_id, owner)  # let the job finish before the test's data is flushed


async def test_forced_failure_makes_one_dead_letter_and_job_failed_then_replay_completes(monkeypatch):
    import apps.music.api as music_api

    def broken(*args, **kwargs):
        raise RuntimeError("catalog index exploded at 0xdeadbeef")

    real_generate = music_api.generate_playlist
    monkeypatch.setattr(music_api, "generate_playlist", broken)
    user = await sync_to_async(make_user)("frank")
    job_id = (await post_job(await logged_in_client(user)))["job_id"]

    events, code = await run_to_end(job_id, user)

    assert code == 1000
    error = final(events, "failed")["error"]
    assert error["code"] == "generation_failed"
    assert "0xdeadbeef" not in error["message"] and "Traceback" not in error["message"]
    letters = await sync_to_async(storage_api.list_dead_letters)()
    assert len(letters) == 1
    letter = letters[0]
    assert letter["task_name"] == "apps.music.tasks.generate" and letter["job_id"] == job_id
    assert letter["exception_type"] == "builtins.RuntimeError" and "0xdeadbeef" in letter["exception_message"]
    assert letter["args"][0]["job_id"] == job_id and letter["status"] == "new"

    monkeypatch.setattr(music_api, "generate_playlist", real_generate)
    await sync_to_async(call_command)("replay_dead_letters")
    events, code = await run_to_end(job_id, user)

    assert final(events, "completed")["playlist"]["songs"] and events[-1]["job"]["error"] is None
    letters = await sync_to_async(storage_api.list_dead_letters)()
    assert [(item["id"], item["status"], item["replay_count"]) for item in letters] == [(letter["id"], "replayed", 1)]


async def test_stuck_job_is_swept_dead_lettered_and_replayable(settings):
    user = await sync_to_async(make_user)("grace")
    # A job whose messages were lost: created, never enqueued.
    state = await sync_to_async(storage_api.create_job)(
        user_id=user.pk, text=TEXT, target_emotion="enthusiasm", target_point=(6.0, 7.0), length=5, request_id="req-stuck-0001"
    )
    job_id = state.job_id
    settings.JOB_DEADLINE_SECONDS = 0
    assert await sync_to_async(storage_api.sweep_stuck_jobs)() == 1
    assert await sync_to_async(storage_api.sweep_stuck_jobs)() == 0  # exactly once
    settings.JOB_DEADLINE_SECONDS = 180

    swept = await sync_to_async(storage_api.get_job)(job_id)
    assert swept.status == "failed" and (swept.error.code, swept.error.stage) == ("timed_out", "queued")
    letters = await sync_to_async(storage_api.list_dead_letters)()
    assert len(letters) == 1 and letters[0]["task_name"] == "apps.storage.sweep"

    await sync_to_async(call_command)("replay_dead_letters", "--task", "apps.storage.sweep", "--since", "10m")
    events, _ = await run_to_end(job_id, user)
    assert len(final(events, "completed")["playlist"]["songs"]) == 5


def _cache_count(metric: str, result: str) -> float:
    return REGISTRY.get_sample_value(metric, {"result": result}) or 0.0


async def test_repeated_request_is_served_from_the_caches():
    user = await sync_to_async(make_user)("heidi")
    client = await logged_in_client(user)
    body = {"text": "so bored, nothing to do all day", "target_emotion": "enthusiasm"}
    first, _ = await run_to_end((await post_job(client, body))["job_id"], user)
    hits_before = {name: _cache_count(name, "hit") for name in ("spg_prediction_cache_total", "spg_playlist_cache_total")}

    second, _ = await run_to_end((await post_job(client, body))["job_id"], user)

    for name, before in hits_before.items():
        assert _cache_count(name, "hit") == before + 1, name
    assert final(second, "completed")["playlist"]["songs"] == final(first, "completed")["playlist"]["songs"]
    assert second[-1]["job"]["prediction"] == first[-1]["job"]["prediction"]


async def test_every_log_line_of_a_job_carries_its_ids(caplog):
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(ContextFilter())  # what the stdout handler does in production
    user = await sync_to_async(make_user)("ivan")
    client = await logged_in_client(user)
    request_id = "test-request-0001"
    job_id = (await post_job(client, None, **{"X-Request-ID": request_id}))["job_id"]
    await run_to_end(job_id, user)

    expected = {"apps.gateway.jobs", "apps.emotion.tasks", "apps.music.tasks", "apps.storage.tasks", "apps.gateway.consumers"}
    # The socket sees "completed" as soon as the transaction commits; the save task logs just after.
    for _ in range(50):
        records = [record for record in caplog.records if getattr(record, "job_id", None) == job_id]
        loggers = {record.name for record in records}
        if expected <= loggers:
            break
        await asyncio.sleep(0.1)
    assert {"apps.gateway.jobs", "apps.emotion.tasks", "apps.music.tasks", "apps.storage.tasks", "apps.gateway.consumers"} <= loggers
    for record in records:
        assert record.user_id == str(user.pk), (record.name, record.getMessage())
        if record.name != "apps.gateway.consumers":  # a socket has its own request id
            assert record.request_id == request_id, (record.name, record.getMessage())
        if record.name.endswith(".tasks"):
            assert record.task_id, (record.name, record.getMessage())


async def test_bearer_subprotocol_is_accepted_and_the_socket_closes_when_the_token_expires():
    from datetime import timedelta

    from channels.testing import WebsocketCommunicator
    from rest_framework_simplejwt.tokens import AccessToken

    from config.asgi import application

    user = await sync_to_async(make_user)("judy")
    state = await sync_to_async(storage_api.create_job)(  # never enqueued: stays queued
        user_id=user.pk, text=TEXT, target_emotion="love", target_point=(9.0, 5.0), length=5
    )
    state = state.to_dict()
    token = await sync_to_async(AccessToken.for_user)(user)
    token.set_exp(lifetime=timedelta(seconds=2))
    protocol = f"bearer.{token}"
    socket = WebsocketCommunicator(
        application, f"/ws/jobs/{state['job_id']}/", headers=[(b"origin", b"http://testserver")], subprotocols=[protocol]
    )
    connected, accepted_protocol = await socket.connect(timeout=10)
    assert connected and accepted_protocol == protocol
    assert (await socket.receive_json_from(10))["status"] == "queued"
    events, code = await receive_until_closed(socket, timeout=15)
    assert (events, code) == ([], 4401)
    await socket.disconnect()
