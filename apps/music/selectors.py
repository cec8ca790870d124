"""Reads of the catalog.

The two reads on every playlist request (the version, the chosen rows) are plain SQL: building
the same ORM query each time cost several times more CPU than running it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import numpy as np
from django.db import connection

from apps.music.models import CatalogState, Song

EMPTY_CATALOG_VERSION = "0"


SONG_FIELDS = ("id", "title", "artist", "album", "valence", "arousal", "url")


@functools.cache
def _version_sql() -> str:
    quote, meta = connection.ops.quote_name, CatalogState._meta
    return f"SELECT {quote(meta.get_field('version').column)} FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} = %s"


@functools.cache
def _songs_sql(count: int) -> str:
    quote, meta = connection.ops.quote_name, Song._meta
    columns = ", ".join(quote(meta.get_field(name).column) for name in SONG_FIELDS)
    return f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} IN ({', '.join(['%s'] * count)})"


def catalog_version() -> str:
    """The current version token: one primary-key read, cheap enough for every request."""
    with connection.cursor() as cursor:
        cursor.execute(_version_sql(), [1])
        row = cursor.fetchone()
    return (row[0] if row else None) or EMPTY_CATALOG_VERSION


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
    """The display fields of the given songs (at most a playlist's worth), keyed by id."""
    ids = sorted({int(i) for i in song_ids})
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_songs_sql(len(ids)), ids)
        rows = cursor.fetchall()
    return {row[0]: dict(zip(SONG_FIELDS, row, strict=True)) for row in rows}


def song_count() -> int:
    return Song.objects.count()
