"""Outcomes: how a person felt after a playlist, measured against where they started and where they
wanted to be. The contract (frozen dataclasses that cross the boundary; the gateway derives its
serializers, and so the OpenAPI schema, from their fields, like ``state.JobState``), the measures,
and the one write (``record_outcome``). Reads are in ``selectors``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.db import transaction

from apps.storage.metrics import OUTCOME_DISTANCE_MOVED, OUTCOME_PROGRESS, OUTCOMES_REPORTED
from apps.storage.models import JobStatus, Outcome, PlaylistJob

Point = tuple[float, float]


class JobNotFinished(ValueError):
    """An outcome can only be reported for a completed playlist."""


@dataclass(frozen=True)
class Measures:
    distance_moved: float
    progress: float | None
    toward_target: bool


def measure(before: Point, after: Point, target: Point) -> Measures:
    """How far the person moved, and how much of the way to the target they came (see ``Outcome.progress``)."""
    start_gap, end_gap = math.dist(before, target), math.dist(after, target)
    progress = (start_gap - end_gap) / start_gap if start_gap > 0 else None
    return Measures(distance_moved=math.dist(before, after), progress=progress, toward_target=end_gap < start_gap)


@dataclass(frozen=True)
class OutcomeState:
    """How the person felt after a playlist ("after"), against the mood the reading found ("before")."""

    job_id: str = field(metadata={"format": "uuid"})
    target_emotion: str
    target_point: tuple[float, float] = field(metadata={"doc": "[valence, arousal] the playlist walked towards"})
    before_point: tuple[float, float] = field(metadata={"doc": "[valence, arousal] where the playlist began: the start the person chose, else the reading"})
    after_point: tuple[float, float] = field(metadata={"doc": "[valence, arousal] reported after listening"})
    after_emotion: str | None = field(metadata={"doc": "the named emotion picked, or null when a point was tapped"})
    distance_moved: float = field(metadata={"doc": "from before to after on the plane (0..~28.3)"})
    progress: float | None = field(
        metadata={"doc": "share of the way to the target: 1 reached it, 0 no nearer, negative farther; null if before was the target"}
    )
    toward_target: bool = field(metadata={"doc": "after is nearer the target than before"})
    created_at: str = field(metadata={"format": "date-time"})
    updated_at: str = field(metadata={"format": "date-time"})

    @classmethod
    def of(cls, outcome: Outcome, job: PlaylistJob) -> OutcomeState:
        return cls(
            job_id=str(job.pk),
            target_emotion=job.target_emotion,
            target_point=(job.target_valence, job.target_arousal),
            before_point=(outcome.before_valence, outcome.before_arousal),
            after_point=(outcome.after_valence, outcome.after_arousal),
            after_emotion=outcome.after_emotion or None,
            distance_moved=round(outcome.distance_moved, 3),
            progress=None if outcome.progress is None else round(outcome.progress, 3),
            toward_target=outcome.toward_target,
            created_at=outcome.created_at.isoformat(),
            updated_at=outcome.updated_at.isoformat(),
        )

    def to_dict(self) -> dict:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        for name in ("target_point", "before_point", "after_point"):
            data[name] = list(data[name])
        return data


@dataclass(frozen=True)
class OutcomeGroup:
    """Outcomes of one group (a target emotion, or a model and engine version)."""

    key: str = field(metadata={"doc": "the target emotion, or 'model_version / engine_version'"})
    count: int
    toward_target: int = field(metadata={"doc": "how many moved towards the target"})
    share_toward_target: float = field(metadata={"doc": "toward_target / count, 0..1"})
    mean_distance_moved: float
    mean_progress: float | None = field(metadata={"doc": "mean share of the way to the target (see OutcomeState.progress)"})

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class OutcomeSummary:
    """A person's (or everyone's) outcomes at a glance; ``groups`` best first."""

    count: int
    toward_target: int
    share_toward_target: float | None = field(metadata={"doc": "0..1; null when there are no outcomes"})
    mean_distance_moved: float | None
    mean_progress: float | None
    groups: tuple[OutcomeGroup, ...] = field(metadata={"doc": "by target emotion (or by version, for the operator), best first"})

    def to_dict(self) -> dict:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["groups"] = [group.to_dict() for group in self.groups]
        return data


# --- the one write ---------------------------------------------------------------------------------------


def _before(job: PlaylistJob) -> Point:
    """Where the playlist began: the start the person chose when they corrected the reading, else the reading."""
    if job.chosen_start_valence is not None and job.chosen_start_arousal is not None:
        return (job.chosen_start_valence, job.chosen_start_arousal)
    return (job.start_valence, job.start_arousal)


def record_outcome(job_id: str, user_id: object, after: Point, after_emotion: str = "") -> tuple[OutcomeState, bool] | None:
    """Create or change the outcome of the user's completed job; ``(state, created)``, or None if no such job of theirs.

    ``after`` must already be on the plane (-10..10, the gateway validates). Raises ``JobNotFinished`` when
    the job has no result yet (there is no "before" to measure from).
    """
    with transaction.atomic():
        job = PlaylistJob.objects.select_for_update().filter(pk=job_id, user_id=user_id).first()
        if job is None:
            return None
        if job.status != JobStatus.COMPLETED or job.start_valence is None or job.start_arousal is None:
            raise JobNotFinished("This playlist is not ready yet: report how you feel once it is.")
        before, target = _before(job), (job.target_valence, job.target_arousal)
        measures = measure(before, after, target)
        outcome, created = Outcome.objects.update_or_create(
            job=job,
            defaults={
                "before_valence": before[0],
                "before_arousal": before[1],
                "after_valence": float(after[0]),
                "after_arousal": float(after[1]),
                "after_emotion": after_emotion,
                "distance_moved": measures.distance_moved,
                "progress": measures.progress,
                "toward_target": measures.toward_target,
            },
        )
    versions = {"model_version": job.model_version or "unknown", "engine_version": job.engine_version or "unknown"}
    direction = "toward" if measures.toward_target else "away"
    OUTCOMES_REPORTED.labels(direction=direction, changed="no" if created else "yes", **versions).inc()
    OUTCOME_DISTANCE_MOVED.labels(**versions).observe(measures.distance_moved)
    if measures.progress is not None:
        OUTCOME_PROGRESS.labels(**versions).observe(measures.progress)
    return OutcomeState.of(outcome, job), created
