"""Fixtures for the music tests: small catalogs written straight to the database."""

from __future__ import annotations

import numpy as np
import pytest

from apps.music.models import Song
from apps.music.services import bump_catalog_version


def add_songs(points, artists=None, source="test") -> list[int]:
    """Insert songs at ``points`` (one artist each unless given) and bump the catalog version once."""
    artists = artists or [f"Artist {i}" for i in range(len(points))]
    songs = [
        Song(title=f"Song {i}", artist=artist, valence=float(x), arousal=float(y), source=source)
        for i, ((x, y), artist) in enumerate(zip(points, artists, strict=True))
    ]
    Song.objects.bulk_create(songs, batch_size=500)
    bump_catalog_version()
    return list(Song.objects.filter(source=source).order_by("id").values_list("id", flat=True))


@pytest.fixture
def uniform_catalog(db):
    """1,500 songs spread uniformly over the plane, three songs per artist."""
    rng = np.random.default_rng(7)
    points = np.round(rng.uniform(-10, 10, size=(1500, 2)), 3)
    artists = [f"Artist {i // 3}" for i in range(len(points))]
    add_songs(points.tolist(), artists)
    return points
