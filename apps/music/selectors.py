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


@functools.cache
def _arrays_sql() -> str:
    quote, meta = connection.ops.quote_name, Song._meta
    columns = ", ".join(quote(meta.get_field(name).column) for name in ("id", "valence", "arousal", "artist"))
    return f"SELECT {columns} FROM {quote(meta.db_table)} ORDER BY {quote(meta.pk.column)}"


def catalog_arrays(chunk_size: int = 50_000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All songs as arrays ordered by id: ids (int64), points (N, 2), artist codes (int32).

    Artists are compared case-insensitively; codes are only meaningful within one call. Plain SQL
    in chunks, each chunk's columns turned into numpy at once: a million rows through the ORM took
    ~8 s, most of it building a tuple per row.
    """
    id_chunks, point_chunks, code_chunks = [], [], []
    artist_codes: dict[str, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(_arrays_sql())
        while rows := cursor.fetchmany(chunk_size):
            song_ids, valences, arousals, artists = zip(*rows, strict=True)
            id_chunks.append(np.fromiter(song_ids, dtype=np.int64, count=len(rows)))
            point_chunks.append(np.column_stack([np.fromiter(valences, np.float64, len(rows)), np.fromiter(arousals, np.float64, len(rows))]))
            code_chunks.append(
                np.fromiter((artist_codes.setdefault(a.strip().casefold(), len(artist_codes)) for a in artists), np.int32, len(rows))
            )
    if not id_chunks:
        return np.zeros(0, np.int64), np.zeros((0, 2), np.float64), np.zeros(0, np.int32)
    return np.concatenate(id_chunks), np.concatenate(point_chunks), np.concatenate(code_chunks)


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
