"""The playlist job API: create a job (202), read its state, list the user's history.

No model or playlist work happens in a request: POST validates, creates the job and
enqueues the Celery chain (apps.gateway.jobs); results arrive over the job's WebSocket.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from apps.core import context
from apps.gateway import jobs
from apps.gateway.errors import error_body
from apps.gateway.openapi import ErrorEnvelopeSerializer
from apps.gateway.serializers import (
    JobAcceptedSerializer,
    JobHistoryQuerySerializer,
    JobStateSerializer,
    PlaylistRequestSerializer,
    RerouteRequestSerializer,
)
from apps.storage import api as storage_api

JOB_CREATE_THROTTLE_SCOPE = "job_create"


class _JobHistory(Sequence):
    """A lazy, sliceable view of a user's jobs for DRF's paginator (one COUNT, one page query)."""

    def __init__(self, user_id: object, status_filter: str | None):
        self.user_id, self.status_filter = user_id, status_filter

    def count(self) -> int:
        return storage_api.count_jobs(self.user_id, self.status_filter)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if isinstance(index, slice):
            start = index.start or 0
            jobs = storage_api.list_jobs(self.user_id, offset=start, limit=max(0, (index.stop or start) - start), status=self.status_filter)
            return [state.to_dict() for state in jobs]
        return storage_api.list_jobs(self.user_id, offset=index, limit=1, status=self.status_filter)[0].to_dict()


def _journey(data: dict) -> storage_api.Journey:
    """The path's shape from a validated request; ``shuffle`` without a seed draws one (returned in the job)."""
    seed = data.get("seed")
    if seed is None and data.get("shuffle"):
        seed = secrets.randbelow(jobs.MAX_SEED + 1)
    return storage_api.Journey(
        start_point=data["start"].point if "start" in data else None,
        waypoints=tuple(place.point for place in data.get("waypoints") or ()),
        stay=data["stay"],
        max_step=data.get("max_step"),
        artist_cap=data.get("artist_cap"),
        seed=seed,
    )


def _accepted(request, job_id: str) -> Response:
    status_url = request.build_absolute_uri(reverse("job-detail", kwargs={"job_id": job_id}))
    body = {"job_id": job_id, "status_url": status_url, "ws_url": _ws_url(request, job_id)}
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": status_url})


def _unavailable() -> Response:
    return Response(
        error_body("unavailable", "The playlist service is busy or unreachable right now. Please try again shortly."),
        status=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": "5"},
    )


QUEUE_UNAVAILABLE = OpenApiResponse(ErrorEnvelopeSerializer, description="The job queue (Redis) is unreachable; retry later.")


def _request_id(request) -> str | None:
    return getattr(request, "request_id", None) or context.get("request_id")


def _ws_url(request, job_id: str) -> str:
    scheme = "wss" if request.is_secure() else "ws"
    return f"{scheme}://{request.get_host()}/ws/jobs/{job_id}/"


class PlaylistListCreateView(generics.GenericAPIView):
    """POST: ask for a playlist (202 with the job's URLs). GET: your playlist jobs, newest first."""

    serializer_class = PlaylistRequestSerializer
    # The browsable API's HTML form posts multipart/form-data.
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    # The project's throttle (accounts) counts only unsafe methods: creation is limited, reading is not.
    throttle_scope = JOB_CREATE_THROTTLE_SCOPE

    @extend_schema(
        # multipart/form-data is accepted for the browsable API's form but not offered to API clients:
        # under Daphne, Twisted pre-parses multipart bodies and answers some it cannot parse with a bare
        # 400 (no body, no content type) before the application sees them (django/daphne#447).
        request={"application/json": PlaylistRequestSerializer, "application/x-www-form-urlencoded": PlaylistRequestSerializer},
        responses={
            202: JobAcceptedSerializer,
            503: QUEUE_UNAVAILABLE,
        },
        summary="Ask for a playlist",
        description="Validates, creates a job and enqueues it; answers 202 at once. "
        "Follow progress on ws_url (or GET status_url). 503 when the job queue is unreachable.",
    )
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with context.bind(user_id=request.user.pk):
            try:
                state = jobs.start_job(
                    user_id=request.user.pk,
                    text=data["text"],
                    target_emotion=data["target"].emotion,
                    target_point=data["target"].point,
                    length=data["length"],
                    journey=_journey(data),
                    request_id=_request_id(request),
                )
            except jobs.PipelineUnavailable:
                return _unavailable()
        return _accepted(request, state.job_id)

    @extend_schema(
        responses={200: JobStateSerializer(many=True)},
        summary="Your playlist history",
        parameters=[JobHistoryQuerySerializer],
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(page)

    def get_queryset(self):
        """The user's jobs as a lazy sequence (storage owns the rows; also used by the browsable API).

        A bad filter value raises ValidationError: 400 naming the parameter."""
        query = JobHistoryQuerySerializer(data=self.request.query_params.dict())  # a QueryDict would skip "?status="
        query.is_valid(raise_exception=True)
        return _JobHistory(self.request.user.pk, query.validated_data.get("status"))


class JobDetailView(generics.GenericAPIView):
    """The job's current state (for clients without WebSockets). Only its owner sees it."""

    serializer_class = JobStateSerializer

    @extend_schema(responses={200: JobStateSerializer}, summary="A job's current state")
    def get(self, request, job_id):
        state = storage_api.get_job(job_id, request.user.pk)
        if state is None:
            raise Http404("No such job.")
        return Response(state.to_dict())


class PlaylistDetailView(JobDetailView):
    """One of your playlists (the job that produced it, with its result). DELETE removes it."""

    @extend_schema(responses={200: JobStateSerializer}, summary="One of your playlists")
    def get(self, request, job_id):
        return super().get(request, job_id)

    @extend_schema(
        responses={204: OpenApiResponse(description="Deleted, with its text and failure records; open sockets on it close (4404).")},
        summary="Delete one of your playlists",
        description="Immediate and complete: the playlist, its text and its failure records are removed. "
        "Another user's playlist answers 404, as a missing one does.",
    )
    def delete(self, request, job_id):
        if not storage_api.delete_job(job_id, request.user.pk):
            raise Http404("No such playlist.")
        return Response(status=status.HTTP_204_NO_CONTENT)


class RerouteView(generics.GenericAPIView):
    """"I feel different now": a new job re-planning the rest of one of your playlists (202, like a new playlist)."""

    serializer_class = RerouteRequestSerializer
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    throttle_scope = JOB_CREATE_THROTTLE_SCOPE

    @extend_schema(
        request={"application/json": RerouteRequestSerializer, "application/x-www-form-urlencoded": RerouteRequestSerializer},
        responses={
            202: JobAcceptedSerializer,
            409: OpenApiResponse(
                ErrorEnvelopeSerializer, description="The playlist is not finished (error.fields.job), or no song follows `position`."
            ),
            503: QUEUE_UNAVAILABLE,
        },
        summary="Re-route a playlist while listening",
        description="Re-plans the songs after `position` from how you feel now (text or a point) to the same goal, "
        "as a new job linked to this one (`journey.rerouted_from`); the songs up to `position` are left out of it. "
        "409 when the playlist is not finished or nothing follows `position`.",
    )
    def post(self, request, job_id):
        parent = storage_api.get_job(job_id, request.user.pk)
        if parent is None:
            raise Http404("No such job.")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with context.bind(user_id=request.user.pk):
            try:
                state = jobs.reroute_job(
                    parent,
                    user_id=request.user.pk,
                    position=data["position"],
                    text=data.get("text"),
                    start=data["start"].point if "start" in data else None,
                    request_id=_request_id(request),
                )
            except jobs.NothingToReroute as exc:
                return Response(
                    error_body("conflict", "This playlist cannot be re-routed like that.", {exc.field: [str(exc)]}),
                    status=status.HTTP_409_CONFLICT,
                )
            except jobs.PipelineUnavailable:
                return _unavailable()
        return _accepted(request, state.job_id)
