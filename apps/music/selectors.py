"""Reads of the catalog."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from apps.music.models import CatalogState, Song

EMPTY_CATALOG_VERSION = "0"


def catalog_version() -> str:
    """The current version token: one primary-key read, cheap enough for every request."""
    version = CatalogState.objects.filter(pk=1).values_list("version", flat=True).first()
    return version or EMPTY_CATALOG_VERSION


def catalog_arrays(chunk_size: int = 20_000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All songs as arrays ordered by id: ids (int64), points (N, 2), artist codes (int32).

    Artists are compared case-insensitively; codes are only meaningful within one call.
    """
    ids: list[int] = []
    xs: list[float] = []
    ys: list[float] = []
    codes: list[int] = []
    artist_codes: dict[str, int] = {}
    rows = Song.objects.order_by("id").values_list("id", "valence", "arousal", "artist")
    for song_id, valence, arousal, artist in rows.iterator(chunk_size=chunk_size):
        ids.append(song_id)
        xs.append(valence)
        ys.append(arousal)
        codes.append(artist_codes.setdefault(artist.strip().casefold(), len(artist_codes)))
    points = np.column_stack([np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)])
    return np.asarray(ids, dtype=np.int64), points.reshape(-1, 2), np.asarray(codes, dtype=np.int32)


def songs_by_id(song_ids: Iterable[int]) -> dict[int, dict]:
    """The display fields of the given songs, keyed by id."""
    fields = ("id", "title", "artist", "album", "valence", "arousal", "url")
    return {row["id"]: row for row in Song.objects.filter(id__in=list(song_ids)).order_by().values(*fields)}


def song_count() -> int:
    return Song.objects.count()
