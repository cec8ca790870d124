"""The starter catalog, the catalog version, and the songs admin."""

from __future__ import annotations

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from apps.music import api
from apps.music.models import Song, quadrant_of

pytestmark = pytest.mark.django_db

STARTER = Path(__file__).resolve().parents[2] / "apps" / "music" / "data" / "starter_songs.csv"


def test_the_starter_csv_covers_the_whole_plane():
    with open(STARTER, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 150
    assert len({(r["title"], r["artist"]) for r in rows}) == len(rows)
    points = [(float(r["valence"]), float(r["arousal"])) for r in rows]
    assert all(-10 <= x <= 10 and -10 <= y <= 10 for x, y in points)
    quadrants = [quadrant_of(x, y) for x, y in points]
    for q in ("Q1", "Q2", "Q3", "Q4"):
        assert quadrants.count(q) >= 30, q
    assert quadrants.count("axis") >= 5
    assert sum(1 for x, y in points if min(abs(x), abs(y)) <= 1.5) >= 30  # near the axes


def test_load_starter_catalog_is_idempotent_and_keeps_admin_edits():
    first = api.load_starter_catalog()
    assert first["created"] >= 150 and first["existing"] == 0 and first["invalid_rows"] == 0
    version = api.catalog_version()
    happy = Song.objects.get(title="Happy", source="starter")
    happy.valence = 5.5
    happy.save()
    edited_version = api.catalog_version()
    assert edited_version != version
    second = api.load_starter_catalog()
    assert second == {"created": 0, "existing": first["created"], "invalid_rows": 0}
    assert api.catalog_version() == edited_version  # nothing loaded, nothing changed
    assert Song.objects.get(pk=happy.pk).valence == 5.5
    Song.objects.filter(pk=happy.pk).delete()
    assert api.load_starter_catalog()["created"] == 1


def test_the_lead_command_loads_the_starter_catalog():
    call_command("load_starter_data", stdout=StringIO())
    assert api.catalog_size() >= 150
    playlist = api.generate_playlist((-9.0, -8.0), (9.0, 8.0))
    assert len(playlist.songs) == 10 and playlist.to_dict()["metrics"]["monotonic"]


def test_every_change_to_songs_changes_the_version():
    versions = [api.catalog_version()]
    song = Song.objects.create(title="A", artist="B", valence=1, arousal=1)
    versions.append(api.catalog_version())
    song.arousal = 2
    song.save()
    versions.append(api.catalog_version())
    song.delete()
    versions.append(api.catalog_version())
    assert len(set(versions)) == 4


@pytest.fixture
def admin_client_logged_in(client):
    user = get_user_model().objects.create_superuser("boss", "boss@example.com", "correct horse battery staple")
    client.force_login(user)
    return client


def test_admin_lists_searches_and_filters_songs(admin_client_logged_in):
    api.load_starter_catalog()
    client = admin_client_logged_in
    page = client.get("/admin/music/song/", {"q": "Radiohead"})
    assert page.status_code == 200
    assert b"Creep" in page.content and b"Happy" not in page.content
    calm_sad = client.get("/admin/music/song/", {"quadrant": "Q3"}).content
    assert b"Hurt" in calm_sad and b"Uptown Funk" not in calm_sad
    on_axis = client.get("/admin/music/song/", {"quadrant": "axis"}).content
    assert b"Bohemian Rhapsody" in on_axis and b"Creep" not in on_axis
    assert client.get("/admin/music/song/", {"source__exact": "starter"}).status_code == 200
    scatter = client.get("/admin/music/song/scatter/")
    assert scatter.status_code == 200
    assert scatter.content.count(b"<circle") == api.catalog_size()


def test_editing_a_song_in_the_admin_bumps_the_version(admin_client_logged_in):
    song = Song.objects.create(title="Edit me", artist="Someone", valence=1.0, arousal=1.0)
    version = api.catalog_version()
    response = admin_client_logged_in.post(
        f"/admin/music/song/{song.pk}/change/",
        {"title": "Edit me", "artist": "Someone", "album": "", "source": "starter", "valence": "-3", "arousal": "4",
         "external_id": "", "url": ""},
    )
    assert response.status_code == 302, response.content[:2000]
    assert Song.objects.get(pk=song.pk).valence == -3.0
    assert api.catalog_version() != version
    bad = admin_client_logged_in.post(
        f"/admin/music/song/{song.pk}/change/",
        {"title": "Edit me", "artist": "Someone", "source": "starter", "valence": "12", "arousal": "4"},
    )
    assert bad.status_code == 200 and b"less than or equal to 10" in bad.content
