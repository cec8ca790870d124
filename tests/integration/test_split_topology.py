"""The services split across workers by routing alone, end to end through the real stack.

Daphne and three prefork workers on separate queues (emotion; music; storage + gateway with beat
embedded), through bench/_stack.py: on the stack's own SQLite file and embedded redis-server by
default, and on the session's PostgreSQL and Redis when DATABASE_URL names a PostgreSQL server (CI's
second pass; a database and Redis DB indexes of the stack's own, see test_stack_on_servers.py).
Jobs run end to end; then the emotion worker is SIGKILLed while a job is mid-task and a new one
started: every accepted job completes or is dead-lettered, none lost. Only the emotion worker loads
the model: the others stay under 200 MB RSS in every process.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import psutil
import pytest

from bench import chaos
from bench._live import is_postgres
from bench._stack import SPLIT_TOPOLOGY, Stack, Worker
from tests.helpers import SYSTEM_JEMALLOC, runs_on_jemalloc

pytestmark = pytest.mark.slow

SHIPPED_MODEL = Path(__file__).resolve().parents[2] / "apps" / "emotion" / "artifacts" / "model_card.json"
RSS_LIMIT_MB = 200
# Short deadline and sweep so the job killed mid-task is failed and dead-lettered within ~30 s; the
# task time limit stays below the deadline (the stack refuses to start otherwise).
SPLIT_STACK = {
    "worker_queues": SPLIT_TOPOLOGY, "concurrency": 1, "deadline_s": 30, "sweep_interval_s": 2, "visibility_timeout_s": 60,
    "extra_env": {"SQLITE_BUSY_TIMEOUT": "3", "CELERY_TASK_TIME_LIMIT": "25", "CELERY_TASK_SOFT_TIME_LIMIT": "20"},
}


def session_servers() -> dict[str, str]:
    """The session's PostgreSQL and Redis for the stack when the session runs on PostgreSQL; else none (its own)."""
    database_url = os.environ.get("DATABASE_URL")
    if not is_postgres(database_url):
        return {}
    return {"postgres_url": database_url, "redis_url": os.environ["REDIS_URL"]}  # the plugin sets it when unset


class RssWatch:
    """Peak RSS (MiB) of every process (main and pool children) of the given workers, sampled in a thread."""

    def __init__(self, workers: list[Worker]):
        self.workers = workers
        self.peak: dict[str, float] = {}
        self.torch_seen: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            for worker in self.workers:
                for process in [psutil.Process(worker.process.pid), *worker.children()]:
                    try:
                        rss = process.memory_info().rss / 2**20
                        if any("libtorch" in m.path for m in process.memory_maps(grouped=True)):
                            self.torch_seen.add(worker.queues)
                    except psutil.Error:
                        continue
                    self.peak[worker.queues] = max(self.peak.get(worker.queues, 0.0), rss)
            self._stop.wait(0.25)

    def __enter__(self) -> RssWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture(scope="module")
def split_stack():
    if not SHIPPED_MODEL.is_file() and not os.environ.get("EMOTION_MODEL_DIR"):
        pytest.skip("no trained emotion model (apps/emotion/artifacts is empty and EMOTION_MODEL_DIR is unset)")
    with Stack(**SPLIT_STACK, **session_servers()) as stack:
        print(
            f"\nsplit stack at {stack.url} (home {stack.home}) on {stack.env['DATABASE_URL']} and {stack.redis_server} "
            f"DBs {stack.redis_dbs}: workers {[w.queues for w in stack.worker_list]}"
        )
        yield stack


async def test_split_workers_run_jobs_end_to_end_and_survive_losing_the_emotion_worker(split_stack):
    stack = split_stack
    assert is_postgres(stack.database_url) == bool(session_servers())  # CI's second pass really runs on PostgreSQL
    others = [w for w in stack.worker_list if not w.loads_model]
    assert sorted(w.queues for w in others) == ["music", "storage,gateway"] and others[-1].beat

    with RssWatch(others) as watch:
        # Steady load, nothing killed: every job completes through all three workers.
        browsers = await chaos._browsers(stack, "split-", 3)
        load = chaos.Load(browsers, chaos.load_texts())
        await load.steady(8, 4.0)
        outcomes = await load.outcomes()
        await chaos._close(browsers)
        steady = chaos.reconcile(stack, outcomes, user_prefix="split-")
        assert steady["completed"] == steady["accepted"] == 8 and steady["problems"] == [], steady

        # The emotion worker SIGKILLed mid-task, a new one started on the same queue.
        counts = await chaos.kill_worker(stack, jobs=12)

    assert counts["accepted"] == 12 and counts["refused"] == 0, counts
    assert counts["lost"] == 0 and counts["stuck"] == 0 and counts["half_saved"] == 0, counts
    assert counts["completed"] + counts["failed_dead_lettered"] == counts["accepted"], counts
    assert counts["problems"] == [], counts["problems"]
    assert counts["swept"] >= 1, counts  # the job killed mid-task: failed by the sweep, dead-lettered
    assert [w.queues for w in stack.worker_list if w.loads_model] == ["emotion"]  # the replacement

    # Only the emotion worker loaded the model.
    for worker in others:
        assert "emotion model loaded" not in worker.log.read_text(errors="replace"), worker.queues
    assert watch.torch_seen == set(), watch.torch_seen
    assert set(watch.peak) == {"music", "storage,gateway"}
    assert all(rss < RSS_LIMIT_MB for rss in watch.peak.values()), watch.peak
    print(f"peak RSS (MiB) of the non-emotion workers' processes: {watch.peak}")


def test_the_emotion_worker_alone_holds_the_model(split_stack):
    [emotion] = [w for w in split_stack.worker_list if w.loads_model]
    assert emotion.log.read_text(errors="replace").count("emotion model loaded") >= emotion.concurrency
    rss = max(p.memory_info().rss for p in emotion.children()) / 2**20
    assert rss > RSS_LIMIT_MB  # the model is really there: the limit above is not trivially met


def test_the_workers_run_on_jemalloc_where_the_system_has_it(split_stack):
    """Started as deployed (deploy/with-jemalloc): every worker and its pool children run on jemalloc."""
    if not SYSTEM_JEMALLOC.exists():
        pytest.skip("this system has no libjemalloc2: the workers run on glibc's malloc")
    for worker in split_stack.worker_list:
        for process in [psutil.Process(worker.process.pid), *worker.children()]:
            assert runs_on_jemalloc(process), worker.queues
