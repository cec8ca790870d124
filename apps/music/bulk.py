"""Bulk writes of parsed songs into the catalog, inside the caller's transaction, one way per database.

Both upsert on (title, artist, source): a key repeated in the file is one song, and its last row wins.

* PostgreSQL: each batch is COPYed into a temporary table holding only what varies per row; one
  ``INSERT … SELECT DISTINCT ON … ON CONFLICT DO UPDATE`` merges it at the end. The songs' indexes
  stay in place: dropping them takes an ACCESS EXCLUSIVE lock that would stall every playlist's read
  of the songs until the import commits.
* SQLite: ``executemany`` of a one-row upsert, with a page cache big enough for the transaction (the
  default 2 MB spills dirty pages to the WAL over and over). Once an import has written a quarter as
  many rows as the table held, the non-unique indexes are dropped and rebuilt at the end (one sort
  each instead of a random B-tree insert per row, about half the write time at 1M rows). Readers are
  not held up: under WAL they keep reading the last committed catalog, indexes included, and a
  failed import's rollback restores the indexes with everything else.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from django.db import connection

from apps.music.importer import SongRow
from apps.music.models import Song

UPDATE_FIELDS = [
    "album",
    "valence",
    "arousal",
    "spotify_valence",
    "spotify_energy",
    "tempo",
    "duration_ms",
    "external_id",
    "url",
    "updated_at",
]
_COLUMNS = ["title", "artist", "source", *UPDATE_FIELDS, "created_at"]
# What PostgreSQL stages per row: the source and the two timestamps are the same for every row, and
# formatting them a million times for COPY cost more than the rest of the row.
_STAGED = ["title", "artist", *UPDATE_FIELDS[:-1]]
STAGING_TABLE = "music_song_import"
SQLITE_CACHE_KIB = 256 * 1024
SQLITE_REBUILD_MIN_ROWS = 20_000  # below this, rebuilding indexes costs more than it saves

Write = Callable[[list[SongRow]], None]


@contextmanager
def song_writer(source: str, now: datetime) -> Iterator[Write]:
    """A function that writes one batch of rows; what is left to do (the merge, the index rebuild) runs when
    the block ends without an exception. Must run inside a transaction."""
    with (_postgresql_writer if connection.vendor == "postgresql" else _sqlite_writer)(source, now) as write:
        yield write


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _columns(fields: list[str]) -> str:
    return ", ".join(_quote(Song._meta.get_field(f).column) for f in fields)


def _on_conflict_update() -> str:
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in (_quote(Song._meta.get_field(f).column) for f in UPDATE_FIELDS))
    return f"ON CONFLICT ({_quote('title')}, {_quote('artist')}, {_quote('source')}) DO UPDATE SET {updates}"


# --- PostgreSQL ---------------------------------------------------------------------------------------


@contextmanager
def _postgresql_writer(source: str, now: datetime) -> Iterator[Write]:
    fields = [Song._meta.get_field(f) for f in _STAGED]
    columns = ", ".join(f"{_quote(f.column)} {f.db_type(connection)}" for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {STAGING_TABLE} ({columns}, line bigint) ON COMMIT DROP")
    copy_sql = f"COPY {STAGING_TABLE} ({_columns(_STAGED)}, line) FROM STDIN"

    def write(batch: list[SongRow]) -> None:
        with connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
            for row in batch:
                copy.write_row(row[1:] + row[:1])  # a SongRow's fields are _STAGED after its line

    yield write
    staged = _columns(_STAGED)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_quote(Song._meta.db_table)} ({staged}, {_columns(['source', 'created_at', 'updated_at'])}) "
            f"SELECT DISTINCT ON (title, artist) {staged}, %s, %s, %s FROM {STAGING_TABLE} "
            f"ORDER BY title, artist, line DESC {_on_conflict_update()}",
            [source, now, now],
        )
        cursor.execute(f"DROP TABLE {STAGING_TABLE}")  # ON COMMIT DROP alone waits for an outer transaction


# --- SQLite -------------------------------------------------------------------------------------------


@functools.cache
def _upsert_sql() -> str:
    """INSERT … ON CONFLICT (title, artist, source) DO UPDATE for one row.

    Written out rather than ``bulk_create(update_conflicts=True)``: Django prepares every value of
    every row in Python (~0.3 ms a row here), which made a million-row import take many minutes.
    """
    values = ", ".join(["%s"] * len(_COLUMNS))
    return f"INSERT INTO {_quote(Song._meta.db_table)} ({_columns(_COLUMNS)}) VALUES ({values}) {_on_conflict_update()}"


def _secondary_indexes(cursor) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the songs table's non-unique indexes (the unique one serves the upsert)."""
    cursor.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL "
        "AND sql NOT LIKE 'CREATE UNIQUE%%' ORDER BY name",
        [Song._meta.db_table],
    )
    return cursor.fetchall()


@contextmanager
def _sqlite_writer(source: str, now: datetime) -> Iterator[Write]:
    stamp = connection.ops.adapt_datetimefield_value(now)
    dropped: list[tuple[str, str]] | None = None  # the indexes dropped, once the import is big enough
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        cache_size = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        cursor.execute(f"SELECT count(*) FROM {_quote(Song._meta.db_table)}")
        rebuild_after = max(SQLITE_REBUILD_MIN_ROWS, cursor.fetchone()[0] // 4)
    written = 0

    def write(batch: list[SongRow]) -> None:
        nonlocal written, dropped
        with connection.cursor() as cursor:
            if dropped is None and written >= rebuild_after:
                dropped = _secondary_indexes(cursor)
                for name, _ in dropped:
                    cursor.execute(f"DROP INDEX {_quote(name)}")
            cursor.executemany(_upsert_sql(), [(*row[1:3], source, *row[3:], stamp, stamp) for row in batch])
        written += len(batch)

    try:
        yield write
        with connection.cursor() as cursor:
            for _, create in dropped or []:
                cursor.execute(create)
    finally:  # the connection may outlive the import (CONN_MAX_AGE): give the cache's memory back
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")
