"""The job state contract: one frozen dataclass that the API, the socket events and the schema share.

``JobState.to_dict()`` is the JSON of ``GET /api/v1/jobs/<id>/`` and the ``job`` field of every
socket event (``JobState.event``); the gateway derives its DRF serializer (and so the OpenAPI
schema) from these fields, so the three cannot drift apart. Field metadata says what a plain
type cannot: ``format`` (uuid, date-time), ``choices``, ``doc``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from apps.storage.models import IN_PROGRESS_STATUSES, STAGES, JobStatus, PlaylistJob

JOB_STATUSES: tuple[str, ...] = tuple(JobStatus.values)
_FAILED_STAGES: tuple[str, ...] = tuple(str(status) for status in IN_PROGRESS_STATUSES)


class EventType:
    SNAPSHOT = "job.snapshot"
    PROGRESS = "job.progress"
    COMPLETED = "job.completed"
    FAILED = "job.failed"
    # The owner deleted the job: sockets on it close with 4404 (carries no state).
    DELETED = "job.deleted"


TERMINAL_EVENTS = (EventType.COMPLETED, EventType.FAILED)
_EVENT_BY_STATUS = {JobStatus.COMPLETED: EventType.COMPLETED, JobStatus.FAILED: EventType.FAILED}


@dataclass(frozen=True)
class JobError:
    """Why a job failed."""

    code: str = field(metadata={"doc": "prediction_failed, generation_failed, save_failed, job_failed or timed_out"})
    message: str = field(metadata={"doc": "for a person; never internals"})
    stage: str = field(metadata={"choices": _FAILED_STAGES, "doc": "the status the job was in when it failed"})


@dataclass(frozen=True)
class Journey:
    """How the person shaped the journey: stored with the job, handed to the playlist step."""

    start_point: tuple[float, float] | None = field(
        default=None, metadata={"doc": "[valence, arousal] chosen by the person; null: start where the reading places them"}
    )
    waypoints: tuple[tuple[float, float], ...] = field(default=(), metadata={"doc": "[[valence, arousal], ...] visited in order"})
    stay: int = field(default=0, metadata={"doc": "songs that stay with the starting mood before the path moves (iso principle)"})
    max_step: float | None = field(default=None, metadata={"doc": "largest distance between consecutive songs; null: no limit"})
    artist_cap: int | None = field(default=None, metadata={"doc": "most songs by one artist; null: no cap"})
    seed: int | None = field(default=None, metadata={"doc": "picks one of the about equally good paths; null: the best path"})
    rerouted_from: str | None = field(
        default=None, metadata={"format": "uuid", "doc": "the job this one re-plans (a re-route while listening)"}
    )
    exclude_song_ids: tuple[int, ...] = field(default=(), metadata={"doc": "songs already played when re-routed, left out of this plan"})

    @classmethod
    def of(cls, job: PlaylistJob) -> Journey:
        return cls(
            start_point=_point(job.chosen_start_valence, job.chosen_start_arousal),
            waypoints=tuple(tuple(p) for p in job.waypoints or ()),
            stay=job.stay,
            max_step=job.max_step,
            artist_cap=job.artist_cap,
            seed=job.seed,
            rerouted_from=str(job.rerouted_from_id) if job.rerouted_from_id else None,
            exclude_song_ids=tuple(job.exclude_song_ids or ()),
        )

    def fields(self) -> dict:
        """The job row's columns for this journey."""
        start = self.start_point or (None, None)
        return {
            "chosen_start_valence": start[0],
            "chosen_start_arousal": start[1],
            "waypoints": [list(p) for p in self.waypoints],
            "stay": self.stay,
            "max_step": self.max_step,
            "artist_cap": self.artist_cap,
            "seed": self.seed,
            "rerouted_from_id": self.rerouted_from,
            "exclude_song_ids": list(self.exclude_song_ids),
        }

    def to_dict(self) -> dict:
        return {
            **{name: getattr(self, name) for name in self.__dataclass_fields__},
            "start_point": list(self.start_point) if self.start_point is not None else None,
            "waypoints": [list(p) for p in self.waypoints],
            "exclude_song_ids": list(self.exclude_song_ids),
        }


@dataclass(frozen=True)
class JobState:
    """The state of a playlist job: the HTTP API's body and the ``job`` field of every socket event."""

    job_id: str = field(metadata={"format": "uuid"})
    status: str = field(metadata={"choices": JOB_STATUSES})
    seq: int = field(metadata={"doc": "bumped by every transition; clients drop events with seq <= the last seen"})
    attempt: int = field(metadata={"doc": "1, then +1 per replay"})
    text: str
    target_emotion: str | None = field(metadata={"doc": "one of the 13 emotions; null for a point chosen on the plane"})
    target_point: tuple[float, float] = field(metadata={"doc": "[valence, arousal]"})
    length: int
    created_at: str = field(metadata={"format": "date-time"})
    updated_at: str = field(metadata={"format": "date-time"})
    completed_at: str | None = field(metadata={"format": "date-time"})
    prediction: dict | None = field(
        metadata={"doc": "apps.emotion Prediction.to_dict(); what an older one lacks reads as null and no words (stored_prediction)"}
    )
    playlist: dict | None = field(metadata={"doc": "apps.music Playlist.to_dict()"})
    error: JobError | None
    journey: Journey = field(metadata={"doc": "how the person shaped the path (all defaults: the plain walk)"})

    @property
    def terminal(self) -> bool:
        return self.status in (JobStatus.COMPLETED, JobStatus.FAILED)

    @classmethod
    def of(cls, job: PlaylistJob) -> JobState:
        error = JobError(job.error_code, job.error_message, job.failed_stage or str(JobStatus.QUEUED)) if job.error_code else None
        return cls(
            job_id=str(job.id),
            status=str(job.status),
            seq=job.seq,
            attempt=job.attempt,
            text=job.text,
            target_emotion=job.target_emotion or None,
            target_point=(job.target_valence, job.target_arousal),
            length=job.length,
            created_at=_iso(job.created_at),
            updated_at=_iso(job.updated_at),
            completed_at=_iso(job.completed_at),
            prediction=stored_prediction(job.prediction),
            playlist=job.playlist,
            error=error,
            journey=Journey.of(job),
        )

    def to_dict(self) -> dict:
        # By hand rather than dataclasses.asdict: that deep-copies the prediction and playlist dicts.
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["target_point"] = list(self.target_point)
        data["journey"] = self.journey.to_dict()
        if self.error is not None:
            data["error"] = {"code": self.error.code, "message": self.error.message, "stage": self.error.stage}
        return data

    def event(self, event_type: str | None = None) -> dict:
        """The socket event carrying this state (its type follows the status unless given)."""
        kind = event_type or _EVENT_BY_STATUS.get(self.status, EventType.PROGRESS)
        return {"type": kind, "job_id": self.job_id, "status": self.status, "seq": self.seq, "job": self.to_dict()}


# What a prediction stored before explanations lacks (and, "words", what retention drops): read as
# unknown (null) and no words, so every client, the schema and the export see one shape.
PREDICTION_WORDS = "words"
_PREDICTION_UNKNOWN = ("confidence", "unsure", "halo_radius", "explanation_method")


def stored_prediction(prediction: dict | None) -> dict | None:
    """The stored prediction with the keys an older one lacks filled in (the stored dict itself when complete)."""
    if prediction is None or (PREDICTION_WORDS in prediction and all(key in prediction for key in _PREDICTION_UNKNOWN)):
        return prediction
    return {**dict.fromkeys(_PREDICTION_UNKNOWN), PREDICTION_WORDS: [], **prediction}


def _point(x: float | None, y: float | None) -> tuple[float, float] | None:
    return (x, y) if x is not None and y is not None else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


__all__ = ["STAGES", "JOB_STATUSES", "EventType", "JobError", "JobState", "Journey", "TERMINAL_EVENTS"]
