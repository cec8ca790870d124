"""Storage through its public interface and its tasks: transitions and events, attempts, the step gate,
dead letters, replay, the sweep, the admin and the deadline check (no worker: see tests/integration)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from celery import signals
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.utils import timezone
from prometheus_client import REGISTRY

from apps.core import pipeline
from apps.storage import api
from apps.storage.checks import check_job_deadline
from apps.storage.models import PlaylistJob
from apps.storage.tasks import save_result
from tests.integration.conftest import purge_queues

pytestmark = pytest.mark.django_db(transaction=True)  # events are published after commit

ROOT = Path(__file__).resolve().parents[2]
PREDICTION = {"top_emotion": "sadness", "valence": -9.0, "arousal": -8.0, "model_version": "m1"}
PLAYLIST = {"songs": [{"id": 7, "title": "T", "artist": "A", "valence": 1.0, "arousal": 2.0}], "catalog_version": "c1", "engine_version": "e1"}


@pytest.fixture
def user():
    return get_user_model().objects.create_user(username="sam", email="sam@example.com", password="S3cret-pass-123")


@pytest.fixture
def job(user):
    return api.create_job(user_id=user.pk, text="meh", target_emotion="fun", target_point=(8, 8), length=5, request_id="req-0001")


@pytest.fixture
def listen():
    """Subscribe a channel to a job's group; returns a function that drains its events.

    Every call runs on one event loop of the fixture's own: the channel layer (Redis pub/sub) keeps a
    channel and its subscriptions per loop, so separate ``async_to_sync`` calls would not share them."""
    layer = get_channel_layer()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="test-listen", daemon=True)
    thread.start()

    def run(coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=30)

    channel = run(layer.new_channel())

    def subscribe(job_id: str):
        run(layer.group_add(api.job_group(job_id), channel))

        def drain() -> list[dict]:
            async def _drain():
                events = []
                while True:
                    try:
                        async with asyncio.timeout(0.3):
                            events.append((await layer.receive(channel))["event"])
                    except TimeoutError:
                        return events

            return run(_drain())

        return drain

    yield subscribe
    run(layer.flush())
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
    loop.close()


def enter(stage: str, job_id: str, attempt: int = 1) -> None:
    """What a chain step does first: ask storage's gate (raises Ignore when refused)."""
    pipeline.admit(stage, {"job_id": job_id, "attempt": attempt})


def payload(job, attempt: int = 1) -> dict:
    return {"job_id": job.job_id, "attempt": attempt, "prediction": PREDICTION, "playlist": PLAYLIST}


def skipped(stage: str, reason: str) -> float:
    return REGISTRY.get_sample_value("spg_pipeline_steps_skipped_total", {"stage": stage, "reason": reason}) or 0.0


def fail_with_letter(job_id: str, task_id: str, attempt: int = 1) -> None:
    """A step failing for good, as Celery reports it (the dead-letter handler's input)."""
    signals.task_failure.send(
        sender=save_result, task_id=task_id, exception=RuntimeError("kaput"), args=({"job_id": job_id, "attempt": attempt},),
        kwargs={}, einfo=None,
    )


def test_the_gate_moves_stages_forward_once_per_attempt_and_publishes_the_full_state(job, listen):
    from celery.exceptions import Ignore

    drain = listen(job.job_id)
    assert (job.status, job.seq, job.attempt) == ("queued", 0, 1)

    enter("predicting", job.job_id)
    enter("predicting", job.job_id)  # redelivered mid-stage: runs again, changes nothing
    enter("generating", job.job_id)
    before = skipped("predicting", "not_allowed")
    with pytest.raises(Ignore):
        enter("predicting", job.job_id)  # a stage already passed: its work is done
    assert skipped("predicting", "not_allowed") == before + 1

    state = api.get_job(job.job_id)
    assert (state.status, state.seq) == ("generating", 2)
    events = drain()
    # Each refused or repeated step re-publishes the current state (clients drop seqs they have seen).
    assert [(e["type"], e["status"], e["seq"]) for e in events] == [
        ("job.progress", "predicting", 1), ("job.progress", "predicting", 1),
        ("job.progress", "generating", 2), ("job.progress", "generating", 2),
    ]
    assert events[-1]["job"] == state.to_dict()
    with pytest.raises(ValueError):
        enter("completed", job.job_id)


def test_a_redelivered_carrier_redoes_its_steps_up_to_the_stage_it_reached_and_no_other_message_does(job):
    """A broker message that ran the later steps in its process (apps.core.pipeline) is recorded with each
    stage it let in; if it comes back (its worker died before acknowledging it), it may redo them."""
    from celery.exceptions import Ignore

    from apps.storage import services

    envelope = {"job_id": job.job_id, "attempt": 1}
    assert services.admit_step("predicting", envelope, "carrier-1") is None
    assert services.admit_step("generating", envelope, "carrier-1") is None  # run in the same process

    assert services.admit_step("predicting", envelope, "carrier-1") is None  # the carrier redelivered: redo
    assert services.admit_step("generating", envelope, "carrier-1") is None  # the current stage, as before
    assert services.admit_step("predicting", envelope, "another-message") == "not_allowed"  # a duplicate
    with pytest.raises(Ignore):
        enter("predicting", job.job_id)  # no carrier (eager): a stage passed is a stage passed
    assert services.admit_step("predicting", {**envelope, "attempt": 2}, "carrier-1") == "stale_attempt"
    state = api.get_job(job.job_id)
    assert (state.status, state.seq) == ("generating", 2)  # the redoing moved nothing

    assert services.admit_step("saving", envelope, "carrier-2") is None  # a hop: the next message carries on
    assert services.admit_step("predicting", envelope, "carrier-1") == "not_allowed"  # no longer the carrier
    assert services.admit_step("generating", envelope, "carrier-1") == "not_allowed"
    save_result.apply(args=(payload(job),)).get()
    assert services.admit_step("saving", envelope, "carrier-2") == "job_ended"


def test_an_unwired_gate_fails_loudly():
    saved = pipeline._gate
    pipeline.set_step_gate(None)
    try:
        with pytest.raises(ImproperlyConfigured, match="no pipeline step gate"):
            pipeline.admit("predicting", {"job_id": "x", "attempt": 1})
    finally:
        pipeline.set_step_gate(saved)


def test_a_stale_attempt_changes_nothing_and_is_counted(job):
    fail_with_letter(job.job_id, "t-0")
    api.replay_dead_letters()
    purge_queues()
    current = api.get_job(job.job_id)
    assert (current.status, current.attempt) == ("queued", 2)
    before = skipped("saving", "stale_attempt")

    result = save_result.apply(args=(payload(job, attempt=1),))

    assert result.state == "IGNORED"
    assert api.get_job(job.job_id) == current  # no state change at all
    assert skipped("saving", "stale_attempt") == before + 1


def test_save_result_completes_once_and_a_redelivery_republishes_the_state(job, listen):
    drain = listen(job.job_id)
    before = REGISTRY.get_sample_value("spg_job_stage_duration_ms_count", {"stage": "saving"}) or 0

    assert save_result.apply(args=(payload(job),)).get()["status"] == "completed"
    # A redelivery (the worker died between the commit and the publish): no change, the state is published again.
    assert save_result.apply(args=(payload(job),)).state == "IGNORED"
    assert [(e["type"], e["seq"]) for e in drain()] == [("job.progress", 1), ("job.completed", 2), ("job.completed", 2)]

    state = api.get_job(job.job_id)
    assert state.status == "completed" and state.seq == 2 and state.completed_at and state.error is None
    assert state.playlist["songs"][0]["title"] == "T" and state.prediction["top_emotion"] == "sadness"
    assert REGISTRY.get_sample_value("spg_job_stage_duration_ms_count", {"stage": "saving"}) == before + 1


def test_a_task_failure_is_dead_lettered_exactly_once_with_the_stage_it_failed_in(job, listen):
    drain = listen(job.job_id)
    enter("predicting", job.job_id)
    created_before = REGISTRY.get_sample_value("spg_dead_letters_created_total", {"task": save_result.name}) or 0

    fail_with_letter(job.job_id, "task-123")
    fail_with_letter(job.job_id, "task-123")  # the same failure reported twice
    fail_with_letter(job.job_id, "task-456")  # another failure of the ended attempt: not a second letter

    letters = api.list_dead_letters()
    assert [(item["task_id"], item["job_id"], item["request_id"]) for item in letters] == [("task-123", job.job_id, "req-0001")]
    assert letters[0]["exception_type"] == "builtins.RuntimeError"
    state = api.get_job(job.job_id)
    assert state.status == "failed" and (state.error.code, state.error.stage) == ("prediction_failed", "predicting")
    assert "RuntimeError" not in state.error.message
    assert [e["type"] for e in drain()] == ["job.progress", "job.failed"]
    assert REGISTRY.get_sample_value("spg_dead_letters_created_total", {"task": save_result.name}) == created_before + 1


def test_a_failure_of_an_older_attempt_does_not_fail_the_new_one(job):
    fail_with_letter(job.job_id, "t-1")
    api.replay_dead_letters()
    purge_queues()
    fail_with_letter(job.job_id, "t-late", attempt=1)  # e.g. a redelivered message of attempt 1 that failed again
    assert api.get_job(job.job_id).status == "queued"
    assert [item["task_id"] for item in api.list_dead_letters()] == ["t-1"]


def test_a_failure_without_a_job_is_still_dead_lettered_and_cannot_be_replayed():
    signals.task_failure.send(sender=save_result, task_id="orphan-1", exception=ValueError("x"), args=(), kwargs={}, einfo=None)
    letters = api.list_dead_letters()
    assert [letter["task_id"] for letter in letters] == ["orphan-1"]
    [result] = api.replay_dead_letters()
    assert result["replayed"] is False and "not a job's letter" in result["reason"]


def test_replay_command_starts_a_new_attempt_and_reports_each_letter(job, capsys):
    fail_with_letter(job.job_id, "t-1")
    try:
        call_command("replay_dead_letters", "--dry-run")
        assert "1 dead letter(s) would be replayed" in capsys.readouterr().out
        assert api.list_dead_letters()[0]["status"] == "new"

        call_command("replay_dead_letters", "--since", "1h", "--task", save_result.name)
        assert "replayed as attempt 2" in capsys.readouterr().out
        letter = api.list_dead_letters()[0]
        assert letter["status"] == "replayed" and letter["replay_count"] == 1 and letter["replayed_at"]
        state = api.get_job(job.job_id)
        assert (state.status, state.attempt, state.error) == ("queued", 2, None)

        call_command("replay_dead_letters", "--id", str(letter["id"]))  # again: the job is no longer failed
        assert "skipped: job is queued (attempt 2), not failed" in capsys.readouterr().out
    finally:
        purge_queues()


def test_concurrent_replays_of_two_letters_of_one_job_start_exactly_one_attempt(job, monkeypatch):
    from apps.storage import replay

    launched = []
    monkeypatch.setattr(replay, "_launcher", lambda state: launched.append(state.attempt) or f"task-{len(launched)}")
    fail_with_letter(job.job_id, "t-a")
    # A second letter of the same job (e.g. a sweep of an earlier failure), written directly.
    PlaylistJob.objects.filter(pk=job.job_id).update(status="failed")
    letter_ids = [item["id"] for item in api.list_dead_letters()]
    from apps.storage.dead_letters import record_dead_letter

    letter_ids.append(record_dead_letter(task_name="x", task_id="t-b", job_id=job.job_id)[0].pk)
    start = threading.Barrier(4)
    results = []

    def replay_one(letter_id):
        start.wait()
        results.extend(api.replay_dead_letters(ids=[letter_id]))

    threads = [threading.Thread(target=replay_one, args=(letter_id,)) for letter_id in letter_ids * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert launched == [2]
    assert sum(result["replayed"] for result in results) == 1 and len(results) == 4
    assert all("not failed" in result["reason"] or "locked" in result["reason"] for result in results if not result["replayed"])
    assert api.get_job(job.job_id).attempt == 2


def test_a_replay_that_cannot_be_sent_fails_the_job_again_and_the_batch_carries_on(job, user, monkeypatch):
    from apps.storage import replay

    other = api.create_job(user_id=user.pk, text="other", target_emotion="fun", target_point=(8, 8), length=5)
    fail_with_letter(job.job_id, "t-1")
    fail_with_letter(other.job_id, "t-2")
    sent = []

    def flaky(state):
        if state.job_id == job.job_id:
            raise ConnectionError("broker down")
        sent.append(state.job_id)
        return "task-ok"

    monkeypatch.setattr(replay, "_launcher", flaky)
    results = api.replay_dead_letters()

    assert [(result["replayed"], result.get("reason", "")[:22]) for result in results] == [
        (False, "could not send the cha"), (True, ""),
    ]
    assert sent == [other.job_id]
    assert api.get_job(job.job_id).status == "failed" and api.get_job(other.job_id).status == "queued"


def test_an_unwired_chain_launcher_fails_loudly(job, monkeypatch):
    from apps.storage import replay

    monkeypatch.setattr(replay, "_launcher", None)
    fail_with_letter(job.job_id, "t-1")
    [result] = api.replay_dead_letters()
    assert result["replayed"] is False and "ImproperlyConfigured" in result["reason"]


def test_the_sweep_fails_only_jobs_without_progress_and_counts_a_late_result(job, user, settings, listen):
    settings.JOB_DEADLINE_SECONDS = 60
    moving = api.create_job(user_id=user.pk, text="moving", target_emotion="fun", target_point=(8, 8), length=5)
    long_ago = timezone.now() - timedelta(seconds=300)
    # Both queued five minutes ago; only `moving` has made progress since (a transition a moment ago).
    PlaylistJob.objects.filter(pk__in=[job.job_id, moving.job_id]).update(queued_at=long_ago, updated_at=long_ago, created_at=long_ago)
    enter("predicting", moving.job_id)
    enter("generating", job.job_id)
    PlaylistJob.objects.filter(pk=job.job_id).update(updated_at=long_ago)
    drain = listen(job.job_id)

    assert api.sweep_stuck_jobs() == 1
    assert api.sweep_stuck_jobs() == 0  # exactly once
    swept, alive = api.get_job(job.job_id), api.get_job(moving.job_id)
    assert (swept.status, swept.error.code, swept.error.stage) == ("failed", "timed_out", "generating")
    assert alive.status == "predicting"
    assert [letter["task_name"] for letter in api.list_dead_letters()] == ["apps.storage.sweep"]
    assert [e["type"] for e in drain()] == ["job.failed"]

    # The generate step of the swept attempt finishes late: nothing changes, but it is logged and counted.
    before = REGISTRY.get_sample_value("spg_job_late_completions_total", {"stage": "saving"}) or 0
    assert save_result.apply(args=(payload(job),)).state == "IGNORED"
    assert api.get_job(job.job_id) == swept
    assert REGISTRY.get_sample_value("spg_job_late_completions_total", {"stage": "saving"}) == before + 1


def test_a_deadline_not_above_the_task_time_limit_is_refused(settings):
    settings.CELERY_TASK_TIME_LIMIT, settings.JOB_DEADLINE_SECONDS = 120, 120
    with pytest.raises(ImproperlyConfigured, match=r"JOB_DEADLINE_SECONDS \(120\) must be greater than CELERY_TASK_TIME_LIMIT \(120\)"):
        check_job_deadline()
    settings.JOB_DEADLINE_SECONDS = 121
    check_job_deadline()


def test_a_process_with_a_misconfigured_deadline_refuses_to_start():
    env = {"JOB_DEADLINE_SECONDS": "60", "CELERY_TASK_TIME_LIMIT": "120", "DJANGO_SETTINGS_MODULE": "config.settings"}
    import os

    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "JOB_DEADLINE_SECONDS (60) must be greater than CELERY_TASK_TIME_LIMIT (120)" in result.stderr


def test_the_api_serializer_is_derived_from_the_job_state(job):
    from apps.gateway.serializers import JobStateSerializer

    fail_with_letter(job.job_id, "t-1")
    state = api.get_job(job.job_id)
    assert JobStateSerializer(state.to_dict()).data == state.to_dict()
    assert set(JobStateSerializer().fields) == set(state.to_dict())
    assert set(JobStateSerializer().fields["error"].fields) == {"code", "message", "stage"}


def test_admin_lists_dead_letters_and_replays_them(job, client):
    admin_user = get_user_model().objects.create_superuser(username="root", email="root@example.com", password="S3cret-pass-123")
    client.force_login(admin_user)
    fail_with_letter(job.job_id, "t-3")
    letter_id = api.list_dead_letters()[0]["id"]

    listing = client.get("/admin/storage/deadletter/", {"q": "t-3", "status__exact": "new"})
    assert listing.status_code == 200 and b"apps.storage.tasks.save_result" in listing.content
    assert client.get(f"/admin/storage/deadletter/{letter_id}/change/").status_code == 200
    assert client.get("/admin/storage/playlistjob/").status_code == 200
    try:
        response = client.post("/admin/storage/deadletter/", {"action": "replay", "_selected_action": [letter_id]}, follow=True)
        assert response.status_code == 200 and b"Replayed 1 dead letter" in response.content
        assert api.list_dead_letters()[0]["status"] == "replayed"
        assert api.get_job(job.job_id).status == "queued"
        again = client.post("/admin/storage/deadletter/", {"action": "replay", "_selected_action": [letter_id]}, follow=True)
        assert again.status_code == 200 and b"Not replayed: #" in again.content and b"not failed" in again.content
    finally:
        purge_queues()
