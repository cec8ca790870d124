"""Benchmark: CPU of the per-job plumbing, in one process, without the stack's noise (issue #17).

    .venv/bin/python bench/job_cpu.py [--jobs 400] [--requests 400] [--publishes 3000] [--rounds 3]

Process CPU time (all threads) per unit, measured in rounds that alternate the two ways of doing it:

- publish: one job event to a Channels group from synchronous code, through our channel layer's blocking
  PUBLISH (``group_send_blocking``, what ``apps.core.events.publish`` does) vs channels-redis's
  ``group_send`` driven by an event loop in another thread (what it did before, and still does for any
  other layer);
- storage: the worker's storage work for one job (three step gates and ``complete_job``: four
  transitions, each a transaction and an event) on a scratch SQLite file;
- request: one GET /readyz (a database query and a Redis ping) through Django's own ASGI handler (a new
  thread, so a new database connection, per request) vs ours (``apps.core.asgi``: long-lived lanes).

Redis: REDIS_URL, else an embedded redis-server (as the tests use).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_ENV", "local")  # a benchmark on a development machine
os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='spg-job-cpu-')}/db.sqlite3"

EVENT = {"type": "progress", "job_id": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "status": "predicting", "seq": 2,
         "job": {"status": "predicting", "seq": 2, "attempt": 1, "text": "I feel a bit low today", "prediction": None}}


def cpu_ms(work, count: int) -> float:
    started = time.process_time()
    for _ in range(count):
        work()
    return (time.process_time() - started) / count * 1000


def publish_ways():
    from apps.core import events

    def publisher(blocking: bool):
        events._publisher = None
        current = events._current_publisher()
        if not blocking:  # what every publish did before: the layer's group_send on a loop thread
            current.blocking_send = None
            current.loop = asyncio.new_event_loop()
            current.thread = threading.Thread(target=current.loop.run_forever, daemon=True)
            current.thread.start()
        return lambda: events.publish("job.bench", EVENT)

    return {"loop thread": lambda: publisher(False), "blocking PUBLISH": lambda: publisher(True)}


def storage_work():
    from django.contrib.auth import get_user_model

    from apps.storage import services
    from apps.storage.models import JobStatus

    user = get_user_model().objects.create_user("bench-job-cpu", password="unused-password-1")
    prediction = {"top_emotion": "sadness", "valence": -3.0, "arousal": -2.0, "model_version": "m",
                  "probabilities": {f"e{i}": 1 / 13 for i in range(13)}, "confidence": 0.7, "unsure": False,
                  "halo_radius": 3.0, "explanation_method": "occlusion", "words": []}
    playlist = {"catalog_version": "c", "engine_version": "e",
                "songs": [{"id": i, "title": "A song title", "artist": "An artist", "valence": 0.1, "arousal": 0.2} for i in range(10)]}
    jobs = []

    def prepare(count: int) -> None:
        jobs.extend(services.create_job(user_id=user.pk, text="I feel a bit low today", target_emotion="happiness",
                                        target_point=(9.0, 5.0), length=10).job_id for _ in range(count))

    def one_job() -> None:
        job_id = jobs.pop()
        for stage in (JobStatus.PREDICTING, JobStatus.GENERATING, JobStatus.SAVING):
            if services.admit_step(stage, {"job_id": job_id, "attempt": 1}, "bench-carrier") is not None:
                raise RuntimeError("a step gate refused a fresh job")
        if services.complete_job(job_id, 1, prediction, playlist) is None:
            raise RuntimeError("the job did not complete")

    return prepare, one_job


async def request_cpu_ms(app, count: int) -> float:
    from channels.testing import HttpCommunicator

    started = time.process_time()
    for _ in range(count):
        communicator = HttpCommunicator(app, "GET", "/readyz", headers=[(b"host", b"localhost")])
        response = await communicator.get_response(timeout=10)
        await communicator.wait(timeout=10)  # the request's last steps (closing the response) count too
        if response["status"] != 200:
            raise RuntimeError(f"/readyz answered {response['status']}")
    return (time.process_time() - started) / count * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=400)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--publishes", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import django

    from apps.core.embedded_redis import ensure_redis_url

    ensure_redis_url()  # REDIS_URL, or an embedded redis-server for this process

    django.setup()
    import logging

    from django.core.handlers.asgi import ASGIHandler
    from django.core.management import call_command

    from apps.core.asgi import LanedASGIHandler

    call_command("migrate", verbosity=0)
    logging.disable(logging.WARNING)  # the per-step INFO lines would be measured with the work
    results: dict[str, list[float]] = {}
    ways = publish_ways()
    prepare, one_job = storage_work()
    prepare(args.jobs * args.rounds + 50)
    cpu_ms(one_job, 50)  # warm-up: the first transitions compile the queries
    apps = {"request, Django's handler": ASGIHandler(), "request, lanes": LanedASGIHandler(8)}
    for _ in range(args.rounds):
        for name, make in ways.items():
            send = make()
            cpu_ms(send, 100)
            results.setdefault(f"publish, {name}", []).append(cpu_ms(send, args.publishes))
        results.setdefault("storage, one job (4 transitions)", []).append(cpu_ms(one_job, args.jobs))
        for name, app in apps.items():
            asyncio.run(request_cpu_ms(app, 20))
            results.setdefault(name, []).append(asyncio.run(request_cpu_ms(app, args.requests)))
    print(json.dumps({"load_average": os.getloadavg(), "cpu_ms": {k: [round(v, 3) for v in vs] for k, vs in results.items()}}, indent=2))


if __name__ == "__main__":
    main()
