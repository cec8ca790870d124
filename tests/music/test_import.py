"""Importing Spotify-feature CSVs: mapping, bad rows, idempotence, atomicity, streaming."""

from __future__ import annotations

import csv
import random
import tracemalloc
from contextlib import contextmanager
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from apps.music import api, bulk
from apps.music import services as music_services
from apps.music.importer import SongRow
from apps.music.models import Song

pytestmark = pytest.mark.django_db

HEADER = ["song", "artist", "album", "release_date", "danceability", "energy", "valence", "tempo", "duration"]
SPOTIFY_CSV = Path(__file__).resolve().parents[3] / "shared" / "data" / "music" / "spotify_songs.csv"  # ../shared beside the checkout


def write_csv(path: Path, rows, header=HEADER) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def good_rows():
    return [
        ["Bright Song", "Sunny Band", "Album A", "2020-01-01", "0.7", "0.75", "1.0", "128.5", "201000"],
        ["Dark Song", "Gloom", "", "2019-05-05", "0.3", "0.1", "0.0", "70", "180000"],
        ["Middle, With \"Quotes\"", "Centre\nLine", "B", "2018", "0.5", "0.5", "0.5", "", ""],
    ]


def test_a_good_file_maps_valence_and_energy_onto_the_plane(tmp_path):
    version = api.catalog_version()
    report = api.import_songs(write_csv(tmp_path / "good.csv", good_rows()), source="spotify")
    assert (report["created"], report["updated"], report["skipped"]) == (3, 0, 0)
    bright = Song.objects.get(title="Bright Song")
    assert (bright.valence, bright.arousal) == (10.0, 5.0)  # x = valence*20-10, y = energy*20-10
    assert (bright.spotify_valence, bright.spotify_energy, bright.tempo, bright.duration_ms) == (1.0, 0.75, 128.5, 201000)
    assert (bright.album, bright.source) == ("Album A", "spotify")
    dark = Song.objects.get(title="Dark Song")
    assert (dark.valence, dark.arousal) == (-10.0, -8.0)
    middle = Song.objects.get(title='Middle, With "Quotes"')
    assert (middle.artist, middle.valence, middle.arousal, middle.tempo) == ("Centre Line", 0.0, 0.0, None)
    assert api.catalog_version() != version


def test_bad_rows_are_skipped_with_a_reason_and_good_rows_still_land(tmp_path):
    path = tmp_path / "bad.csv"
    rows = [
        *good_rows()[:1],
        ["", "No Title", "", "", "0.5", "0.5", "0.5", "", ""],
        ["No Artist", "  ", "", "", "0.5", "0.5", "0.5", "", ""],
        ["NaN valence", "X", "", "", "0.5", "0.5", "nan", "", ""],
        ["Words", "X", "", "", "0.5", "loud", "0.5", "", ""],
        ["Too energetic", "X", "", "", "0.5", "1.5", "0.5", "", ""],
        ["Too few", "X", "", "", "0.5"],
        ["Too many", "X", "", "", "0.5", "0.5", "0.5", "1", "2", "3"],
        ["T" * 301, "X", "", "", "0.5", "0.5", "0.5", "", ""],
        ["Weird tempo kept", "Y", "", "", "0.5", "0.2", "0.8", "fast", "-5"],
    ]
    write_csv(path, rows)
    with open(path, "ab") as f:  # an undecodable byte in an otherwise fine row
        f.write(b"Broken \xff bytes,Z,,,0.5,0.5,0.5,,\n")
    report = api.import_songs(path)
    assert (report["created"], report["updated"], report["skipped"]) == (2, 0, 9)
    assert report["skip_reasons"] == {
        "wrong number of fields": 2,
        "valence or energy is not a number": 2,
        "missing title": 1,
        "missing artist": 1,
        "valence or energy outside 0..1": 1,
        "title or artist longer than 300 characters": 1,
        "invalid text encoding": 1,
    }
    assert {"line": 3, "reason": "missing title"} in report["examples"]
    weird = Song.objects.get(title="Weird tempo kept")
    assert (weird.tempo, weird.duration_ms) == (None, None)  # unusable optional features are dropped, not fatal
    assert set(Song.objects.values_list("title", flat=True)) == {"Bright Song", "Weird tempo kept"}


def test_reimport_updates_and_never_duplicates(tmp_path):
    path = write_csv(tmp_path / "songs.csv", good_rows())
    api.import_songs(path)
    ids = dict(Song.objects.values_list("title", "id"))
    again = api.import_songs(path)
    assert (again["created"], again["updated"], again["skipped"]) == (0, 3, 0)
    assert Song.objects.count() == 3
    changed = good_rows()
    changed[0][6] = "0.25"  # valence of Bright Song
    changed.append(["New One", "Fresh", "", "", "0.5", "0.5", "0.5", "", ""])
    report = api.import_songs(write_csv(tmp_path / "changed.csv", changed))
    assert (report["created"], report["updated"]) == (1, 3)
    assert Song.objects.get(title="Bright Song").valence == -5.0
    assert dict(Song.objects.exclude(title="New One").values_list("title", "id")) == ids
    # The same song from another source is another song.
    api.import_songs(path, source="other-export")
    assert Song.objects.count() == 7


def test_a_key_repeated_in_one_file_is_one_song_and_the_last_row_wins(tmp_path, monkeypatch):
    monkeypatch.setattr(music_services, "BATCH_SIZE", 2)  # repeats both inside one batch and across batches
    rows = [["Same", "Band", "", "", "0.5", "0.5", str(v), "", ""] for v in ("0.1", "0.2", "0.3", "0.4", "0.9")]
    report = api.import_songs(write_csv(tmp_path / "dupes.csv", rows))
    assert (report["created"], report["updated"]) == (1, 4)
    assert Song.objects.get().valence == pytest.approx(8.0)


def test_a_file_without_the_required_columns_writes_nothing(tmp_path):
    version = api.catalog_version()
    path = write_csv(tmp_path / "wrong.csv", [["a", "b", "0.5"]], header=["song", "artist", "valence"])
    with pytest.raises(api.BadFileError, match="energy"):
        api.import_songs(path)
    assert Song.objects.count() == 0 and api.catalog_version() == version


def song_indexes() -> set[tuple[str, str]]:
    """The songs table's indexes as the database defines them (name, definition)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'music_song'")
        else:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'music_song'")
        return set(cursor.fetchall())


@pytest.mark.parametrize("rebuild", [False, True], ids=["indexes-kept", "indexes-rebuilt"])
def test_a_crash_half_way_leaves_no_partial_import(tmp_path, monkeypatch, rebuild):
    api.import_songs(write_csv(tmp_path / "first.csv", good_rows()))
    version, before, indexes = api.catalog_version(), set(Song.objects.values_list("id", "valence")), song_indexes()
    rows = [[f"Song {i}", "Band", "", "", "0.5", "0.5", "0.9", "", ""] for i in range(50)] + good_rows()
    path = write_csv(tmp_path / "crash.csv", rows)
    monkeypatch.setattr(music_services, "BATCH_SIZE", 10)
    # SQLite drops the non-unique indexes once an import is big; here from its first batch on.
    monkeypatch.setattr(bulk, "SQLITE_REBUILD_MIN_ROWS", 0 if rebuild else 10**9)
    real_writer, calls = bulk.song_writer, []

    @contextmanager
    def failing_writer(source, now):
        with real_writer(source, now) as write:

            def failing_write(batch):
                calls.append(len(batch))
                if len(calls) == 3:
                    raise OSError("disk on fire")
                write(batch)

            yield failing_write

    monkeypatch.setattr(bulk, "song_writer", failing_writer)
    with pytest.raises(OSError, match="disk on fire"):
        api.import_songs(path)
    assert len(calls) == 3  # two batches had been written before the crash…
    assert set(Song.objects.values_list("id", "valence")) == before  # …and were rolled back
    assert api.catalog_version() == version
    assert song_indexes() == indexes  # dropped ones included


def test_a_big_import_leaves_the_same_indexes_and_songs_as_a_small_one(tmp_path, monkeypatch):
    indexes = song_indexes()
    rows = [[f"Song {i}", f"Band {i % 7}", "", "", "0.5", f"0.{i % 10}", "0.9", "", ""] for i in range(30)]
    path = write_csv(tmp_path / "rows.csv", [*rows, rows[4]])  # a repeated key across batches too
    monkeypatch.setattr(music_services, "BATCH_SIZE", 7)
    monkeypatch.setattr(bulk, "SQLITE_REBUILD_MIN_ROWS", 10)  # SQLite drops its indexes after two batches
    real_indexes, dropped = bulk._secondary_indexes, []
    monkeypatch.setattr(bulk, "_secondary_indexes", lambda cursor: dropped.extend(real_indexes(cursor)) or dropped)
    report = api.import_songs(path, source="big")
    assert len(dropped) == (3 if connection.vendor == "sqlite" else 0)  # point, artist, source; never the unique one
    monkeypatch.setattr(bulk, "SQLITE_REBUILD_MIN_ROWS", 10**9)
    assert api.import_songs(path, source="small") == {**report, "source": "small"}
    assert (report["created"], report["updated"]) == (30, 1)
    columns = ("title", "artist", "valence", "arousal", "spotify_valence", "spotify_energy")
    assert set(Song.objects.filter(source="big").values_list(*columns)) == set(Song.objects.filter(source="small").values_list(*columns))
    assert song_indexes() == indexes


def test_a_parsed_row_lists_its_fields_in_the_order_the_bulk_writers_pass_them():
    assert SongRow._fields == ("line", *bulk._STAGED)


def test_a_progress_bar_when_asked_for_and_none_otherwise(tmp_path, capsys):
    path = write_csv(tmp_path / "bar.csv", good_rows())
    assert api.import_songs(path, progress=True)["created"] == 3
    assert "import: 100%" in capsys.readouterr().err
    assert api.import_songs(path, progress=False)["updated"] == 3
    assert capsys.readouterr().err == ""


def test_the_management_command_reports_counts_and_reasons(tmp_path):
    path = write_csv(tmp_path / "cmd.csv", [*good_rows(), ["", "Nobody", "", "", "0.5", "0.5", "0.5", "", ""]])
    out = StringIO()
    call_command("import_songs", str(path), "--source", "cli", stdout=out)
    text = out.getvalue()
    assert "3 created, 0 updated, 1 skipped" in text
    assert "missing title" in text and "line 6" in text  # physical line: a quoted field above spans two
    assert Song.objects.filter(source="cli").count() == 3
    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("import_songs", str(tmp_path / "missing.csv"), stdout=StringIO())


@pytest.mark.skipif(not SPOTIFY_CSV.exists(), reason="the shared Spotify data set is not on this machine")
def test_the_real_spotify_export_imports_cleanly():
    report = api.import_songs(SPOTIFY_CSV)
    with open(SPOTIFY_CSV, newline="", encoding="utf-8") as f:
        rows = sum(1 for _ in csv.DictReader(f))
    assert report["created"] + report["updated"] + report["skipped"] == rows
    assert report["created"] == Song.objects.count() > 9000
    assert report["skipped"] < 10
    assert Song.objects.filter(valence__lt=-9.9).exists() and Song.objects.filter(arousal__gt=9.9).exists()


def _generated_file(path: Path, rows: int) -> Path:
    rnd = random.Random(rows)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for i in range(rows):
            writer.writerow([f"Track {i}", f"Artist {i % 997}", "LP", "", "0.5", f"{rnd.random():.3f}", f"{rnd.random():.3f}", "120", "200000"])
    return path


def _peak_import_memory(path: Path) -> tuple[int, dict]:
    tracemalloc.start()
    try:
        report = api.import_songs(path, progress=False)
        return tracemalloc.get_traced_memory()[1], report
    finally:
        tracemalloc.stop()


def test_large_files_are_streamed_in_bounded_memory(tmp_path):
    """Peak memory must not grow with the file: a 5x larger file may not need more than a little more."""
    small_peak, small = _peak_import_memory(_generated_file(tmp_path / "small.csv", 4_000))
    large_peak, large = _peak_import_memory(_generated_file(tmp_path / "large.csv", 20_000))
    assert small["created"] == 4_000 and large["created"] == 16_000 and large["updated"] == 4_000
    assert Song.objects.count() == 20_000
    # Holding 20k rows at once would take well over 10 MB (a SongRow alone is ~0.5 KB with its strings).
    assert large_peak < 6_000_000, large_peak
    assert large_peak < 1.5 * small_peak + 1_000_000, (small_peak, large_peak)
