"""Outcomes: how a person felt after a playlist (owner only), and the look-back summary of theirs.

``PUT /api/v1/playlists/<id>/outcome/`` creates (201) or changes (200) the one outcome of a completed
playlist; ``GET`` reads it. ``GET /api/v1/outcomes/`` lists them (for history), ``/summary/`` sums them up.
Storage owns the rows and the measures; this is the edge.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from apps.gateway.errors import error_body
from apps.gateway.openapi import EnvelopeAutoSchema, error_response
from apps.gateway.serializers import (
    OUTCOME_REQUEST_SCHEMA,
    OutcomeListQuerySerializer,
    OutcomeRequestSerializer,
    OutcomeStateSerializer,
    OutcomeSummarySerializer,
)
from apps.storage import api as storage_api


class _BodyRequiredSchema(EnvelopeAutoSchema):
    """The request body is required (OpenAPI's default is optional, and an empty PUT is a 400 here)."""

    def _get_request_body(self, direction="request"):
        body = super()._get_request_body(direction)
        if body:
            body["required"] = True
        return body


class PlaylistOutcomeView(generics.GenericAPIView):
    serializer_class = OutcomeRequestSerializer
    schema = _BodyRequiredSchema()

    def get_object(self) -> storage_api.JobState:
        """The user's job (DRF's OPTIONS metadata asks for it; the handlers read through storage themselves)."""
        state = storage_api.get_job(self.kwargs["job_id"], self.request.user.pk)
        if state is None:
            raise Http404("No such job.")
        return state

    @extend_schema(
        responses={200: OutcomeStateSerializer},
        summary="How you felt after this playlist",
        description="404 when the playlist is not yours or no outcome was reported yet.",
    )
    def get(self, request, job_id):
        outcome = storage_api.get_outcome(job_id, request.user.pk)
        if outcome is None:
            raise Http404("No outcome reported for this playlist.")
        return Response(outcome.to_dict())

    @extend_schema(
        request={"application/json": OUTCOME_REQUEST_SCHEMA},
        responses={
            200: OutcomeStateSerializer,
            201: OutcomeStateSerializer,
            409: error_response("The playlist is not ready yet (code job_not_finished)."),
        },
        summary="Report how you feel now (once per playlist, changeable)",
        description="Either a named `emotion` (its place on the plane is used) or a tapped point (`valence` and "
        "`arousal`, -10..10). 201 the first time, 200 when changed. Measured against the mood the reading "
        "found (the start) and the playlist's target.",
    )
    def put(self, request, job_id):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        after, emotion = serializer.after()
        try:
            recorded = storage_api.record_outcome(job_id, request.user.pk, after, emotion)
        except storage_api.JobNotFinished as error:
            return Response(error_body("job_not_finished", str(error)), status=status.HTTP_409_CONFLICT)
        if recorded is None:
            raise Http404("No such job.")
        outcome, created = recorded
        return Response(outcome.to_dict(), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class OutcomeListView(generics.GenericAPIView):
    serializer_class = OutcomeStateSerializer
    pagination_class = None

    @extend_schema(
        responses={200: OutcomeStateSerializer(many=True), 400: error_response("A job_id that is not a job id, or more than 50.")},
        summary="Your outcomes",
        description="Newest playlist first; `job_id` (repeatable, at most 50) limits it to those playlists "
        "(400 naming `job_id` for a value that is not a job id, or too many).",
        parameters=[OutcomeListQuerySerializer],
    )
    def get(self, request):
        query = OutcomeListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        job_ids = query.validated_data.get("job_id")
        return Response([outcome.to_dict() for outcome in storage_api.list_outcomes(request.user.pk, job_ids)])


class OutcomeSummaryView(generics.GenericAPIView):
    serializer_class = OutcomeSummarySerializer

    @extend_schema(
        responses={200: OutcomeSummarySerializer},
        summary="Your outcomes at a glance",
        description="How often you moved towards the target, the mean distance moved and share of the way, and "
        "per target emotion (best first). `count` 0 when nothing was reported yet.",
    )
    def get(self, request):
        return Response(storage_api.outcome_summary(request.user.pk).to_dict())
