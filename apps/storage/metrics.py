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
# Outcomes (reported by people after a playlist), by the versions that made the playlist, so a change of
# model or engine can be judged by its outcomes. Every report counts, a changed one again (changed="yes").
OUTCOMES_REPORTED = Counter(
    "spg_outcomes_reported",
    "Outcome reports (how a person felt after a playlist), by direction (toward/away from the target) and versions.",
    ["direction", "changed", "model_version", "engine_version"],
)
OUTCOME_DISTANCE_MOVED = Histogram(
    "spg_outcome_distance_moved",
    "Distance on the plane from the mood read before a playlist to the one reported after (mean = sum / count).",
    ["model_version", "engine_version"],
    buckets=(0.5, 1, 2, 3, 5, 8, 12, 17, 23, 29),
)
OUTCOME_PROGRESS = Histogram(
    "spg_outcome_progress",
    "Share of the way to the target an outcome came (1 reached it, 0 no nearer, negative farther).",
    ["model_version", "engine_version"],
    buckets=(-1, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 0.9, 1),
)
