"""Public interface of the music app. Other apps import only this module.

Coordinates are (valence, arousal) on the project's plane, -10..10 on both axes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from apps.music import playlists, selectors, services
from apps.music.engine import EmptyCatalogError
from apps.music.importer import BadFileError, read_spotify_rows
from apps.music.playlists import ENGINE_VERSION, MAX_LENGTH, MIN_LENGTH, Playlist, PlaylistSong

__all__ = [
    "ENGINE_VERSION",
    "MAX_LENGTH",
    "MIN_LENGTH",
    "BadFileError",
    "EmptyCatalogError",
    "Playlist",
    "PlaylistSong",
    "catalog_size",
    "catalog_version",
    "generate_playlist",
    "import_songs",
    "load_starter_catalog",
]


def generate_playlist(
    start: tuple[float, float],
    target: tuple[float, float],
    length: int = 10,
    seed: int | None = None,
    exclude: Iterable[int] = (),
) -> Playlist:
    """A playlist walking from ``start`` to ``target`` (songs in play order, with path metrics).

    Start and target are snapped to a 0.25 grid first (`playlists.GRID`) (the cache key and the playlist use
    the same snapped points). Same inputs and catalog version: the identical playlist.
    Raises ``ValueError`` for bad input and ``EmptyCatalogError`` (a ValueError) when no song is playable.
    """
    return playlists.generate(start, target, length=length, seed=seed, exclude=exclude)


def catalog_version() -> str:
    """A token that changes whenever any song is added, edited or deleted."""
    return selectors.catalog_version()


def catalog_size() -> int:
    return selectors.song_count()


def load_starter_catalog() -> dict:
    """Load the shipped starter songs that are missing (idempotent). Returns counts."""
    return services.load_starter_catalog()


def import_songs(path: str | os.PathLike, source: str = "spotify", progress: bool | None = None) -> dict:
    """Import a Spotify-features CSV all-or-nothing; returns created/updated/skipped counts and reasons.

    Raises ``BadFileError`` (a ValueError) when the file lacks required columns, ``OSError`` when unreadable.
    """
    return services.import_csv(path, source=source, reader=read_spotify_rows, progress=progress).to_dict()
