"""Big catalogs: the catalog read straight into numpy, the per-version snapshot a new process
starts from, and the bulk import (COPY on PostgreSQL) giving the same songs as a row-by-row import."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from apps.music import api, playlists, selectors, snapshots
from apps.music.importer import SongRow, read_spotify_rows
from apps.music.models import Song
from tests.music.conftest import add_songs

pytestmark = pytest.mark.django_db


@pytest.fixture
def snapshot_home(settings, tmp_path, monkeypatch):
    """Snapshots in a temporary VAR_DIR, taken of any catalog size; each test starts as a new process."""
    settings.VAR_DIR = tmp_path
    monkeypatch.setattr(snapshots, "MIN_SONGS", 1)
    monkeypatch.setattr(playlists, "_index", None)
    return tmp_path / "catalog-index"


def new_process(monkeypatch) -> list[int]:
    """Forget this process's index (as a freshly started worker has none); count reads of the songs table."""
    monkeypatch.setattr(playlists, "_index", None)
    reads: list[int] = []
    real = selectors.catalog_arrays
    monkeypatch.setattr(selectors, "catalog_arrays", lambda *a, **k: reads.append(1) or real(*a, **k))
    return reads


def test_the_catalog_arrays_match_the_rows_with_artists_compared_case_insensitively():
    ids = add_songs([(1.5, -2.0), (-3.25, 4.0), (0.0, 0.0), (9.9, -9.9)], ["ABBA", " abba ", "Ümlaut", "Other"])
    got_ids, points, codes = selectors.catalog_arrays(chunk_size=3)  # rows span two chunks
    assert got_ids.dtype == np.int64 and points.dtype == np.float64 and codes.dtype == np.int32
    assert got_ids.tolist() == ids
    assert points.tolist() == [[1.5, -2.0], [-3.25, 4.0], [0.0, 0.0], [9.9, -9.9]]
    assert codes[0] == codes[1] and len({codes[0], codes[2], codes[3]}) == 3


def test_an_empty_catalog_gives_empty_arrays():
    ids, points, codes = selectors.catalog_arrays()
    assert (ids.shape, points.shape, codes.shape) == ((0,), (0, 2), (0,))


def test_a_new_process_starts_from_the_snapshot_and_gives_the_same_playlist(snapshot_home, monkeypatch, uniform_catalog):
    first = api.generate_playlist((-8, -8), (8, 8), seed=None)
    assert [p.name for p in snapshot_home.iterdir()] == [f"{api.catalog_version()}.npz"]

    reads = new_process(monkeypatch)
    again = playlists.generate((-8, -8), (8, 8), length=10, seed=3)  # a miss: the index is needed
    assert reads == []  # loaded from the snapshot, the songs table was not read
    assert playlists.index_for(api.catalog_version())[1].size == len(uniform_catalog)
    monkeypatch.setattr(playlists, "_index", None)
    monkeypatch.setattr(snapshots, "load", lambda version: None)  # the same playlist read from the database
    assert playlists.generate((-8, -8), (8, 8), length=10, seed=3) == again
    assert first.catalog_version == again.catalog_version


def test_a_changed_catalog_never_uses_the_old_snapshot(snapshot_home, monkeypatch, uniform_catalog):
    api.generate_playlist((0, 0), (5, 5))
    old_version = api.catalog_version()
    Song.objects.create(title="Newcomer", artist="New Band", valence=9.99, arousal=9.99)  # bumps the version
    new_version = api.catalog_version()
    assert new_version != old_version

    reads = new_process(monkeypatch)
    version, index = playlists.index_for(new_version)
    assert reads == [1] and version == new_version and index.size == len(uniform_catalog) + 1
    assert [p.name for p in snapshot_home.iterdir()] == [f"{new_version}.npz"]  # the old one is gone
    assert api.generate_playlist((9, 9), (9.75, 9.75), length=3).songs[-1].title == "Newcomer"


def test_an_unreadable_snapshot_falls_back_to_the_database(snapshot_home, monkeypatch, uniform_catalog):
    version = api.catalog_version()
    snapshot_home.mkdir()
    (snapshot_home / f"{version}.npz").write_bytes(b"not a numpy file")
    reads = new_process(monkeypatch)
    assert playlists.index_for(version)[1].size == len(uniform_catalog) and reads == [1]
    assert snapshots.load(version) is not None  # rewritten from the database


def test_small_catalogs_and_the_empty_version_are_not_snapshotted(settings, tmp_path, uniform_catalog):
    settings.VAR_DIR = tmp_path
    arrays = selectors.catalog_arrays()
    assert snapshots.save(api.catalog_version(), *arrays) is None  # 1,500 songs < MIN_SONGS
    assert snapshots.save("0", *arrays) is None and snapshots.load("0") is None
    assert not (tmp_path / "catalog-index").exists()


# --- the bulk import equals a row-by-row import --------------------------------------------------

HEADER = ["song", "artist", "album", "energy", "valence", "tempo", "duration_ms", "id", "url"]


def _reference_import(path: Path, source: str) -> tuple[dict, dict]:
    """The plain ORM way, one row at a time: update_or_create per parsed row (the last row of a key wins)."""
    created = updated = skipped = 0
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as stream:
        for row in read_spotify_rows(stream):
            if not isinstance(row, SongRow):
                skipped += 1
                continue
            fields = {f: getattr(row, f) for f in ("album", "valence", "arousal", "spotify_valence", "spotify_energy", "tempo", "duration_ms", "external_id", "url")}
            _, new = Song.objects.update_or_create(title=row.title, artist=row.artist, source=source, defaults=fields)
            created, updated = created + new, updated + (not new)
    return {"created": created, "updated": updated, "skipped": skipped}, _songs(source)


def _songs(source: str) -> dict:
    columns = ("title", "artist", "album", "valence", "arousal", "spotify_valence", "spotify_energy", "tempo", "duration_ms", "external_id", "url")
    return {(r[0], r[1]): r for r in Song.objects.filter(source=source).values_list(*columns)}


def _write(path: Path, rows) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def test_the_bulk_import_gives_the_same_songs_and_counts_as_a_row_by_row_import(tmp_path, monkeypatch):
    from apps.music import services

    monkeypatch.setattr(services, "BATCH_SIZE", 3)  # keys repeated inside a batch and across batches
    rows = [
        ["Alpha", "Band", "LP", "0.9", "0.1", "120.5", "200000", "sp1", "https://example.com/a"],
        ["Beta", "Band", "", "0.2", "0.8", "", "", "", ""],
        ["Alpha", "Band", "LP2", "0.5", "0.5", "99", "1000", "sp1b", ""],  # same key: the last row wins
        ["Gamma", "Solo", "X", "1.0", "0.0", "-3", "-5", "", "ftp://not-kept"],
        ["", "Nobody", "", "0.5", "0.5", "", "", "", ""],  # skipped
        ["Delta", "Ünïcode Band", "Ä", "0.333", "0.667", "80", "3000", "", ""],
        ["Alpha", "band", "", "0.1", "0.1", "", "", "", ""],  # another artist spelling: another song
        ["Beta", "Band", "", "0.3", "0.7", "", "", "", ""],
    ]
    first = _write(tmp_path / "first.csv", rows)
    second = _write(tmp_path / "second.csv", [*rows[3:], ["Epsilon", "New", "", "0.4", "0.4", "", "", "", ""]])

    for path in (first, second):  # an import into an empty source, then one that updates and adds
        report = api.import_songs(path, source="bulk")
        expected_counts, expected_songs = _reference_import(path, "reference")
        assert {k: report[k] for k in ("created", "updated", "skipped")} == expected_counts
        assert _songs("bulk") == expected_songs
    assert api.import_songs(first, source="bulk")["created"] == 0
