"""Reads of jobs and dead letters."""

from __future__ import annotations

from datetime import datetime

from apps.storage.models import DeadLetter, PlaylistJob


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def get_job(job_id: str, user_id: object | None = None) -> PlaylistJob | None:
    jobs = PlaylistJob.objects.filter(pk=job_id)
    if user_id is not None:
        jobs = jobs.filter(user_id=user_id)
    return jobs.first()


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
