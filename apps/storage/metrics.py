"""The job's metrics (prometheus_client's default registry, exported at /metrics; see docs/jobs.md)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from apps.core.metrics import MS_BUCKETS

JOB_DURATION_MS = Histogram(
    "spg_job_duration_ms",
    "Time from a job's (re)queueing to its end, in milliseconds, by outcome.",
    ["outcome"],
    buckets=MS_BUCKETS,
)
JOB_STAGE_DURATION_MS = Histogram(
    "spg_job_stage_duration_ms",
    "Time a completed job spent in each stage (queued, predicting, generating, saving), in milliseconds.",
    ["stage"],
    buckets=MS_BUCKETS,
)
JOBS_CREATED = Counter("spg_jobs_created", "Playlist jobs accepted by the API.")
JOBS_FINISHED = Counter("spg_jobs_finished", "Playlist jobs that ended, by outcome (completed, failed).", ["outcome"])
DEAD_LETTERS_CREATED = Counter("spg_dead_letters_created", "Dead-letter rows created, by task name.", ["task"])
TEXTS_ERASED = Counter(
    "spg_job_texts_erased", "Job texts erased by the retention sweep (JOB_TEXT_RETENTION_DAYS); the playlists stay."
)
LATE_COMPLETIONS = Counter(
    "spg_job_late_completions",
    "Steps of a swept attempt that finished their work after the sweep (result discarded), by the stage they would have entered.",
    ["stage"],
)
