"""The playlist files (M3U, XSPF) through the API: owner only, every song with its best link."""

from __future__ import annotations

import pytest
from defusedxml import ElementTree
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from apps.music import api as music_api
from apps.storage import api as storage_api
from tests.helpers import completed_job
from tests.music.test_listen_links import ODD_SONGS, XSPF, _validate_xspf

pytestmark = pytest.mark.django_db


def _client(name: str) -> tuple[APIClient, object]:
    user = get_user_model().objects.create_user(username=name, email=f"{name}@example.com", password="S3cret-pass-123")
    client = APIClient()
    client.force_authenticate(user)
    return client, user


@pytest.fixture
def owner():
    return _client("ann")


@pytest.fixture
def job_id(owner):
    return completed_job(owner[1].pk, {"songs": ODD_SONGS, "notes": []})


def test_m3u_download_has_every_song_with_its_best_link(owner, job_id):
    response = owner[0].get(f"/api/v1/playlists/{job_id}/playlist.m3u")
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/x-mpegurl; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="playlist-happiness-')
    lines = response.content.decode().splitlines()
    assert lines[0] == "#EXTM3U"
    locations = lines[3::2]
    assert locations == [music_api.listen_links(s["title"], s["artist"], s["url"])[0]["url"] for s in ODD_SONGS]
    assert "a test entry" not in response.content.decode()  # what the person wrote stays out of the file


def test_xspf_download_validates(owner, job_id):
    response = owner[0].get(f"/api/v1/playlists/{job_id}/playlist.xspf")
    assert response.status_code == 200 and response["Content-Type"] == "application/xspf+xml; charset=utf-8"
    root = _validate_xspf(response.content)
    assert len(root.find(f"{XSPF}trackList")) == len(ODD_SONGS)
    assert ElementTree.fromstring(response.content).find(f"{XSPF}date").text.startswith(storage_api.get_job(job_id).created_at[:10])


@pytest.mark.parametrize("extension", ["m3u", "xspf"])
def test_another_users_playlist_or_an_unfinished_job_is_not_found(owner, job_id, extension):
    stranger, _ = _client("bob")
    response = stranger.get(f"/api/v1/playlists/{job_id}/playlist.{extension}")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    queued = storage_api.create_job(user_id=owner[1].pk, text="x", target_emotion="fun", target_point=(8, 8), length=5)
    response = owner[0].get(f"/api/v1/playlists/{queued.job_id}/playlist.{extension}")
    assert response.status_code == 404 and "no playlist yet" in response.json()["error"]["message"]
    assert APIClient().get(f"/api/v1/playlists/{job_id}/playlist.{extension}").status_code == 401
