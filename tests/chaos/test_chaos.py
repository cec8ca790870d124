"""Chaos under a steady load of jobs: every accepted job ends completed, or failed with exactly one
DeadLetter row and a job.failed event; none lost, none stuck, no duplicate results, no half-saved
job. Bounded for CI (smaller numbers than ``bench/chaos.py``); each test prints what it did and
the counts (run with ``-s`` to see them)."""

from __future__ import annotations

import pytest

from bench import chaos

# The stack runs on its own SQLite file and embedded Redis whatever DATABASE_URL says (CI runs it once).
pytestmark = [pytest.mark.slow, pytest.mark.chaos]


def assert_nothing_lost(counts: dict) -> None:
    assert counts["accepted"] > 0
    assert counts["lost"] == 0 and counts["stuck"] == 0 and counts["half_saved"] == 0, counts
    assert counts["completed"] + counts["failed_dead_lettered"] == counts["accepted"], counts
    assert counts["problems"] == [], counts["problems"]


async def test_sigkill_of_a_pool_child_mid_task_is_redelivered_and_the_job_completes(chaos_stack):
    counts = await chaos.kill_child(chaos_stack, jobs=12, kills=1)

    assert_nothing_lost(counts)
    assert counts["killed_jobs"] == 1 and counts["killed_jobs_completed"] == 1, counts
    assert counts["refused"] == 0


async def test_sigkill_of_a_whole_worker_ends_every_job_completed_or_swept_and_dead_lettered(chaos_stack):
    counts = await chaos.kill_worker(chaos_stack, jobs=12)

    assert_nothing_lost(counts)
    assert counts["refused"] == 0
    # The job that was mid-task on the killed worker cannot finish there: the sweep fails and
    # dead-letters it (its message stays unacked until the visibility timeout).
    assert counts["swept"] >= 1 and counts["failed_dead_lettered"] >= 1, counts


async def test_redis_down_answers_503_json_then_everything_recovers_without_restarts(chaos_stack):
    counts = await chaos.redis_outage(chaos_stack, outage_s=5)

    assert_nothing_lost(counts)
    assert counts["posts_during_outage"] > 0 and counts["refused"] > 0
    # Every refusal (during the outage) is the API's 503 envelope, never a hang or a 500.
    assert counts["refused_by_kind"] == {"post:http_503": counts["refused"]}, counts
    assert counts["refused_during_outage_503_json"] == counts["refused"], counts
    assert counts["readyz_redis_down_every_time"], counts["readyz_during"]
    assert counts["after_recovery_completed"] == counts["after_recovery_sent"] > 0, counts


async def test_daphne_restart_with_sockets_open_clients_reconnect_with_last_seq_and_get_the_result(chaos_stack):
    counts = await chaos.restart_daphne(chaos_stack, open_jobs=4, after_jobs=3)

    assert_nothing_lost(counts)
    assert counts["open_during_restart"] > 0
    assert counts["open_reconnected_and_completed"] == counts["open_during_restart"], counts
    assert counts["completed"] == counts["accepted"], counts


async def test_database_locked_answers_503_json_retries_tasks_and_saves_nothing_half(chaos_stack):
    counts = await chaos.db_locked(chaos_stack, lock_s=6)

    assert_nothing_lost(counts)
    assert counts["server_errors"] == 0, counts
    assert counts["refused_503_json"] == counts["refused"], counts
    assert counts["posts_during_lock"] > 0
