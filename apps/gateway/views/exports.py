"""A playlist as a file for other players: ``playlist.m3u`` and ``playlist.xspf`` (owner only).

Each song's location is its best listen link (its own url, else a search in the first chosen player),
built by the music app. The files never carry what the person wrote.
"""

from __future__ import annotations

from datetime import datetime

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.renderers import JSONRenderer

from apps.music import api as music_api
from apps.storage import api as storage_api


def _finished_playlist(request, job_id) -> storage_api.JobState:
    state = storage_api.get_job(job_id, request.user.pk)
    if state is None:
        raise Http404("No such job.")
    if not state.playlist:
        raise Http404("This job has no playlist yet.")
    return state


def _title(state: storage_api.JobState) -> str:
    return f"Towards {state.target_emotion} · Sentiment Playlist"


def _attachment(body: str | bytes, media_type: str, state: storage_api.JobState, extension: str) -> HttpResponse:
    response = HttpResponse(body, content_type=f"{media_type}; charset=utf-8")
    filename = f"playlist-{state.target_emotion}-{state.created_at[:10]}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class _ExportView(generics.GenericAPIView):
    # Success is a file (a plain HttpResponse); errors are the JSON envelope.
    renderer_classes = [JSONRenderer]
    serializer_class = None


class PlaylistM3UView(_ExportView):
    @extend_schema(
        responses={(200, music_api.M3U_MEDIA_TYPE): OpenApiTypes.STR},
        operation_id="v1_playlists_m3u_retrieve",
        summary="Your playlist as extended M3U",
        description="One `#EXTINF` entry per song; its location is the song's best listen link. "
        "404 when the job is not yours or has no playlist yet.",
    )
    def get(self, request, job_id):
        state = _finished_playlist(request, job_id)
        return _attachment(music_api.playlist_as_m3u(state.playlist, _title(state)), music_api.M3U_MEDIA_TYPE, state, "m3u")


class PlaylistXSPFView(_ExportView):
    @extend_schema(
        responses={(200, music_api.XSPF_MEDIA_TYPE): OpenApiTypes.STR},
        operation_id="v1_playlists_xspf_retrieve",
        summary="Your playlist as XSPF",
        description="An XSPF 1 document (https://xspf.org/spec): one track per song, its listen links as locations "
        "(best first). 404 when the job is not yours or has no playlist yet.",
    )
    def get(self, request, job_id):
        state = _finished_playlist(request, job_id)
        body = music_api.playlist_as_xspf(state.playlist, _title(state), created_at=datetime.fromisoformat(state.created_at))
        return _attachment(body, music_api.XSPF_MEDIA_TYPE, state, "xspf")

