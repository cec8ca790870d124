"""Reading song CSVs row by row: Spotify audio-feature exports and the starter catalog.

Spotify features become plane coordinates linearly: valence x = valence * 20 - 10 and
arousal y = energy * 20 - 10 (0 -> -10, 0.5 -> 0, 1 -> +10).

Rows are parsed one at a time from a stream, so a file of any size needs memory for one
batch only. Every row either becomes a ``SongRow`` or a ``SkippedRow`` with a reason.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

TITLE_COLUMNS = ("song", "title", "name", "track_name")
MAX_TEXT = 300
MAX_ID = 100
MAX_URL = 500


class BadFileError(ValueError):
    """The file cannot be imported at all (e.g. required columns are missing)."""


class SongRow(NamedTuple):
    """One parsed song. A named tuple, not a frozen dataclass: built a million times per big import,
    and a frozen dataclass's ``__init__`` costs three times as much."""

    line: int
    title: str
    artist: str
    album: str
    valence: float
    arousal: float
    spotify_valence: float | None = None
    spotify_energy: float | None = None
    tempo: float | None = None
    duration_ms: int | None = None
    external_id: str = ""
    url: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.title, self.artist)


@dataclass(frozen=True)
class SkippedRow:
    line: int
    reason: str


def spotify_to_plane(value: float) -> float:
    """Map a Spotify feature in 0..1 onto the plane's -10..10."""
    return round(value * 20.0 - 10.0, 4)


def _clean_text(value: str | None) -> str:
    return " ".join((value or "").split())


# The file is read with errors="surrogateescape": undecodable bytes become lone surrogates.
_UNDECODABLE = re.compile("[\udc80-\udcff]")


def _number(value: str | None) -> float | None:
    if not value:  # an absent column or an empty cell: raising and catching costs more than parsing
        return None
    try:
        number = float(value)  # float() itself ignores surrounding whitespace
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _first_column(header: list[str], choices: Iterable[str]) -> int | None:
    lowered = {name.strip().lower(): i for i, name in reversed(list(enumerate(header)))}
    return next((lowered[c] for c in choices if c in lowered), None)


def _rows_with_reasons(reader) -> Iterator[tuple[int, list[str] | dict | None, str | None]]:
    """(line, row, None) per parsed row, or (line, None, reason) for a row the csv module rejects."""
    while True:
        try:  # one try around the loop, not one per row: the reader goes on after an error
            for row in reader:
                yield reader.line_num, row, None
            return
        except csv.Error as exc:
            yield reader.line_num, None, f"malformed CSV ({exc})"


@dataclass(frozen=True)
class _SpotifyColumns:
    """Positions of the columns in a Spotify-features header (None: the optional column is absent)."""

    title: int
    artist: int
    valence: int
    energy: int
    album: int | None
    tempo: int | None
    duration: int | None
    external_id: int | None
    url: int | None
    width: int

    @classmethod
    def find(cls, header: list[str]) -> _SpotifyColumns:
        required = {
            "song/title": _first_column(header, TITLE_COLUMNS),
            "artist": _first_column(header, ("artist", "artists", "artist_name")),
            "valence": _first_column(header, ("valence",)),
            "energy": _first_column(header, ("energy",)),
        }
        missing = [name for name, col in required.items() if col is None]
        if missing:
            raise BadFileError(f"missing required column(s): {', '.join(missing)} (found: {', '.join(header) or 'nothing'})")
        return cls(
            *required.values(),
            album=_first_column(header, ("album", "album_name")),
            tempo=_first_column(header, ("tempo",)),
            duration=_first_column(header, ("duration_ms", "duration")),
            external_id=_first_column(header, ("id", "track_id", "spotify_id", "uri")),
            url=_first_column(header, ("url", "link")),
            width=len(header),
        )



def _cell(row: list[str], column: int | None) -> str | None:
    """The value of an optional column (None when the file has no such column)."""
    return row[column] if column is not None else None


def read_spotify_rows(stream: Iterable[str]) -> Iterator[SongRow | SkippedRow]:
    """Parse a Spotify-features CSV (columns song, artist, valence, energy; album, tempo, duration optional)."""
    reader = csv.reader(stream)
    columns = _SpotifyColumns.find(next(reader, None) or [])
    for line, row, error in _rows_with_reasons(reader):
        if error:
            yield SkippedRow(line, error)
        elif row:  # not a blank line
            yield _spotify_row(line, row, columns)


def _spotify_row(line: int, row: list[str], columns: _SpotifyColumns) -> SongRow | SkippedRow:
    if len(row) != columns.width:
        return SkippedRow(line, "wrong number of fields")
    if _UNDECODABLE.search("\x1f".join(row)):
        return SkippedRow(line, "invalid text encoding")
    title, artist = _clean_text(row[columns.title]), _clean_text(row[columns.artist])
    if not title or not artist:
        return SkippedRow(line, "missing title" if not title else "missing artist")
    if len(title) > MAX_TEXT or len(artist) > MAX_TEXT:
        return SkippedRow(line, f"title or artist longer than {MAX_TEXT} characters")
    valence, energy = _number(row[columns.valence]), _number(row[columns.energy])
    if valence is None or energy is None:
        return SkippedRow(line, "valence or energy is not a number")
    if not (0.0 <= valence <= 1.0 and 0.0 <= energy <= 1.0):
        return SkippedRow(line, "valence or energy outside 0..1")
    tempo, duration = _number(_cell(row, columns.tempo)), _number(_cell(row, columns.duration))
    url = _clean_text(_cell(row, columns.url))
    return SongRow(
        line=line,
        title=title,
        artist=artist,
        album=_clean_text(_cell(row, columns.album))[:MAX_TEXT],
        valence=spotify_to_plane(valence),
        arousal=spotify_to_plane(energy),
        spotify_valence=valence,
        spotify_energy=energy,
        tempo=tempo if tempo is not None and tempo >= 0 else None,
        duration_ms=int(duration) if duration is not None and 0 <= duration < 2**31 else None,
        external_id=_clean_text(_cell(row, columns.external_id))[:MAX_ID],
        url=url if url.startswith(("https://", "http://")) and len(url) <= MAX_URL else "",
    )


def read_plane_rows(stream: Iterable[str]) -> Iterator[SongRow | SkippedRow]:
    """Parse a CSV that already holds plane coordinates (title, artist, valence, arousal in -10..10; url optional)."""
    reader = csv.DictReader(stream)
    fieldnames = reader.fieldnames or []
    required = ("title", "artist", "valence", "arousal")
    missing = [c for c in required if c not in fieldnames]
    if missing:
        raise BadFileError(f"missing required column(s): {', '.join(missing)}")
    for line, row, error in _rows_with_reasons(reader):
        if error:
            yield SkippedRow(line, error)
            continue
        title, artist = _clean_text(row.get("title")), _clean_text(row.get("artist"))
        valence, arousal = _number(row.get("valence")), _number(row.get("arousal"))
        if not title or not artist:
            yield SkippedRow(line, "missing title or artist")
        elif valence is None or arousal is None or not (-10 <= valence <= 10 and -10 <= arousal <= 10):
            yield SkippedRow(line, "valence or arousal missing or outside -10..10")
        else:
            yield SongRow(line, title, artist, _clean_text(row.get("album")), valence, arousal, url=_clean_text(row.get("url")))
