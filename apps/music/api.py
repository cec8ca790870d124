"""Public interface of the music app. Other apps import only this module.

Coordinates are (valence, arousal) on the project's plane, -10..10 on both axes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import datetime

from apps.music import exports, links, playlists, selectors, services
from apps.music.engine import MAX_WAYPOINTS, EmptyCatalogError
from apps.music.exports import M3U_MEDIA_TYPE, XSPF_MEDIA_TYPE
from apps.music.importer import BadFileError, read_spotify_rows
from apps.music.models import PLANE_MAX, PLANE_MIN
from apps.music.playlists import (
    ENGINE_VERSION,
    MAX_LENGTH,
    MAX_MAX_STEP,
    MIN_LENGTH,
    MIN_MAX_STEP,
    SHUFFLE_VARIETY,
    Playlist,
    PlaylistSong,
    default_stay,
)

__all__ = [
    "ENGINE_VERSION",
    "MAX_LENGTH",
    "MAX_MAX_STEP",
    "MAX_WAYPOINTS",
    "MIN_LENGTH",
    "MIN_MAX_STEP",
    "PLANE_MAX",
    "PLANE_MIN",
    "SHUFFLE_VARIETY",
    "M3U_MEDIA_TYPE",
    "XSPF_MEDIA_TYPE",
    "BadFileError",
    "EmptyCatalogError",
    "Playlist",
    "PlaylistSong",
    "catalog_size",
    "another_path",
    "catalog_version",
    "default_stay",
    "generate_playlist",
    "import_songs",
    "listen_links",
    "listen_players",
    "load_starter_catalog",
    "playlist_as_m3u",
    "playlist_as_xspf",
]


def generate_playlist(
    start: tuple[float, float],
    target: tuple[float, float],
    length: int = 10,
    seed: int | None = None,
    exclude: Iterable[int] = (),
    waypoints: Iterable[tuple[float, float]] = (),
    stay: int = 0,
    max_step: float | None = None,
    artist_cap: int | None = None,
    variety: float = 0.0,
) -> Playlist:
    """A playlist walking from ``start`` through ``waypoints`` (at most MAX_WAYPOINTS, in order) to ``target``.

    Pacing: the first ``stay`` songs stay with the start's mood (0..length-1; 0 and 1 alike), no step between
    songs longer than ``max_step`` (MIN_MAX_STEP..MAX_MAX_STEP), at most ``artist_cap`` songs per artist; a
    limit the catalog cannot keep is broken as little as possible and said in ``notes``. ``seed`` picks
    another of the about equally good paths (the same seed, the same path); ``variety`` (0..4) widens
    "about equally good" to songs up to (1 + variety) times as far as the best.

    Points are snapped to a 0.25 grid first (`playlists.GRID`) (the cache key and the playlist use the same
    snapped points). Same inputs and catalog version: the identical playlist.
    Raises ``ValueError`` for bad input (its message names the argument) and ``EmptyCatalogError`` (a
    ValueError) when no song is playable.
    """
    return playlists.generate(
        start,
        target,
        length=length,
        seed=seed,
        exclude=exclude,
        waypoints=waypoints,
        stay=stay,
        max_step=max_step,
        artist_cap=artist_cap,
        variety=variety,
    )


def another_path(start: tuple[float, float], target: tuple[float, float], seed: int, **options) -> Playlist:
    """"Another path" for a request: ``generate_playlist`` with ``seed`` and SHUFFLE_VARIETY, moving on to the
    next seeds while the songs are the best path's; the playlist's ``seed`` is the one used (it reproduces it)."""
    return playlists.another_path(start, target, seed, variety=SHUFFLE_VARIETY, **options)


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


def listen_players() -> list[dict]:
    """The players whose search links songs show (``LISTEN_PLAYERS``), in order: ``{"key", "name", "search_url"}``.

    ``search_url`` holds ``{query}``, to be replaced by the RFC 3986 percent-encoding of "artist title".
    """
    return [{"key": p.key, "name": p.name, "search_url": p.search_url} for p in links.chosen_players()]


def listen_links(title: str, artist: str, url: object = None) -> list[dict]:
    """Where a song can be played: its own web url first (when it has one), then a search per chosen player."""
    return [link.to_dict() for link in links.listen_links(title, artist, url)]


def playlist_as_m3u(playlist: Mapping, title: str) -> str:
    """A ``Playlist.to_dict()`` as extended M3U text, each song's best listen link as its location."""
    return exports.as_m3u(playlist, title)


def playlist_as_xspf(playlist: Mapping, title: str, created_at: datetime | None = None, annotation: str = "") -> bytes:
    """A ``Playlist.to_dict()`` as an XSPF 1 document (UTF-8 bytes), each song's listen links as locations."""
    return exports.as_xspf(playlist, title, created_at=created_at, annotation=annotation)
