"""Writes to the catalog: the version bump, CSV imports and the starter catalog."""

from __future__ import annotations

import os
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone
from tqdm import tqdm

from apps.music import bulk
from apps.music.importer import SkippedRow, SongRow, read_plane_rows, read_spotify_rows
from apps.music.models import CatalogState, Song

STARTER_CSV = Path(__file__).resolve().parent / "data" / "starter_songs.csv"
STARTER_SOURCE = "starter"
BATCH_SIZE = 2000
MAX_EXAMPLES = 20


def bump_catalog_version() -> str:
    """Give the catalog a new version token (inside the caller's transaction, if any)."""
    token = uuid.uuid4().hex
    if CatalogState.objects.filter(pk=1).update(version=token, updated_at=timezone.now()):
        return token
    try:
        with transaction.atomic():
            CatalogState.objects.create(pk=1, version=token)
    except IntegrityError:  # another process created the row first
        CatalogState.objects.filter(pk=1).update(version=token, updated_at=timezone.now())
    return token


@dataclass
class ImportReport:
    source: str
    created: int = 0
    updated: int = 0
    skipped: int = 0
    skip_reasons: Counter = field(default_factory=Counter)
    examples: list[tuple[int, str]] = field(default_factory=list)  # (line, reason) of the first skipped rows

    def skip(self, row: SkippedRow) -> None:
        self.skipped += 1
        self.skip_reasons[row.reason] += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append((row.line, row.reason))

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "skip_reasons": dict(self.skip_reasons.most_common()),
            "examples": [{"line": line, "reason": reason} for line, reason in self.examples],
        }


def _batches(rows: Iterable[SongRow | SkippedRow], report: ImportReport) -> Iterator[list[SongRow]]:
    batch: list[SongRow] = []
    for row in rows:
        if isinstance(row, SkippedRow):
            report.skip(row)
            continue
        batch.append(row)
        if len(batch) >= BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


def _lines_with_progress(stream, path: Path) -> Iterator[str]:
    """The file's lines, advancing a progress bar (by characters, ~bytes)."""
    with tqdm(total=os.path.getsize(path), unit="B", unit_scale=True, desc="import", file=sys.stderr) as bar:
        for line in stream:
            bar.update(len(line))
            yield line


def import_csv(
    path: str | os.PathLike,
    source: str = "spotify",
    reader: Callable[[Iterable[str]], Iterator[SongRow | SkippedRow]] = read_spotify_rows,
    progress: bool | None = None,
) -> ImportReport:
    """Import a song CSV all-or-nothing: one transaction, streamed in batches of BATCH_SIZE rows.

    ``progress=None`` shows a bar only on a terminal. Raises ``BadFileError`` (nothing written)
    when the file cannot be imported at all.
    """
    path = Path(path)
    source = source.strip()
    if not source or len(source) > 50:
        raise ValueError("source must be 1..50 characters")
    show = sys.stderr.isatty() if progress is None else progress
    report = ImportReport(source=source)
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as stream:
        lines = _lines_with_progress(stream, path) if show else stream
        with transaction.atomic():
            # Counting the source's songs before and after costs two index scans; looking each
            # batch's keys up to tell new songs from updates cost more than writing them.
            before = Song.objects.filter(source=source).count()
            written = 0
            with bulk.song_writer(source, timezone.now()) as write:
                for batch in _batches(reader(lines), report):
                    write(batch)
                    written += len(batch)
            report.created = Song.objects.filter(source=source).count() - before
            report.updated = written - report.created
            if written:
                bump_catalog_version()
    return report


def load_starter_catalog() -> dict:
    """Add the shipped starter songs that are missing; never overwrites edits made in the admin."""
    with open(STARTER_CSV, encoding="utf-8", newline="") as stream:
        rows = list(read_plane_rows(stream))
    songs = [r for r in rows if isinstance(r, SongRow)]
    existing = set(Song.objects.filter(source=STARTER_SOURCE).values_list("title", "artist"))
    missing = [r for r in songs if r.key not in existing]
    with transaction.atomic():
        Song.objects.bulk_create(
            [Song(title=r.title, artist=r.artist, album=r.album, valence=r.valence, arousal=r.arousal, url=r.url, source=STARTER_SOURCE) for r in missing],
            ignore_conflicts=True,
        )
        if missing:
            bump_catalog_version()
    return {"created": len(missing), "existing": len(songs) - len(missing), "invalid_rows": len(rows) - len(songs)}
