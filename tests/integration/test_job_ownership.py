"""The job's rules with a real worker and real Redis: attempts, exactly-once replay, no event lost
between the database and an open socket, and a sweep that fails only stuck jobs."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from datetime import datetime

import pytest
from asgiref.sync import sync_to_async
from celery import signals
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from prometheus_client import REGISTRY

from apps.storage import api as storage_api
from config.celery import app as celery_app
from tests.integration.conftest import make_user, open_job_socket
from tests.integration.test_job_flow import TEXT, logged_in_client, post_job, run_to_end

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker", "channel_layer")]

PREDICT, SAVE = "apps.emotion.tasks.predict", "apps.storage.tasks.save_result"


class TaskLog:
    """Every chain step the worker starts and ends: (task name, job id, attempt, state)."""

    def __init__(self):
        self.started: list[tuple[str, str, int]] = []
        self.finished: list[tuple[str, str, int, str]] = []

    @staticmethod
    def _envelope(args) -> tuple[str, int] | None:
        payload = args[0] if args and isinstance(args[0], dict) else None
        return (payload["job_id"], payload.get("attempt")) if payload and "job_id" in payload else None

    def prerun(self, task=None, args=None, **_):
        if envelope := self._envelope(args):
            self.started.append((task.name, *envelope))

    def postrun(self, task=None, args=None, state=None, **_):
        if envelope := self._envelope(args):
            self.finished.append((task.name, *envelope, state))

    def runs(self, name: str, job_id: str, attempt: int) -> int:
        return self.started.count((name, job_id, attempt))


@pytest.fixture
def task_log():
    log = TaskLog()
    signals.task_prerun.connect(log.prerun, weak=False, dispatch_uid="test.prerun")
    signals.task_postrun.connect(log.postrun, weak=False, dispatch_uid="test.postrun")
    yield log
    signals.task_prerun.disconnect(dispatch_uid="test.prerun")
    signals.task_postrun.disconnect(dispatch_uid="test.postrun")


async def wait_for(check, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := await sync_to_async(check)():
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def broken(*args, **kwargs):
    raise RuntimeError("catalog index exploded")


def metric(name: str, labels: dict) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_concurrent_replays_from_the_admin_and_the_command_of_two_letters_start_one_chain(monkeypatch, task_log):
    import apps.music.api as music_api

    real_generate = music_api.generate_playlist
    monkeypatch.setattr(music_api, "generate_playlist", broken)
    user = await sync_to_async(make_user)("rita")
    job_id = (await post_job(await logged_in_client(user)))["job_id"]
    await run_to_end(job_id, user)  # attempt 1 fails: letter A
    await sync_to_async(call_command)("replay_dead_letters")
    events, _ = await run_to_end(job_id, user)  # attempt 2 fails too: letter B
    assert events[-1]["status"] == "failed" and events[-1]["job"]["attempt"] == 2
    letter_ids = [letter["id"] for letter in await sync_to_async(storage_api.list_dead_letters)()]
    assert len(letter_ids) == 2
    monkeypatch.setattr(music_api, "generate_playlist", real_generate)

    admin = await sync_to_async(get_user_model().objects.create_superuser)("root", "root@example.com", "S3cret-pass-123")
    start = threading.Barrier(3)
    answers: dict[str, object] = {}

    def admin_replays_both_letters():
        client = Client()
        client.force_login(admin)
        start.wait()
        answers["admin"] = client.post("/admin/storage/deadletter/", {"action": "replay", "_selected_action": letter_ids}, follow=True)

    def command_replays_both_letters():
        start.wait()
        answers["command"] = call_command("replay_dead_letters", "--id", str(letter_ids[0]), "--id", str(letter_ids[1]))

    def command_again():
        start.wait()
        call_command("replay_dead_letters", "--id", str(letter_ids[1]))

    threads = [threading.Thread(target=target) for target in (admin_replays_both_letters, command_replays_both_letters, command_again)]
    for thread in threads:
        thread.start()
    await asyncio.to_thread(lambda: [thread.join(60) for thread in threads])

    assert answers["admin"].status_code == 200
    events, _ = await run_to_end(job_id, user)
    final = events[-1]["job"]
    assert (final["status"], final["attempt"]) == ("completed", 3) and final["playlist"]["songs"]
    await asyncio.sleep(1.0)  # a second chain, if one had been sent, would have reached the worker by now
    assert task_log.runs(PREDICT, job_id, 3) == 1 and task_log.runs(SAVE, job_id, 3) == 1
    assert [name for name, job, attempt in task_log.started if (job, attempt) == (job_id, 3)] == [PREDICT, "apps.music.tasks.generate", SAVE]
    letters = await sync_to_async(storage_api.list_dead_letters)()
    assert sum(letter["replay_count"] for letter in letters) == 2  # the attempt-2 replay, and exactly one of the race


async def test_a_stale_attempt_message_changes_nothing_and_calls_no_model(monkeypatch, task_log):
    import apps.emotion.api as emotion_api

    user = await sync_to_async(make_user)("sid")
    state = await sync_to_async(storage_api.create_job)(
        user_id=user.pk, text=TEXT, target_emotion="relief", target_point=(5.0, -4.0), length=5
    )
    await sync_to_async(signals.task_failure.send)(  # attempt 1 failed for good
        sender=celery_app.tasks[PREDICT], task_id="attempt-1-failure", exception=RuntimeError("x"),
        args=({"job_id": state.job_id, "attempt": 1},), kwargs={}, einfo=None,
    )
    await sync_to_async(call_command)("replay_dead_letters")
    events, _ = await run_to_end(state.job_id, user)
    assert (events[-1]["status"], events[-1]["job"]["attempt"]) == ("completed", 2)
    before = await sync_to_async(storage_api.get_job)(state.job_id)
    skipped_before = metric("spg_pipeline_steps_skipped_total", {"stage": "predicting", "reason": "stale_attempt"})
    calls = []
    real_predict = emotion_api.predict
    monkeypatch.setattr(emotion_api, "predict", lambda text: calls.append(text) or real_predict(text))

    # A message of attempt 1 (e.g. redelivered after the visibility timeout) reaches the worker.
    stale = {"job_id": state.job_id, "attempt": 1, "text": TEXT, "target_emotion": "relief", "target_point": [5.0, -4.0], "length": 5}
    await sync_to_async(celery_app.send_task)(PREDICT, args=[stale])
    await wait_for(lambda: (PREDICT, state.job_id, 1, "IGNORED") in task_log.finished, what="the stale message")

    assert calls == []
    assert await sync_to_async(storage_api.get_job)(state.job_id) == before
    assert metric("spg_pipeline_steps_skipped_total", {"stage": "predicting", "reason": "stale_attempt"}) == skipped_before + 1
    assert [name for name, job, attempt in task_log.started if (job, attempt) == (state.job_id, 1)] == [PREDICT]  # the chain stopped


# The socket's re-read period: as shipped, and so short that the first re-read after the lost event always
# falls inside its grace second (the loop must read again, not stop at a terminal state it has not sent).
@pytest.mark.parametrize("resync_seconds", [None, 0.2], ids=["as-shipped", "re-read-within-grace"])
async def test_a_publish_lost_after_commit_reaches_an_open_socket_within_five_seconds(monkeypatch, resync_seconds):
    from apps.core import pipeline
    from apps.gateway import consumers
    from apps.storage import services

    if resync_seconds is not None:
        monkeypatch.setattr(consumers, "RESYNC_SECONDS", resync_seconds)
    real_publish = services.publish

    def drop_completed(group, event):  # the worker dies between the commit and the publish of the last event
        return False if event["status"] == "completed" else real_publish(group, event)

    monkeypatch.setattr(services, "publish", drop_completed)
    subscribed = threading.Event()
    admit = pipeline.admit

    def admit_after_subscribe(stage, payload):
        subscribed.wait(30)
        admit(stage, payload)

    monkeypatch.setattr(pipeline, "admit", admit_after_subscribe)
    user = await sync_to_async(make_user)("pia")
    job_id = (await post_job(await logged_in_client(user)))["job_id"]
    socket, connected = await open_job_socket(job_id, user)
    assert connected
    assert (await socket.receive_json_from(10))["status"] == "queued"
    subscribed.set()
    received: list[tuple[float, dict]] = []
    while True:
        message = await socket.receive_output(30)
        if message["type"] == "websocket.close":
            break
        received.append((time.time(), json.loads(message["text"])))
    await socket.disconnect()

    arrived_at, last = received[-1]
    assert [event["status"] for _, event in received] == ["predicting", "generating", "saving", "completed"]
    assert last["type"] == "job.snapshot"  # the re-sync, not the (lost) event
    completed_at = datetime.fromisoformat(last["job"]["completed_at"]).timestamp()
    assert consumers.RESYNC_GRACE_SECONDS <= arrived_at - completed_at < 5.0


async def test_the_sweep_leaves_a_slow_but_moving_job_alone(monkeypatch, settings):
    import apps.emotion.api as emotion_api
    import apps.music.api as music_api

    # Each stage sleeps a little over half the deadline, so the job as a whole outlasts it. The rest of the
    # deadline is the stage's own work: on an AVX2 CPU without VNNI a prediction with its words took
    # about 1 s while int8 still ran there (float32 does since: 54 ms), so 2 s with 1.2 s sleeps swept
    # this job. The model loads first, as a worker's does at start, so its load is not a stage's work.
    settings.JOB_DEADLINE_SECONDS = 4
    await sync_to_async(emotion_api.warm_up)()
    real_predict, real_generate = emotion_api.predict, music_api.generate_playlist
    monkeypatch.setattr(emotion_api, "predict", lambda text: time.sleep(2.1) or real_predict(text))
    monkeypatch.setattr(music_api, "generate_playlist", lambda *a, **k: time.sleep(2.1) or real_generate(*a, **k))
    user = await sync_to_async(make_user)("sue")
    job_id = (await post_job(await logged_in_client(user)))["job_id"]
    swept = 0
    while (state := await sync_to_async(storage_api.get_job)(job_id)).status not in storage_api.TERMINAL_STATUSES:
        swept += await sync_to_async(storage_api.sweep_stuck_jobs)()  # what beat does, much more often
        await asyncio.sleep(0.2)

    assert swept == 0 and state.status == "completed"
    took = datetime.fromisoformat(state.completed_at) - datetime.fromisoformat(state.created_at)
    assert took.total_seconds() > settings.JOB_DEADLINE_SECONDS  # longer than the deadline in all, but never idle that long


async def test_a_late_result_of_a_swept_job_is_logged_and_counted(monkeypatch, settings, caplog, task_log):
    import apps.music.api as music_api

    caplog.set_level(logging.WARNING, logger="apps.storage.services")
    settings.JOB_DEADLINE_SECONDS = 1
    real_generate = music_api.generate_playlist
    monkeypatch.setattr(music_api, "generate_playlist", lambda *a, **k: time.sleep(3) or real_generate(*a, **k))
    late_before = metric("spg_job_late_completions_total", {"stage": "saving"})
    user = await sync_to_async(make_user)("tom")
    # Not the usual text: the words that moved its reading are redacted from every log line of the job,
    # and "job" (in "I lost my job ...") can be one of them, which would blank the line looked for below.
    body = {"text": "Everything feels grey and heavy tonight.", "target_emotion": "Happiness"}
    job_id = (await post_job(await logged_in_client(user), body))["job_id"]

    async def sweep_until_failed():
        while (await sync_to_async(storage_api.get_job)(job_id)).status != "failed":
            await sync_to_async(storage_api.sweep_stuck_jobs)()
            await asyncio.sleep(0.2)

    await asyncio.wait_for(sweep_until_failed(), 20)
    swept = await sync_to_async(storage_api.get_job)(job_id)
    assert (swept.error.code, swept.error.stage) == ("timed_out", "generating")
    await wait_for(lambda: (SAVE, job_id, 1, "IGNORED") in task_log.finished, what="the late save step")

    assert metric("spg_job_late_completions_total", {"stage": "saving"}) == late_before + 1
    assert any("after the job was swept" in record.getMessage() for record in caplog.records)
    assert await sync_to_async(storage_api.get_job)(job_id) == swept  # the late result changed nothing
    assert [letter["task_name"] for letter in await sync_to_async(storage_api.list_dead_letters)()] == ["apps.storage.sweep"]
