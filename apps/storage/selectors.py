"""Reads of jobs, outcomes and dead letters."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Avg, Count, Q

from apps.storage.models import DeadLetter, Outcome, PlaylistJob
from apps.storage.outcomes import OutcomeGroup, OutcomeSummary


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def get_job(job_id: str, user_id: object | None = None) -> PlaylistJob | None:
    jobs = PlaylistJob.objects.filter(pk=job_id)
    if user_id is not None:
        jobs = jobs.filter(user_id=user_id)
    return next(iter(jobs[:1]), None)  # not first(): its ORDER BY pk costs compile time on every socket connect


def user_jobs(user_id: object, status: str | None = None):
    jobs = PlaylistJob.objects.filter(user_id=user_id).order_by("-created_at", "-id")
    if status:
        jobs = jobs.filter(status=status)
    return jobs


def dead_letter_dict(letter: DeadLetter) -> dict:
    return {
        "id": letter.pk,
        "task_name": letter.task_name,
        "task_id": letter.task_id,
        "job_id": str(letter.job_id) if letter.job_id else None,
        "args": letter.args,
        "kwargs": letter.kwargs,
        "exception_type": letter.exception_type,
        "exception_message": letter.exception_message,
        "retries": letter.retries,
        "request_id": letter.request_id,
        "status": letter.status,
        "created_at": _iso(letter.created_at),
        "replayed_at": _iso(letter.replayed_at),
        "replay_count": letter.replay_count,
    }


def dead_letters(*, since: datetime | None = None, task_name: str | None = None, status: str | None = None):
    letters = DeadLetter.objects.all()
    if since is not None:
        letters = letters.filter(created_at__gte=since)
    if task_name:
        letters = letters.filter(task_name=task_name)
    if status:
        letters = letters.filter(status=status)
    return letters.order_by("created_at", "pk")


# --- outcomes ----------------------------------------------------------------------------------------

_MEASURES = {
    "count": Count("pk"),
    "toward": Count("pk", filter=Q(toward_target=True)),
    "mean_distance": Avg("distance_moved"),
    "mean_progress": Avg("progress"),
}
_GROUP_FIELDS = {"target": ("job__target_emotion",), "version": ("job__model_version", "job__engine_version")}


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def get_outcome(job_id: str, user_id: object) -> Outcome | None:
    return Outcome.objects.select_related("job").filter(job_id=job_id, job__user_id=user_id).first()


def user_outcomes(user_id: object, job_ids: list[str] | None = None):
    outcomes = Outcome.objects.select_related("job").filter(job__user_id=user_id).order_by("-job__created_at", "-job_id")
    if job_ids is not None:
        outcomes = outcomes.filter(job_id__in=job_ids)
    return outcomes


def outcome_summary(user_id: object | None = None, by: str = "target") -> OutcomeSummary:
    """Counts and means of outcomes (one user's, or everyone's), overall and per group, best group first."""
    outcomes = Outcome.objects.all() if user_id is None else Outcome.objects.filter(job__user_id=user_id)
    fields = _GROUP_FIELDS[by]
    overall = outcomes.aggregate(**_MEASURES)
    groups = [
        OutcomeGroup(
            key=" / ".join(str(row[name] or "?") for name in fields),
            count=row["count"],
            toward_target=row["toward"],
            share_toward_target=round(row["toward"] / row["count"], 3),
            mean_distance_moved=round(row["mean_distance"], 3),
            mean_progress=_rounded(row["mean_progress"]),
        )
        for row in outcomes.values(*fields).annotate(**_MEASURES).order_by()
    ]
    groups.sort(key=lambda g: (-g.share_toward_target, -(g.mean_progress if g.mean_progress is not None else -99), -g.count, g.key))
    count = overall["count"]
    return OutcomeSummary(
        count=count,
        toward_target=overall["toward"],
        share_toward_target=round(overall["toward"] / count, 3) if count else None,
        mean_distance_moved=_rounded(overall["mean_distance"]),
        mean_progress=_rounded(overall["mean_progress"]),
        groups=tuple(groups),
    )
