"""The playlist engine: a k-d tree over the catalog and a waypoint walk from start to target.

Pure numpy/scipy, no Django, so the benchmark can drive it with synthetic catalogs.

The walk puts ``n`` evenly spaced waypoints on the straight segment start→target and
picks, for each waypoint in turn, the nearest song that keeps the playlist valid:

* never used before and not excluded;
* no farther from the target than the previous song (distance to target never increases);
* feasible: enough unused songs remain at least as close to the target to finish the
  playlist (so a sparse catalog or ``start == target`` can never paint the walk into a corner);
* a different artist from the previous song whenever any candidate allows it, and an
  artist not used yet in the playlist when such a song is nearly as close (within ``slack``).

Among songs that are about equally good (within ``tie_tolerance`` of the best distance to
the waypoint) an optional seed picks one at random; without a seed the nearest wins, ties
broken by catalog order. Same index, same inputs: same playlist.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from scipy.spatial import cKDTree

# A region is "empty" when the nearest song to a requested point is farther than this.
EMPTY_REGION_RADIUS = 1.5
# Candidates per waypoint in the first (batched) tree query; widened on demand.
CANDIDATES_PER_WAYPOINT = 8
# Songs within this fraction of a step (or MIN_TIE) of the best one count as equally good.
TIE_FRACTION = 0.25
MIN_TIE = 0.1
# A not-yet-used artist is preferred when it is at most this much farther (fraction of a step, or MIN_SLACK).
SLACK_FRACTION = 0.5
MIN_SLACK = 0.5


class EmptyCatalogError(ValueError):
    """There is no song to build a playlist from."""


@dataclass(frozen=True, eq=False)
class CatalogIndex:
    """Songs as arrays (sorted by id) plus a k-d tree over their points."""

    ids: np.ndarray  # int64, ascending
    points: np.ndarray  # float64, shape (N, 2)
    artists: np.ndarray  # int32 artist codes
    tree: cKDTree | None = field(repr=False)

    @classmethod
    def build(cls, ids: np.ndarray, points: np.ndarray, artists: np.ndarray) -> CatalogIndex:
        ids = np.asarray(ids, dtype=np.int64)
        points = np.ascontiguousarray(points, dtype=np.float64).reshape(-1, 2)
        artists = np.asarray(artists, dtype=np.int32)
        if not (len(ids) == len(points) == len(artists)):
            raise ValueError("ids, points and artists must have the same length")
        if len(ids) > 1 and not np.all(ids[1:] > ids[:-1]):
            order = np.argsort(ids, kind="stable")
            ids, points, artists = ids[order], points[order], artists[order]
        tree = cKDTree(points, leafsize=32, balanced_tree=False, compact_nodes=False) if len(ids) else None
        return cls(ids=ids, points=points, artists=artists, tree=tree)

    @property
    def size(self) -> int:
        return int(len(self.ids))

    def rows_of(self, song_ids) -> np.ndarray:
        """Row numbers of those of the given song ids that are in the index."""
        wanted = np.unique(np.asarray(list(song_ids), dtype=np.int64))
        pos = np.searchsorted(self.ids, wanted)
        inside = pos < self.size
        pos, wanted = pos[inside], wanted[inside]
        return pos[self.ids[pos] == wanted]


@dataclass(frozen=True)
class PathPlan:
    rows: tuple[int, ...]  # index rows in play order
    notes: tuple[str, ...]


class Candidate(NamedTuple):
    """A song considered for one waypoint. Sorts nearest the waypoint first, exact ties in catalog order."""

    to_waypoint: float
    row: int
    to_target: float
    artist: int


def _distances(points: np.ndarray, rows, x: float, y: float) -> np.ndarray:
    """Euclidean distance of the given rows to (x, y); one formula everywhere so comparisons are exact."""
    p = points[rows]
    return np.hypot(p[..., 0] - x, p[..., 1] - y)


def plan_path(
    index: CatalogIndex,
    start: tuple[float, float],
    target: tuple[float, float],
    length: int,
    seed: int | None = None,
    exclude_ids=(),
) -> PathPlan:
    """Choose ``length`` songs (fewer only when the catalog has fewer) walking from start to target."""
    start = (float(start[0]), float(start[1]))
    target = (float(target[0]), float(target[1]))
    excluded = _excluded_rows(index, tuple(exclude_ids))
    available = index.size - len(excluded)
    if length < 1:
        raise ValueError("A playlist has at least one song.")
    n = min(length, available)
    notes = _input_notes(available, n, length, start, target)
    waypoints = _waypoints(start, target, n)
    nearby = _Neighbourhoods.query(index, [*waypoints, start], len(excluded), target)
    feasibility = _Feasibility(nearby, index.size, _distances(index.points, list(excluded), *target).tolist())
    tie, slack = _tolerances(start, target, n)
    rng = np.random.default_rng(seed) if seed is not None else None
    walk = _Walk()
    for i, waypoint in enumerate(waypoints):
        remaining = n - 1 - i
        pools = _candidate_pools(index, nearby, i, waypoint, target)
        pick_from = _valid_candidates(pools, walk, excluded, feasibility, remaining)
        if not pick_from:  # cannot happen while feasibility holds; fail loudly rather than guess
            raise RuntimeError("playlist engine found no valid song (feasibility invariant broken)")
        # The ends match the mood and the goal as closely as possible; variety lives in between.
        end_tie = MIN_TIE if i in (0, n - 1) else tie
        walk.add(_choose(pick_from, walk.last_artist, walk.artists, end_tie, slack, rng))
        feasibility.use(walk.last_to_target)
    return PathPlan(rows=tuple(walk.rows), notes=tuple(notes + _empty_region_notes(nearby)))


def _excluded_rows(index: CatalogIndex, exclude_ids: tuple) -> set[int]:
    """Rows of the excluded songs; an empty catalog, or one with every song excluded, is an error."""
    excluded = set(index.rows_of(exclude_ids).tolist()) if exclude_ids else set()
    if index.size == 0:
        raise EmptyCatalogError("The song catalog is empty: import songs (manage.py import_songs) or load the starter catalog.")
    if index.size - len(excluded) <= 0:
        raise EmptyCatalogError("Every song in the catalog is excluded: there is nothing left to play.")
    return excluded


def _input_notes(available: int, n: int, length: int, start, target) -> list[str]:
    notes = []
    if n < length:
        notes.append(f"The catalog has only {available} playable song(s), so the playlist has {n} instead of {length}.")
    if start[0] == target[0] and start[1] == target[1]:
        notes.append("Start and target are the same point: the playlist stays around it.")
    return notes


def _waypoints(start, target, n: int) -> list[tuple[float, float]]:
    """``n`` evenly spaced points on the segment, with exact ends. Plain Python here and below: numpy's
    per-call overhead dwarfs the work on a few dozen values."""
    if n <= 1:
        return [target]
    (sx, sy), (tx, ty) = start, target
    dx, dy = (tx - sx) / (n - 1), (ty - sy) / (n - 1)
    return [(sx + dx * i, sy + dy * i) for i in range(n - 1)] + [target]


def _tolerances(start, target, n: int) -> tuple[float, float]:
    """(tie, slack): how much farther a song may be and still count as a tie / as worth a new artist."""
    step = math.hypot(target[0] - start[0], target[1] - start[1]) / (n - 1) if n > 1 else 0.0
    return max(TIE_FRACTION * step, MIN_TIE), max(SLACK_FRACTION * step, MIN_SLACK)


@dataclass(frozen=True)
class _Neighbourhoods:
    """One batched tree query's answers (each query has a large fixed cost): the nearest songs of every
    waypoint, the song nearest the start, and enough songs nearest the target to decide feasibility.

    Per query point (waypoints in order, then the start), per neighbour nearest first: the plain-list
    columns of its candidates.
    """

    k: int  # neighbours per query point
    to_waypoint: list[list[float]]
    rows: list[list[int]]
    to_target: list[list[float]]
    artists: list[list[int]]
    near_target_rows: np.ndarray  # the songs nearest the target (the last waypoint's first neighbours)
    near_target_distances: list[float]  # their distances to the target, ascending

    @classmethod
    def query(cls, index: CatalogIndex, query_points: list, excluded: int, target) -> _Neighbourhoods:
        waypoints = len(query_points) - 1
        near_k = min(index.size, 2 * waypoints + excluded + 1)
        k = min(index.size, max(CANDIDATES_PER_WAYPOINT, near_k))
        distances, rows = index.tree.query(query_points, k=k)
        rows = rows.reshape(waypoints + 1, k)
        found = index.points[rows]
        to_target = np.hypot(found[..., 0] - target[0], found[..., 1] - target[1]).tolist()  # the one formula
        return cls(
            k=k,
            to_waypoint=distances.reshape(waypoints + 1, k).tolist(),
            rows=rows.tolist(),
            to_target=to_target,
            artists=index.artists[rows].tolist(),
            near_target_rows=rows[waypoints - 1, :near_k],
            near_target_distances=sorted(to_target[waypoints - 1][:near_k]),
        )

    def candidates(self, i: int, count: int | None = None) -> list[Candidate]:
        """The first ``count`` (default all) neighbours of query point ``i`` as candidates, sorted."""
        columns = (self.to_waypoint[i], self.rows[i], self.to_target[i], self.artists[i])
        return sorted(map(Candidate._make, zip(*(column[:count] for column in columns), strict=True)))

    @property
    def start_gap(self) -> float:
        """Distance from the start to its nearest song."""
        return self.to_waypoint[-1][0]


class _Feasibility:
    """Can the walk still finish? Enough unused, not excluded songs must remain no farther from the target."""

    def __init__(self, nearby: _Neighbourhoods, catalog_size: int, excluded_to_target: list[float]):
        self.near = nearby.near_target_distances
        self.near_covers_catalog = len(self.near) == catalog_size
        self.excluded = sorted(excluded_to_target)
        self.used: list[float] = []  # kept sorted

    def allows(self, to_target: float, remaining: int) -> bool:
        """Are at least ``remaining`` usable songs, besides the candidate, no farther from the target?"""
        if remaining == 0:
            return True
        if not self.near_covers_catalog and self.near[-1] <= to_target:
            return True  # all 2n+|E|+1 listed songs are this close; at most n-1+|E| are taken
        closer = bisect.bisect_right(self.near, to_target)
        closer -= bisect.bisect_right(self.used, to_target) + bisect.bisect_right(self.excluded, to_target)
        return closer - 1 >= remaining

    def use(self, to_target: float) -> None:
        bisect.insort(self.used, to_target)


@dataclass
class _Walk:
    """The playlist so far."""

    rows: list[int] = field(default_factory=list)
    used: set[int] = field(default_factory=set)
    artists: set[int] = field(default_factory=set)
    last_to_target: float = math.inf
    last_artist: int | None = None

    def add(self, song: Candidate) -> None:
        self.rows.append(song.row)
        self.used.add(song.row)
        self.artists.add(song.artist)
        self.last_to_target, self.last_artist = song.to_target, song.artist


def _valid_candidates(pools, walk: _Walk, excluded: set[int], feasibility: _Feasibility, remaining: int):
    """The first pool's valid candidates that offer another artist than the last song's; failing that,
    the first valid candidates found (all by that artist); None when no pool has any."""
    usable = None
    for last_resort, pool in pools:
        if last_resort and usable:
            break  # never jump to the target's neighbourhood just to change artist
        valid = [
            c
            for c in pool
            if c.to_target <= walk.last_to_target
            and c.row not in walk.used
            and c.row not in excluded
            and feasibility.allows(c.to_target, remaining)
        ]
        if not valid:
            continue
        usable = usable or valid
        if any(c.artist != walk.last_artist for c in valid):
            return valid
        # otherwise widen: every usable song so far is by the artist just played
    return usable


def _empty_region_notes(nearby: _Neighbourhoods) -> list[str]:
    notes = []
    if nearby.start_gap > EMPTY_REGION_RADIUS:
        notes.append(f"No songs near the start: the closest is {nearby.start_gap:.1f} away, so the playlist starts there.")
    target_gap = nearby.near_target_distances[0]
    if target_gap > EMPTY_REGION_RADIUS:
        notes.append(f"No songs near the target: the closest is {target_gap:.1f} away, so the playlist ends at the nearest songs.")
    return notes


def _candidate_pools(index: CatalogIndex, nearby: _Neighbourhoods, i: int, waypoint, target):
    """(last resort?, candidates) for waypoint ``i``, each pool nearest first.

    Widens only when needed: its few nearest songs, the rest of its query row, then a wider query,
    then, as the last resort, the songs nearest the target.
    """
    few = min(nearby.k, CANDIDATES_PER_WAYPOINT)
    yield False, nearby.candidates(i, few)
    if nearby.k > few:
        yield False, nearby.candidates(i)
    if nearby.k >= index.size:
        return
    wide = min(index.size, nearby.k * 8)
    yield False, _candidates(index, np.atleast_1d(index.tree.query(waypoint, k=wide)[1]), waypoint, target)
    if wide < index.size:
        # The songs nearest the target always contain a valid choice while feasibility holds.
        yield True, _candidates(index, nearby.near_target_rows, waypoint, target)


def _candidates(index: CatalogIndex, rows: np.ndarray, waypoint, target) -> list[Candidate]:
    rows = np.asarray(rows, dtype=np.int64)
    to_waypoint = _distances(index.points, rows, float(waypoint[0]), float(waypoint[1]))
    to_target = _distances(index.points, rows, *target)
    order = np.lexsort((rows, to_waypoint))
    columns = (to_waypoint[order].tolist(), rows[order].tolist(), to_target[order].tolist(), index.artists[rows[order]].tolist())
    return list(map(Candidate._make, zip(*columns, strict=True)))


def _choose(valid: list[Candidate], last_artist, used_artists, tie: float, slack: float, rng) -> Candidate:
    """Pick among valid candidates, nearest first."""
    fresh_artist = [c for c in valid if c.artist != last_artist]
    if fresh_artist:  # no artist twice in a row whenever the candidates allow it
        valid = fresh_artist
    unused_artist = [c for c in valid if c.artist not in used_artists]
    if unused_artist and unused_artist[0].to_waypoint <= valid[0].to_waypoint + slack:
        valid = unused_artist  # one song per artist when it costs little
    best = valid[0].to_waypoint
    ties = [c for c in valid if c.to_waypoint <= best + tie]
    if rng is None or len(ties) == 1:
        return ties[0]
    return ties[int(rng.integers(len(ties)))]


@dataclass(frozen=True)
class PathMetrics:
    songs: int
    distance_first_to_start: float
    distance_last_to_target: float
    largest_step: float
    mean_step: float
    ideal_step: float
    monotonic: bool
    largest_increase_toward_target: float

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def path_metrics(points: np.ndarray, start: tuple[float, float], target: tuple[float, float]) -> PathMetrics:
    """Measures of a path given the chosen songs' points (shape (n, 2)) in play order."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    n = len(points)
    sx, sy = float(start[0]), float(start[1])
    tx, ty = float(target[0]), float(target[1])
    if n == 0:
        return PathMetrics(0, 0.0, 0.0, 0.0, 0.0, 0.0, True, 0.0)
    steps = np.hypot(*np.diff(points, axis=0).T) if n > 1 else np.zeros(0)
    d_t = np.hypot(points[:, 0] - tx, points[:, 1] - ty)
    rises = np.diff(d_t) if n > 1 else np.zeros(0)
    largest_rise = float(max(0.0, rises.max())) if len(rises) else 0.0
    return PathMetrics(
        songs=n,
        distance_first_to_start=float(math.hypot(points[0, 0] - sx, points[0, 1] - sy)),
        distance_last_to_target=float(d_t[-1]),
        largest_step=float(steps.max()) if len(steps) else 0.0,
        mean_step=float(steps.mean()) if len(steps) else 0.0,
        ideal_step=math.hypot(tx - sx, ty - sy) / (n - 1) if n > 1 else 0.0,
        monotonic=largest_rise == 0.0,
        largest_increase_toward_target=largest_rise,
    )
