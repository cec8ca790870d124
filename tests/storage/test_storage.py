"""Storage through its public interface: job transitions and events, dead letters, replay, admin."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from celery import signals
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from django.core.management import call_command
from prometheus_client import REGISTRY

from apps.storage import api
from apps.storage.tasks import save_result
from tests.integration.conftest import purge_queues

pytestmark = pytest.mark.django_db(transaction=True)  # events are published after commit


@pytest.fixture
def user():
    return get_user_model().objects.create_user(username="sam", email="sam@example.com", password="S3cret-pass-123")


@pytest.fixture
def job(user):
    return api.create_job(user_id=user.pk, text="meh", target_emotion="fun", target_point=(8, 8), length=5, request_id="req-0001")


@pytest.fixture
def listen():
    """Subscribe a channel to a job's group; returns a function that drains its events."""
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()

    def subscribe(job_id: str):
        async_to_sync(layer.group_add)(f"job.{job_id}", channel)

        def drain() -> list[dict]:
            async def _drain():
                events = []
                while True:
                    try:
                        async with asyncio.timeout(0.3):
                            events.append((await layer.receive(channel))["event"])
                    except TimeoutError:
                        return events

            return async_to_sync(_drain)()

        return drain

    yield subscribe
    async_to_sync(layer.flush)()


def test_stages_move_forward_only_bump_seq_and_publish_the_full_state(job, listen):
    drain = listen(job["job_id"])
    assert job["status"] == "queued" and job["seq"] == 0

    assert api.record_stage(job["job_id"], "predicting")["seq"] == 1
    assert api.record_stage(job["job_id"], "predicting") is None  # a retried task reports again: no-op
    assert api.record_stage(job["job_id"], "generating")["seq"] == 2
    assert api.record_stage(job["job_id"], "predicting") is None  # never backwards

    events = drain()
    assert [(e["type"], e["status"], e["seq"]) for e in events] == [("job.progress", "predicting", 1), ("job.progress", "generating", 2)]
    assert events[-1]["job"] == api.get_job(job["job_id"])
    with pytest.raises(ValueError):
        api.record_stage(job["job_id"], "completed")


def test_save_result_completes_once_and_measures_the_stages(job, listen):
    drain = listen(job["job_id"])
    before = REGISTRY.get_sample_value("spg_job_stage_duration_ms_count", {"stage": "saving"}) or 0
    payload = {"job_id": job["job_id"], "prediction": {"top_emotion": "sadness", "valence": -9.0, "arousal": -8.0, "model_version": "m1"},
               "playlist": {"songs": [{"id": 7, "title": "T", "artist": "A", "valence": 1.0, "arousal": 2.0}], "catalog_version": "c1", "engine_version": "e1"}}

    assert save_result.apply(args=(payload,)).get()["status"] == "completed"
    assert save_result.apply(args=(payload,)).get()["status"] is None  # a redelivery changes nothing

    state = api.get_job(job["job_id"])
    assert state["status"] == "completed" and state["seq"] == 2 and state["completed_at"]
    assert state["playlist"]["songs"][0]["title"] == "T" and state["prediction"]["top_emotion"] == "sadness"
    assert [e["type"] for e in drain()] == ["job.progress", "job.completed"]
    assert REGISTRY.get_sample_value("spg_job_stage_duration_ms_count", {"stage": "saving"}) == before + 1


def test_a_task_failure_is_dead_lettered_exactly_once_and_fails_the_job(job, listen):
    drain = listen(job["job_id"])
    api.record_stage(job["job_id"], "predicting")
    created_before = REGISTRY.get_sample_value("spg_dead_letters_created_total", {"task": save_result.name}) or 0
    failure = {
        "sender": save_result, "task_id": "task-123", "exception": KeyError("prediction"),
        "args": ({"job_id": job["job_id"], "text": "meh"},), "kwargs": {}, "einfo": None,
    }
    signals.task_failure.send(**failure)
    signals.task_failure.send(**failure)  # the same failure reported twice

    letters = api.list_dead_letters()
    assert len(letters) == 1
    assert letters[0]["task_id"] == "task-123" and letters[0]["job_id"] == job["job_id"]
    assert letters[0]["exception_type"] == "builtins.KeyError" and letters[0]["request_id"] == "req-0001"
    state = api.get_job(job["job_id"])
    assert state["status"] == "failed" and state["error"]["code"] == "prediction_failed"
    assert "KeyError" not in state["error"]["message"]
    assert [e["type"] for e in drain()] == ["job.progress", "job.failed"]
    assert REGISTRY.get_sample_value("spg_dead_letters_created_total", {"task": save_result.name}) == created_before + 1


def test_a_failure_without_a_job_is_still_dead_lettered():
    signals.task_failure.send(sender=save_result, task_id="orphan-1", exception=ValueError("x"), args=(), kwargs={}, einfo=None)
    assert [letter["task_id"] for letter in api.list_dead_letters()] == ["orphan-1"]


def test_replay_command_requeues_the_job_and_marks_the_letter(job, capsys):
    api.fail_job(job["job_id"], "prediction_failed", "Try again.", dead_letter={
        "task_name": "apps.emotion.tasks.predict", "task_id": "t-1", "args": [{"job_id": job["job_id"]}], "kwargs": {}, "chain": [],
        "exception_type": "RuntimeError", "exception_message": "boom",
    })
    try:
        call_command("replay_dead_letters", "--dry-run")
        assert "1 dead letter(s) would be replayed" in capsys.readouterr().out
        assert api.list_dead_letters()[0]["status"] == "new"

        call_command("replay_dead_letters", "--since", "1h", "--task", "apps.emotion.tasks.predict")
        assert "1 of 1 dead letter(s) replayed" in capsys.readouterr().out
        letter = api.list_dead_letters()[0]
        assert letter["status"] == "replayed" and letter["replay_count"] == 1 and letter["replayed_at"]
        state = api.get_job(job["job_id"])
        assert state["status"] == "queued" and state["error"] is None

        call_command("replay_dead_letters")  # nothing new left
        assert "0 of 0" in capsys.readouterr().out
    finally:
        purge_queues()


def test_replay_skips_a_letter_whose_job_completed(job):
    signals.task_failure.send(sender=save_result, task_id="t-2", exception=RuntimeError("x"),
                              args=({"job_id": job["job_id"]},), kwargs={}, einfo=None)
    # A later attempt (e.g. a replay from the admin) completed the job.
    api.replay_dead_letters()
    purge_queues()
    save_result.apply(args=({"job_id": job["job_id"], "prediction": {}, "playlist": {}},))
    assert api.get_job(job["job_id"])["status"] == "completed"
    results = api.replay_dead_letters(ids=[letter["id"] for letter in api.list_dead_letters()])
    assert results == [{"id": api.list_dead_letters()[0]["id"], "replayed": False, "reason": "job already completed"}]


def test_admin_lists_dead_letters_and_replays_them(job, client):
    admin_user = get_user_model().objects.create_superuser(username="root", email="root@example.com", password="S3cret-pass-123")
    client.force_login(admin_user)
    signals.task_failure.send(sender=save_result, task_id="t-3", exception=RuntimeError("kaput"),
                              args=({"job_id": job["job_id"]},), kwargs={}, einfo=None)
    letter_id = api.list_dead_letters()[0]["id"]

    listing = client.get("/admin/storage/deadletter/", {"q": "t-3", "status__exact": "new"})
    assert listing.status_code == 200 and b"apps.storage.tasks.save_result" in listing.content
    assert client.get(f"/admin/storage/deadletter/{letter_id}/change/").status_code == 200
    assert client.get("/admin/storage/playlistjob/").status_code == 200
    try:
        response = client.post("/admin/storage/deadletter/", {"action": "replay", "_selected_action": [letter_id]}, follow=True)
    finally:
        purge_queues()
    assert response.status_code == 200 and b"Replayed 1 dead letter" in response.content
    assert api.list_dead_letters()[0]["status"] == "replayed"
    assert api.get_job(job["job_id"])["status"] == "queued"
