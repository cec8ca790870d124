"""Playlist generation: input checks, the per-process index, the playlist cache, the result type."""

from __future__ import annotations

import hashlib
import logging
import math
import numbers
import threading
from dataclasses import dataclass

from django.core.cache import cache

from apps.music import selectors, snapshots
from apps.music.engine import MAX_WAYPOINTS, PLAIN, CatalogIndex, Controls, EmptyCatalogError, path_metrics, plan_path
from apps.music.metrics import PLAYLIST_CACHE

logger = logging.getLogger(__name__)

# Bump when the engine's choices change, so cached playlists from older code are not served.
ENGINE_VERSION = "waypoint-kdtree-2"
MIN_LENGTH, MAX_LENGTH, DEFAULT_LENGTH = 3, 50, 10
# The step limit: from half a unit (finer than the catalog resolves) to the plane's diagonal (no limit).
MIN_MAX_STEP, MAX_MAX_STEP = 0.5, 28.3
# Iso principle: songs that stay with the listener's mood before the walk moves, when a request does not
# say. Decided from bench/playlist.py's stay sweep (BENCHMARKS.md, "Iso principle: the default stay"):
# at most MAX_DEFAULT_STAY, and no more than keeps the remaining steps within 25 % of the plain walk's.
MAX_DEFAULT_STAY = 3
STAY_STEP_GROWTH = 1.25
# "Another path" (the job API's seeded playlists): songs up to twice as far from the point aimed at as
# the best one count as about equally good too, so a sparse catalog (the 265 starter songs) has other
# paths; measured on the starter catalog, 100 pairs × 3 seeds: a seeded path equals the best path
# 9 % of the time without it, 4 % with it, steps as even (spread ÷ mean 0.45 either way).
SHUFFLE_VARIETY = 1.0
# Seeds tried, one after the other, when "another path" must differ from the best path.
ANOTHER_PATH_TRIES = 8
# Start and target are snapped to this grid before generating, so the playlist is a function of
# the cache key: any two requests in the same grid cell get the identical playlist.
GRID = 0.25


@dataclass(frozen=True)
class PlaylistSong:
    id: int
    title: str
    artist: str
    album: str
    valence: float
    arousal: float
    url: str | None

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "artist": self.artist,
            "album": self.album,
            "valence": self.valence,
            "arousal": self.arousal,
            "url": self.url,
        }


@dataclass(frozen=True)
class Playlist:
    songs: tuple[PlaylistSong, ...]
    metrics: tuple[tuple[str, object], ...]  # frozen form of the metrics dict
    catalog_version: str
    engine_version: str
    notes: tuple[str, ...]
    start: tuple[float, float]
    target: tuple[float, float]
    seed: int | None = None
    waypoints: tuple[tuple[float, float], ...] = ()
    stay: int = 0
    max_step: float | None = None
    artist_cap: int | None = None

    def to_dict(self) -> dict:
        return {
            "songs": [song.to_dict() for song in self.songs],
            "metrics": dict(self.metrics),
            "catalog_version": self.catalog_version,
            "engine_version": self.engine_version,
            "notes": list(self.notes),
            "start": list(self.start),
            "target": list(self.target),
            "seed": self.seed,
            "waypoints": [list(p) for p in self.waypoints],
            "pacing": {"stay": self.stay, "max_step": self.max_step, "artist_cap": self.artist_cap},
        }

    @classmethod
    def from_dict(cls, data: dict) -> Playlist:
        return cls(
            songs=tuple(PlaylistSong(**song) for song in data["songs"]),
            metrics=tuple(data["metrics"].items()),
            catalog_version=data["catalog_version"],
            engine_version=data["engine_version"],
            notes=tuple(data["notes"]),
            start=tuple(data["start"]),
            target=tuple(data["target"]),
            seed=data["seed"],
            waypoints=tuple(tuple(p) for p in data["waypoints"]),
            **data["pacing"],
        )


# --- input checks ---------------------------------------------------------------------------------


def _number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def clean_point(name: str, value: object) -> tuple[float, float]:
    try:
        x, y = value  # type: ignore[misc]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a (valence, arousal) pair of numbers") from None
    if not (_number(x) and _number(y)):
        raise ValueError(f"{name} must be a (valence, arousal) pair of numbers")
    x, y = float(x), float(y)
    if not (math.isfinite(x) and math.isfinite(y) and -10.0 <= x <= 10.0 and -10.0 <= y <= 10.0):
        raise ValueError(f"{name} must lie within -10..10 on both axes")
    return x, y


def clean_length(length: object) -> int:
    if not (isinstance(length, numbers.Integral) and not isinstance(length, bool)) or not MIN_LENGTH <= length <= MAX_LENGTH:
        raise ValueError(f"length must be an integer from {MIN_LENGTH} to {MAX_LENGTH}")
    return int(length)


def clean_seed(seed: object) -> int | None:
    if seed is None:
        return None
    if not (isinstance(seed, numbers.Integral) and not isinstance(seed, bool)) or not 0 <= seed < 2**63:
        raise ValueError("seed must be a non-negative integer or null")
    return int(seed)


def clean_exclude(exclude: object) -> tuple[int, ...]:
    try:
        ids = tuple(exclude)  # type: ignore[arg-type]
    except TypeError:
        raise ValueError("exclude must be a list of song ids") from None
    if not all(isinstance(i, numbers.Integral) and not isinstance(i, bool) for i in ids):
        raise ValueError("exclude must be a list of song ids")
    return tuple(sorted({int(i) for i in ids}))


def clean_waypoints(waypoints: object) -> tuple[tuple[float, float], ...]:
    if isinstance(waypoints, (str, bytes)) or not hasattr(waypoints, "__iter__"):
        raise ValueError("waypoints must be a list of (valence, arousal) points")
    points = tuple(clean_point("waypoints", p) for p in waypoints)  # type: ignore[union-attr]
    if len(points) > MAX_WAYPOINTS:
        raise ValueError(f"waypoints: at most {MAX_WAYPOINTS}")
    return points


def clean_stay(stay: object, length: int) -> int:
    if not (isinstance(stay, numbers.Integral) and not isinstance(stay, bool)) or not 0 <= stay < length:
        raise ValueError(f"stay must be an integer from 0 to {length - 1} (less than the length)")
    return int(stay)


def clean_max_step(max_step: object) -> float | None:
    if max_step is None:
        return None
    if not _number(max_step) or not MIN_MAX_STEP <= float(max_step) <= MAX_MAX_STEP:  # NaN fails the range too
        raise ValueError(f"max_step must be a number from {MIN_MAX_STEP} to {MAX_MAX_STEP}, or null")
    return float(max_step)


def clean_artist_cap(artist_cap: object) -> int | None:
    if artist_cap is None:
        return None
    if not (isinstance(artist_cap, numbers.Integral) and not isinstance(artist_cap, bool)) or not 1 <= artist_cap <= MAX_LENGTH:
        raise ValueError(f"artist_cap must be an integer from 1 to {MAX_LENGTH}, or null")
    return int(artist_cap)


def clean_variety(variety: object) -> float:
    if not _number(variety) or not 0 <= float(variety) <= 4:
        raise ValueError("variety must be a number from 0 to 4")
    return float(variety)


def default_stay(length: int) -> int:
    """The iso-principle stay for a request that does not choose one (see MAX_DEFAULT_STAY)."""
    return max(k for k in range(1, min(MAX_DEFAULT_STAY, length - 1) + 1) if k == 1 or (length - 1) / (length - k) <= STAY_STEP_GROWTH)


def snap(point: tuple[float, float]) -> tuple[float, float]:
    """The centre of the GRID cell holding ``point`` (always still within -10..10)."""
    return tuple(round(round(v / GRID) * GRID, 4) + 0.0 for v in point)  # + 0.0 turns -0.0 into 0.0


# --- the index, once per catalog version per process ---------------------------------------------

_index_lock = threading.Lock()
_index: tuple[str, CatalogIndex] | None = None


def index_for(version: str) -> tuple[str, CatalogIndex]:
    """The index of catalog ``version`` (or of a newer version, returned with it, if it changed meanwhile)."""
    global _index
    current = _index
    if current is not None and current[0] == version:
        return current
    with _index_lock:
        current = _index
        if current is not None and current[0] == version:
            return current
        arrays = snapshots.load(version)  # a big catalog another process has already read
        source = "snapshot"
        if arrays is None:
            source = "database"
            for _ in range(3):  # a write landing mid-read changes the version: read again
                arrays = selectors.catalog_arrays()
                after = selectors.catalog_version()
                if after == version:
                    snapshots.save(version, *arrays)  # only arrays known to be that version's
                    break
                version = after
        current = (version, CatalogIndex.build(*arrays))
        _index = current
        logger.info("built playlist index", extra={"catalog_version": version, "songs": current[1].size, "index_source": source})
        return current


# --- the cache -------------------------------------------------------------------------------------


def cache_key(start, target, length: int, seed: int | None, exclude: tuple[int, ...], version: str, controls: Controls = PLAIN) -> str:
    excluded = hashlib.sha256(",".join(map(str, exclude)).encode()).hexdigest()[:16] if exclude else "-"
    shaped = "-" if controls == PLAIN else "{};{};{};{};{}".format(
        "|".join(f"{x},{y}" for x, y in controls.waypoints), controls.stay, controls.max_step, controls.artist_cap, controls.variety
    )
    return "music:playlist:{}:{}:{},{}:{},{}:{}:{}:{}:{}".format(
        ENGINE_VERSION, version, start[0], start[1], target[0], target[1], length, "-" if seed is None else seed, excluded, shaped
    )


def _cache_get(key: str) -> dict | None:
    try:
        value = cache.get(key)
    except Exception:  # an outage must never fail generation (IGNORE_EXCEPTIONS covers most of it)
        logger.warning("playlist cache read failed", exc_info=True)
        return None
    return value if isinstance(value, dict) else None


def _cache_set(key: str, value: dict) -> None:
    try:
        cache.set(key, value)
    except Exception:
        logger.warning("playlist cache write failed", exc_info=True)


# --- generation ------------------------------------------------------------------------------------


def another_path(start, target, seed: int, **options) -> Playlist:
    """The playlist for ``seed``, or for the first of the next seeds whose songs differ from the best path's
    (the unseeded playlist); its ``seed`` says which. Same inputs, same result."""
    best = [song.id for song in generate(start, target, **options).songs]
    seed = clean_seed(seed)
    for attempt in range(ANOTHER_PATH_TRIES):
        playlist = generate(start, target, seed=(seed + attempt) % 2**53, **options)
        if [song.id for song in playlist.songs] != best:
            return playlist
    return playlist  # a catalog with a single path: say nothing more than the playlist itself does


def generate(
    start,
    target,
    length=DEFAULT_LENGTH,
    seed=None,
    exclude=(),
    waypoints=(),
    stay=0,
    max_step=None,
    artist_cap=None,
    variety=0.0,
) -> Playlist:
    start, target = snap(clean_point("start", start)), snap(clean_point("target", target))
    length, seed, exclude = clean_length(length), clean_seed(seed), clean_exclude(exclude)
    controls = Controls(
        waypoints=tuple(snap(p) for p in clean_waypoints(waypoints)),
        stay=clean_stay(stay, length),
        max_step=clean_max_step(max_step),
        artist_cap=clean_artist_cap(artist_cap),
        variety=clean_variety(variety),
    )

    version = selectors.catalog_version()
    key = cache_key(start, target, length, seed, exclude, version, controls)
    cached = _cache_get(key)
    if cached is not None:
        try:
            playlist = Playlist.from_dict(cached)
        except (KeyError, TypeError, ValueError):
            logger.warning("ignoring a malformed cached playlist", extra={"cache_key": key})
        else:
            PLAYLIST_CACHE.labels(result="hit").inc()
            return playlist
    PLAYLIST_CACHE.labels(result="miss").inc()

    for _ in range(3):
        built_version, index = index_for(version)
        if index.size == 0:
            raise EmptyCatalogError("The song catalog is empty: import songs (manage.py import_songs) or load the starter catalog.")
        plan = plan_path(index, start, target, length, seed=seed, exclude_ids=exclude, controls=controls)
        song_ids = [int(index.ids[row]) for row in plan.rows]
        rows = selectors.songs_by_id(song_ids)
        if len(rows) == len(song_ids):
            break
        version = selectors.catalog_version()  # a song vanished after the index was built: rebuild
    else:
        raise RuntimeError("the catalog kept changing while a playlist was generated")

    songs = tuple(
        PlaylistSong(
            id=r["id"], title=r["title"], artist=r["artist"], album=r["album"], valence=r["valence"], arousal=r["arousal"], url=r["url"] or None
        )
        for r in (rows[i] for i in song_ids)
    )
    metrics = path_metrics([(s.valence, s.arousal) for s in songs], start, target, plan.goals).to_dict()
    metrics["requested_length"] = length
    playlist = Playlist(
        songs=songs,
        metrics=tuple(metrics.items()),
        catalog_version=built_version,
        engine_version=ENGINE_VERSION,
        notes=plan.notes,
        start=start,
        target=target,
        seed=seed,
        waypoints=controls.waypoints,
        stay=controls.stay,
        max_step=controls.max_step,
        artist_cap=controls.artist_cap,
    )
    _cache_set(cache_key(start, target, length, seed, exclude, built_version, controls), playlist.to_dict())
    return playlist
