"""Durable user data: playlist jobs (with their results) and the dead-letter queue."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class JobStatus(models.TextChoices):
    QUEUED = "queued"
    PREDICTING = "predicting"
    GENERATING = "generating"
    SAVING = "saving"
    COMPLETED = "completed"
    FAILED = "failed"


# The work stages in chain order, and where a job can be: the one definition of each.
STAGES = (JobStatus.PREDICTING, JobStatus.GENERATING, JobStatus.SAVING)
TERMINAL_STATUSES = (JobStatus.COMPLETED, JobStatus.FAILED)
IN_PROGRESS_STATUSES = (JobStatus.QUEUED, *STAGES)


class PlaylistJob(models.Model):
    """One playlist request and, once done, its result (kept as data, so it survives catalog changes)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="playlist_jobs")
    text = models.TextField()
    target_emotion = models.CharField(max_length=32, blank=True)  # blank: a point chosen on the plane
    target_valence = models.FloatField()
    target_arousal = models.FloatField()
    length = models.PositiveSmallIntegerField()
    # The shape of the journey (apps.music.api.generate_playlist's controls), as asked.
    chosen_start_valence = models.FloatField(null=True, blank=True)  # null: start where the reading places you
    chosen_start_arousal = models.FloatField(null=True, blank=True)
    waypoints = models.JSONField(default=list, blank=True)
    stay = models.PositiveSmallIntegerField(default=0)
    max_step = models.FloatField(null=True, blank=True)
    artist_cap = models.PositiveSmallIntegerField(null=True, blank=True)
    seed = models.BigIntegerField(null=True, blank=True)
    # A re-route: the job it re-plans, and the songs already played then (left out of the new plan).
    rerouted_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reroutes")
    exclude_song_ids = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    # The seq of the last event published for this job; clients drop events with seq <= last seen.
    seq = models.PositiveIntegerField(default=0)
    # Which run of the chain is current (1, then +1 per replay); every chain message carries it.
    attempt = models.PositiveIntegerField(default=1)
    request_id = models.CharField(max_length=64, blank=True)
    # The broker message (task id) that moved the job into its current stage, which may also run the
    # later steps in its process: if it is redelivered, it may redo its steps up to this stage.
    stage_carrier = models.CharField(max_length=255, blank=True, default="")

    created_at = models.DateTimeField()
    # The last transition: the stuck-job deadline counts from here (no progress for that long).
    updated_at = models.DateTimeField()
    # Start of the current attempt (creation or last replay).
    queued_at = models.DateTimeField()
    predicting_at = models.DateTimeField(null=True, blank=True)
    generating_at = models.DateTimeField(null=True, blank=True)
    saving_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    prediction = models.JSONField(null=True, blank=True)
    top_emotion = models.CharField(max_length=32, blank=True)
    start_valence = models.FloatField(null=True, blank=True)
    start_arousal = models.FloatField(null=True, blank=True)
    playlist = models.JSONField(null=True, blank=True)
    model_version = models.CharField(max_length=64, blank=True)
    catalog_version = models.CharField(max_length=64, blank=True)
    engine_version = models.CharField(max_length=64, blank=True)

    error_code = models.CharField(max_length=32, blank=True)
    error_message = models.TextField(blank=True)
    # The status the job was in when it failed (queued or a stage): what the result page marks failed.
    failed_stage = models.CharField(max_length=16, choices=JobStatus.choices, blank=True)
    # When retention erased the text (JOB_TEXT_RETENTION_DAYS); the playlist and the reading stay.
    text_erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="job_user_created_idx"),
            models.Index(fields=["status", "updated_at"], name="job_status_updated_idx"),
            # The retention sweep's scan: texts not yet erased, oldest first.
            models.Index(
                fields=["created_at"], name="job_text_kept_created_idx", condition=models.Q(text_erased_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"


class DeadLetterStatus(models.TextChoices):
    NEW = "new"
    REPLAYED = "replayed"
    RESOLVED = "resolved"


class DeadLetter(models.Model):
    """A task that failed for good (or a swept job): enough to understand it; replay re-runs its job."""

    task_name = models.CharField(max_length=200, db_index=True)
    task_id = models.CharField(max_length=255, unique=True)
    job_id = models.UUIDField(null=True, blank=True, db_index=True)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    exception_type = models.CharField(max_length=200, blank=True)
    exception_message = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    retries = models.PositiveIntegerField(default=0)
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    status = models.CharField(max_length=16, choices=DeadLetterStatus.choices, default=DeadLetterStatus.NEW)
    replayed_at = models.DateTimeField(null=True, blank=True)
    replay_count = models.PositiveIntegerField(default=0)
    replay_task_id = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.task_name}[{self.task_id}]"


class Outcome(models.Model):
    """How the person felt after a playlist, reported by them (one per job, changeable), against the "before".

    The before is the mood the reading found (the job's start), copied at report time so a later change to
    how a job's start is chosen cannot rewrite a recorded outcome. The measures are stored so the look-back
    summary, the admin and the metrics aggregate in the database.
    """

    job = models.OneToOneField(PlaylistJob, on_delete=models.CASCADE, primary_key=True, related_name="outcome")
    before_valence = models.FloatField()
    before_arousal = models.FloatField()
    after_valence = models.FloatField()
    after_arousal = models.FloatField()
    # Set when the person picked a named emotion (its place on the plane is the after point).
    after_emotion = models.CharField(max_length=32, blank=True)
    distance_moved = models.FloatField(help_text="from before to after, on the plane")
    # (distance before→target − distance after→target) / distance before→target: 1 reached the target,
    # 0 no nearer, negative farther away. Null when the before was the target.
    progress = models.FloatField(null=True, blank=True)
    toward_target = models.BooleanField(help_text="after is nearer the target than before")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(after_valence__gte=-10, after_valence__lte=10, after_arousal__gte=-10, after_arousal__lte=10),
                name="storage_outcome_after_on_plane",
            ),
        ]

    def __str__(self) -> str:
        return f"outcome of {self.job_id}"
