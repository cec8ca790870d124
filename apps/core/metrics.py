"""The project's own job metrics (prometheus_client's default registry, exported at /metrics).

Defined once here so that storage (which records job transitions), the gateway (sockets)
and Celery workers share them. Under ``PROMETHEUS_MULTIPROC_DIR`` (set by ``runstack``)
every process writes its samples to that directory and Daphne's ``/metrics`` aggregates
them, so worker metrics reach the same endpoint. Caches define their own hit/miss counters.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Milliseconds: from a few ms (cache hits) to the task time limit.
_MS_BUCKETS = (1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120000)

JOB_DURATION_MS = Histogram(
    "spg_job_duration_ms",
    "Time from a job's (re)queueing to its end, in milliseconds, by outcome.",
    ["outcome"],
    buckets=_MS_BUCKETS,
)
JOB_STAGE_DURATION_MS = Histogram(
    "spg_job_stage_duration_ms",
    "Time a completed job spent in each stage (queued, predicting, generating, saving), in milliseconds.",
    ["stage"],
    buckets=_MS_BUCKETS,
)
JOBS_CREATED = Counter("spg_jobs_created", "Playlist jobs accepted by the API.")
JOBS_FINISHED = Counter("spg_jobs_finished", "Playlist jobs that ended, by outcome (completed, failed).", ["outcome"])
DEAD_LETTERS_CREATED = Counter("spg_dead_letters_created", "Dead-letter rows created, by task name.", ["task"])
WEBSOCKET_CONNECTIONS_OPEN = Gauge(
    "spg_websocket_connections_open",
    "Job WebSocket connections currently open (accepted and authorised).",
    multiprocess_mode="livesum",
)
