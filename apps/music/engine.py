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
    sx, sy = float(start[0]), float(start[1])
    tx, ty = float(target[0]), float(target[1])
    exclude_ids = tuple(exclude_ids)
    excluded = set(index.rows_of(exclude_ids).tolist()) if exclude_ids else set()
    available = index.size - len(excluded)
    if index.size == 0:
        raise EmptyCatalogError("The song catalog is empty: import songs (manage.py import_songs) or load the starter catalog.")
    if available <= 0:
        raise EmptyCatalogError("Every song in the catalog is excluded: there is nothing left to play.")

    notes: list[str] = []
    n = min(length, available)
    if n < length:
        notes.append(f"The catalog has only {available} playable song(s), so the playlist has {n} instead of {length}.")
    if sx == tx and sy == ty:
        notes.append("Start and target are the same point: the playlist stays around it.")

    tree = index.tree
    points = index.points
    artists = index.artists
    total = math.hypot(tx - sx, ty - sy)
    step = total / (n - 1) if n > 1 else 0.0
    tie = max(TIE_FRACTION * step, MIN_TIE)
    slack = max(SLACK_FRACTION * step, MIN_SLACK)
    rng = np.random.default_rng(seed) if seed is not None else None

    # Waypoints on the segment (exact endpoints), then the start once more for the "empty region" note.
    # Waypoints with exact ends, then the start once more (for the "empty region" note). Plain
    # Python here and below: numpy's per-call overhead dwarfs the work on a few dozen values.
    if n > 1:
        dx, dy = (tx - sx) / (n - 1), (ty - sy) / (n - 1)
        query_points = [(sx + dx * i, sy + dy * i) for i in range(n - 1)] + [(tx, ty)]
    else:
        query_points = [(tx, ty)]
    query_points.append((sx, sy))

    # One tree query (each call has a large fixed cost) answers everything: the candidates of every
    # waypoint, the song nearest the start, and in the target's row enough songs nearest the target
    # to decide feasibility (below).
    near_k = min(index.size, 2 * n + len(excluded) + 1)
    k = min(index.size, max(CANDIDATES_PER_WAYPOINT, near_k))
    batch_dw, batch_rows = tree.query(query_points, k=k)
    batch_rows = batch_rows.reshape(n + 1, k)
    found = points[batch_rows]
    dt_all = np.hypot(found[..., 0] - tx, found[..., 1] - ty).tolist()  # the one formula for distance to target
    dw_all = batch_dw.reshape(n + 1, k).tolist()
    rows_all = batch_rows.tolist()
    artists_all = artists[batch_rows].tolist()
    first_gap = dw_all[n][0]
    near_rows = batch_rows[n - 1, :near_k]
    near_d_list = sorted(dt_all[n - 1][:near_k])
    # Per waypoint: (distance to waypoint, row, distance to target, artist), nearest first, exact
    # ties in catalog order. First its few nearest songs; the whole row only when those all fail.
    few = min(k, CANDIDATES_PER_WAYPOINT)
    batch = [sorted(zip(dw_all[i][:few], rows_all[i][:few], dt_all[i][:few], artists_all[i][:few], strict=True)) for i in range(n)]

    def full_row(i: int) -> list:
        return sorted(zip(dw_all[i], rows_all[i], dt_all[i], artists_all[i], strict=True))
    near_covers_all = near_k == index.size
    excluded_dt = sorted(_distances(points, list(excluded), tx, ty).tolist()) if excluded else []
    used_dt: list[float] = []  # kept sorted

    def feasible(d_candidate: float, remaining: int) -> bool:
        """Are at least ``remaining`` usable songs, besides the candidate, no farther from the target?"""
        if remaining == 0:
            return True
        if not near_covers_all and near_d_list[-1] <= d_candidate:
            return True  # all 2n+|E|+1 listed songs are this close; at most n-1+|E| are taken
        closer = bisect.bisect_right(near_d_list, d_candidate)
        closer -= bisect.bisect_right(used_dt, d_candidate) + bisect.bisect_right(excluded_dt, d_candidate)
        return closer - 1 >= remaining

    chosen: list[int] = []
    used: set[int] = set()
    used_artists: set[int] = set()
    prev_dt = math.inf
    prev_artist: int | None = None
    for i in range(n):
        remaining = n - 1 - i
        pick = None
        usable = pick_from = None  # usable: the first valid candidates found, even if all by the artist just played
        pools = _candidate_pools(index, batch[i], (lambda i=i: full_row(i)) if k > few else None, k, query_points[i], near_rows, tx, ty)
        for last_resort, pool in pools:
            if last_resort and usable:
                break  # never jump to the target's neighbourhood just to change artist
            valid = [
                c for c in pool if c[2] <= prev_dt and c[1] not in used and c[1] not in excluded and feasible(c[2], remaining)
            ]
            if not valid:
                continue
            usable = usable or valid
            if any(c[3] != prev_artist for c in valid):
                pick_from = valid
                break  # otherwise widen: every usable song so far is by the artist just played
        pick_from = pick_from or usable
        if pick_from:
            # The ends match the mood and the goal as closely as possible; variety lives in between.
            pick = _choose(pick_from, prev_artist, used_artists, MIN_TIE if i in (0, n - 1) else tie, slack, rng)
        if pick is None:  # cannot happen while feasibility holds; fail loudly rather than guess
            raise RuntimeError("playlist engine found no valid song (feasibility invariant broken)")
        _, row, dt, artist = pick
        chosen.append(row)
        used.add(row)
        bisect.insort(used_dt, dt)
        used_artists.add(artist)
        prev_dt, prev_artist = dt, artist

    if first_gap > EMPTY_REGION_RADIUS:
        notes.append(f"No songs near the start: the closest is {first_gap:.1f} away, so the playlist starts there.")
    last_gap = near_d_list[0]
    if last_gap > EMPTY_REGION_RADIUS:
        notes.append(f"No songs near the target: the closest is {last_gap:.1f} away, so the playlist ends at the nearest songs.")
    return PathPlan(rows=tuple(chosen), notes=tuple(notes))


def _candidate_pools(index: CatalogIndex, first: list, full, k: int, waypoint, near_rows: np.ndarray, tx: float, ty: float):
    """(last resort?, candidates) for one waypoint; candidates are (distance to waypoint, row,
    distance to target, artist), nearest first.

    Widens only when needed: the rest of the waypoint's query row, then a wider query, then, as the
    last resort, the songs nearest the target.
    """
    yield False, first
    if full is not None:
        yield False, full()
    if k >= index.size:
        return
    wide = min(index.size, k * 8)
    yield False, _candidates(index, np.atleast_1d(index.tree.query(waypoint, k=wide)[1]), waypoint, tx, ty)
    if wide < index.size:
        # The songs nearest the target always contain a valid choice while feasibility holds.
        yield True, _candidates(index, near_rows, waypoint, tx, ty)


def _candidates(index: CatalogIndex, rows: np.ndarray, waypoint, tx: float, ty: float) -> list:
    rows = np.asarray(rows, dtype=np.int64)
    d_w = _distances(index.points, rows, float(waypoint[0]), float(waypoint[1]))
    d_t = _distances(index.points, rows, tx, ty)
    order = np.lexsort((rows, d_w))
    return list(zip(d_w[order].tolist(), rows[order].tolist(), d_t[order].tolist(), index.artists[rows[order]].tolist(), strict=True))


def _choose(valid, prev_artist, used_artists, tie, slack, rng):
    """Pick among valid (distance_to_waypoint, row, distance_to_target, artist) tuples, nearest first."""
    fresh_artist = [c for c in valid if c[3] != prev_artist]
    if fresh_artist:  # no artist twice in a row whenever the candidates allow it
        valid = fresh_artist
    unused_artist = [c for c in valid if c[3] not in used_artists]
    if unused_artist and unused_artist[0][0] <= valid[0][0] + slack:
        valid = unused_artist  # one song per artist when it costs little
    best = valid[0][0]
    ties = [c for c in valid if c[0] <= best + tie]
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
