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

``Controls`` shape the walk (the defaults are the plain walk above, song for song):

* waypoints: up to three points visited in order. The route start→w1→…→target is cut into legs;
  each leg gets songs in proportion to its length (at least one, its last song at the waypoint),
  and "no farther than the song before" holds toward each leg's own goal;
* stay (the iso principle): the first ``stay`` songs all aim at the start, so the playlist matches
  the mood before it moves (0 and 1 alike: only the first song does);
* max_step: no two consecutive songs farther apart than this when the catalog allows it; the
  walk's points are spaced at most this far apart, so a path too long for the songs it has ends
  short of the target (with a note);
* artist_cap: at most this many songs by one artist when the catalog allows it.

A limit that cannot be kept is broken as little as possible and said in a note; the list is never
shorter than the catalog allows.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
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
MAX_WAYPOINTS = 3
# Aims this close to a leg's goal count as on it (floating-point slack in the route arithmetic).
ON_GOAL = 1e-9

Point = tuple[float, float]


@dataclass(frozen=True)
class Controls:
    """How the walk is shaped. The defaults give the plain straight walk."""

    waypoints: tuple[Point, ...] = ()
    stay: int = 0  # songs matching the start mood before the walk moves (iso principle)
    max_step: float | None = None  # largest distance between consecutive songs
    artist_cap: int | None = None  # most songs by one artist
    # With a seed: songs up to (1 + variety) times the best one's distance to the point aimed at also count
    # as about equally good (besides the fixed tie tolerance), so a sparse catalog still has other paths.
    variety: float = 0.0

    def __post_init__(self):
        if len(self.waypoints) > MAX_WAYPOINTS:
            raise ValueError(f"at most {MAX_WAYPOINTS} waypoints")
        if self.stay < 0:
            raise ValueError("stay must be 0 or more")
        if self.max_step is not None and not self.max_step > 0:
            raise ValueError("max_step must be positive")
        if self.artist_cap is not None and self.artist_cap < 1:
            raise ValueError("artist_cap must be 1 or more")
        if not 0 <= self.variety <= 4:
            raise ValueError("variety must be from 0 to 4")


PLAIN = Controls()


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
    goals: tuple[Point, ...] = ()  # per song, the goal of its leg (the target, or the waypoint it walks to)


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
    controls: Controls = PLAIN,
) -> PathPlan:
    """Choose ``length`` songs (fewer only when the catalog has fewer) walking from start to target."""
    start = (float(start[0]), float(start[1]))
    target = (float(target[0]), float(target[1]))
    excluded = _excluded_rows(index, tuple(exclude_ids))
    available = index.size - len(excluded)
    if length < 1:
        raise ValueError("A playlist has at least one song.")
    n = min(length, available)
    notes = _input_notes(available, n, length, start, target, controls)
    legs, step = _legs(start, target, n, controls, notes)
    neighbourhoods = _Neighbourhoods.query_legs(index, legs, len(excluded))
    tie, slack = _tolerances(step)
    rng = np.random.default_rng(seed) if seed is not None else None
    walk = _Walk()
    fits = _limits(index, walk, controls)
    goals: list[Point] = []
    for leg, nearby in zip(legs, neighbourhoods, strict=True):
        taken = list(excluded | walk.used)
        feasibility = _Feasibility(nearby, index.size, _distances(index.points, taken, *leg.goal).tolist())
        walk.last_to_target = math.inf  # a new leg: distances now count toward its goal
        for i, aim in enumerate(leg.aims):
            remaining = len(leg.aims) - 1 - i
            pools = _candidate_pools(index, nearby, i, aim, leg.goal)
            pick_from = _valid_candidates(pools, walk, excluded, feasibility, remaining, fits)
            if not pick_from:  # cannot happen while feasibility holds; fail loudly rather than guess
                raise RuntimeError("playlist engine found no valid song (feasibility invariant broken)")
            # The ends (and waypoints) are matched as closely as possible; variety lives in between.
            end_tie, variety = (MIN_TIE, 0.0) if leg.exact[i] else (tie, controls.variety)
            walk.add(_choose(pick_from, walk.last_artist, walk.artists, end_tie, slack, rng, variety))
            feasibility.use(walk.last_to_target)
            goals.append(leg.goal)
    notes += _empty_region_notes(neighbourhoods, legs, controls)
    notes += _limit_notes(index, walk.rows, controls)
    return PathPlan(rows=tuple(walk.rows), notes=tuple(notes), goals=tuple(goals))


def _excluded_rows(index: CatalogIndex, exclude_ids: tuple) -> set[int]:
    """Rows of the excluded songs; an empty catalog, or one with every song excluded, is an error."""
    excluded = set(index.rows_of(exclude_ids).tolist()) if exclude_ids else set()
    if index.size == 0:
        raise EmptyCatalogError("The song catalog is empty: import songs (manage.py import_songs) or load the starter catalog.")
    if index.size - len(excluded) <= 0:
        raise EmptyCatalogError("Every song in the catalog is excluded: there is nothing left to play.")
    return excluded


def _input_notes(available: int, n: int, length: int, start, target, controls: Controls) -> list[str]:
    notes = []
    if n < length:
        notes.append(f"The catalog has only {available} playable song(s), so the playlist has {n} instead of {length}.")
    if start[0] == target[0] and start[1] == target[1] and not controls.waypoints:
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


def _tolerances(step: float) -> tuple[float, float]:
    """(tie, slack): how much farther a song may be and still count as a tie / as worth a new artist."""
    return max(TIE_FRACTION * step, MIN_TIE), max(SLACK_FRACTION * step, MIN_SLACK)


@dataclass(frozen=True)
class _Leg:
    """Part of the walk toward one goal (a waypoint or the target): the points its songs aim at."""

    anchor: Point  # where the leg begins: the start or the waypoint before
    goal: Point
    aims: list[Point]
    exact: list[bool]  # aims matched within MIN_TIE: the playlist's ends and the waypoints
    goal_label: str  # "target" or "waypoint N", for notes
    reaches: bool = True  # False when the step limit stops the walk short of the goal


def _legs(start: Point, target: Point, n: int, controls: Controls, notes: list[str]) -> tuple[list[_Leg], float]:
    """The legs of the walk and its typical step (for the tolerances). Appends a note for each control
    that the length or the step limit does not allow to honour fully."""
    if n <= 1:
        return [_Leg(start, target, [target], [True], "target")], 0.0
    staying = max(controls.stay, 1)
    if staying > n - 1:
        notes.append(f"Only {n} song(s): {n - 1} stay with the starting mood, the last goes to the target.")
        staying = n - 1
    steps = n - staying  # songs after the ones at the start
    route = _route(start, controls.waypoints, target)
    if len(route) - 1 > steps:
        notes.append(f"Too few songs to visit every waypoint: the last {len(route) - 1 - steps} skipped.")
        route = _route(start, route[1:steps], target)
    lengths = [math.hypot(b[0] - a[0], b[1] - a[1]) for a, b in zip(route, route[1:], strict=False)]
    counts = _allocate(lengths, steps, controls.max_step)
    legs: list[_Leg] = []
    covered = 0.0
    for j, count in enumerate(counts):
        anchor, goal = route[j], route[j + 1]
        reaches = not controls.max_step or count * controls.max_step >= lengths[j] - 1e-9
        if reaches:
            moving = _waypoints(anchor, goal, count + 1)  # moving[0] is the anchor
            covered += lengths[j]
        else:
            moving = [anchor, *_toward(anchor, goal, count, controls.max_step)]
            covered += count * controls.max_step
        exact = [False] * (count - 1) + [reaches]
        if j == 0:
            aims, exact = moving[:1] * staying + moving[1:], [True] + [False] * (staying - 1) + exact
        else:
            aims = moving[1:]
        label = "target" if j == len(route) - 2 else f"waypoint {j + 1}"
        legs.append(_Leg(anchor, goal, aims, exact, label, reaches))
    legs[-1].exact[-1] = True  # the playlist's last song is matched closely wherever the walk ends
    if len(counts) < len(lengths) or not reaches:
        notes.append(
            f"With steps of at most {controls.max_step:g}, {n} songs cannot reach the target: "
            f"the playlist ends {sum(lengths) - covered:.1f} short of it."
        )
    return legs, covered / steps


def _route(start: Point, waypoints, target: Point) -> list[Point]:
    """Start, waypoints, target, leaving out any waypoint that lies on the point before it (reached already)."""
    route = [start]
    for point in waypoints:
        if point != route[-1]:
            route.append(point)
    if target != route[-1] or len(route) == 1:
        route.append(target)  # (start == target: one leg of length zero)
    return route


def _allocate(lengths: list[float], steps: int, max_step: float | None) -> list[int]:
    """Steps per leg: at least one each (and enough to keep within ``max_step``), the rest where the
    steps are longest, so they come out as even as possible. When the step limit needs more steps
    than there are, the legs are filled in order and the walk stops where the steps run out."""
    need = [max(1, math.ceil(d / max_step - 1e-9)) if max_step else 1 for d in lengths]
    if sum(need) > steps:
        counts, left = [], steps
        for want in need:
            counts.append(min(want, left))
            left -= counts[-1]
            if not left:
                return counts
    counts = list(need)
    for _ in range(steps - sum(need)):
        longest = max(range(len(counts)), key=lambda j: lengths[j] / counts[j])
        counts[longest] += 1
    return counts


def _toward(anchor: Point, goal: Point, count: int, step: float) -> list[Point]:
    """``count`` points ``step`` apart from ``anchor`` toward ``goal`` (not reaching it)."""
    distance = math.hypot(goal[0] - anchor[0], goal[1] - anchor[1])
    ux, uy = (goal[0] - anchor[0]) / distance, (goal[1] - anchor[1]) / distance
    return [(anchor[0] + ux * step * t, anchor[1] + uy * step * t) for t in range(1, count + 1)]


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
    near_target_rows: np.ndarray  # the songs nearest the goal
    near_target_distances: list[float]  # their distances to the goal, ascending

    @classmethod
    def query_legs(cls, index: CatalogIndex, legs: list[_Leg], excluded: int) -> list[_Neighbourhoods]:
        """One tree query for every leg: per leg its aims, its anchor and (when no aim is on it) its goal.

        A leg's goal needs 2w+1 neighbours beyond the songs already taken (w: the leg's songs) to decide
        feasibility; earlier legs' songs count as taken.
        """
        points, spans, near_ks, taken = [], [], [], excluded
        for leg in legs:
            on_goal = math.hypot(leg.aims[-1][0] - leg.goal[0], leg.aims[-1][1] - leg.goal[1]) <= ON_GOAL
            first = len(points)
            points += [*leg.aims, leg.anchor] + ([] if on_goal else [leg.goal])
            spans.append((first, len(points), len(leg.aims) - 1 if on_goal else len(leg.aims) + 1))
            near_ks.append(min(index.size, 2 * len(leg.aims) + taken + 1))
            taken += len(leg.aims)
        k = min(index.size, max(CANDIDATES_PER_WAYPOINT, *near_ks))
        distances, rows = index.tree.query(points, k=k)
        distances, rows = distances.reshape(len(points), k), rows.reshape(len(points), k)
        found = index.points[rows]
        return [
            cls.of_leg(index, leg, k, distances[a:b], rows[a:b], found[a:b], goal_row, near_k)
            for leg, (a, b, goal_row), near_k in zip(legs, spans, near_ks, strict=True)
        ]

    @classmethod
    def of_leg(cls, index, leg: _Leg, k: int, distances, rows, found, goal_row: int, near_k: int) -> _Neighbourhoods:
        to_target = np.hypot(found[..., 0] - leg.goal[0], found[..., 1] - leg.goal[1]).tolist()  # the one formula
        return cls(
            k=k,
            to_waypoint=distances.tolist(),
            rows=rows.tolist(),
            to_target=to_target,
            artists=index.artists[rows].tolist(),
            near_target_rows=rows[goal_row, :near_k],
            near_target_distances=sorted(to_target[goal_row][:near_k]),
        )

    def candidates(self, i: int, count: int | None = None) -> list[Candidate]:
        """The first ``count`` (default all) neighbours of query point ``i`` as candidates, sorted."""
        columns = (self.to_waypoint[i], self.rows[i], self.to_target[i], self.artists[i])
        return sorted(map(Candidate._make, zip(*(column[:count] for column in columns), strict=True)))

    def anchor_gap(self, leg: _Leg) -> float:
        """Distance from the leg's anchor (the start, for the first leg) to its nearest song."""
        return self.to_waypoint[len(leg.aims)][0]


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
    artist_counts: dict[int, int] = field(default_factory=dict)

    def add(self, song: Candidate) -> None:
        self.rows.append(song.row)
        self.used.add(song.row)
        self.artists.add(song.artist)
        self.artist_counts[song.artist] = self.artist_counts.get(song.artist, 0) + 1
        self.last_to_target, self.last_artist = song.to_target, song.artist


def _limits(index: CatalogIndex, walk: _Walk, controls: Controls) -> Callable[[Candidate], bool] | None:
    """Does a candidate keep the step limit and the artist cap? None when neither is set."""
    max_step, cap = controls.max_step, controls.artist_cap
    if max_step is None and cap is None:
        return None
    points = index.points

    def fits(c: Candidate) -> bool:
        if cap is not None and walk.artist_counts.get(c.artist, 0) >= cap:
            return False
        if max_step is not None and walk.rows:
            (x, y), (px, py) = points[c.row], points[walk.rows[-1]]
            return math.hypot(x - px, y - py) <= max_step
        return True

    return fits


def _valid_candidates(pools, walk: _Walk, excluded: set[int], feasibility: _Feasibility, remaining: int, fits=None):
    """The first pool's valid candidates that keep the limits (``fits``) and offer another artist than the
    last song's; failing that, the first valid ones that keep the limits, then the first valid ones at all;
    None when no pool has any."""
    usable = fitting = None
    for last_resort, pool in pools:
        if last_resort and usable:
            break  # never jump to the target's neighbourhood just to change artist or keep a limit
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
        if fits is not None:
            valid = [c for c in valid if fits(c)]
            if not valid:
                continue
            fitting = fitting or valid
        if any(c.artist != walk.last_artist for c in valid):
            return valid
        # otherwise widen: every usable song so far is by the artist just played (or breaks a limit)
    return fitting or usable


def _empty_region_notes(neighbourhoods: list[_Neighbourhoods], legs: list[_Leg], controls: Controls) -> list[str]:
    notes = []
    start_gap = neighbourhoods[0].anchor_gap(legs[0])
    if start_gap > EMPTY_REGION_RADIUS:
        notes.append(f"No songs near the start: the closest is {start_gap:.1f} away, so the playlist starts there.")
    for nearby, leg in zip(neighbourhoods, legs, strict=True):
        gap = nearby.near_target_distances[0]
        if gap > EMPTY_REGION_RADIUS and leg.reaches:
            where = "the playlist ends at the nearest songs" if leg.goal_label == "target" else "the path passes the nearest songs"
            notes.append(f"No songs near the {leg.goal_label}: the closest is {gap:.1f} away, so {where}.")
    return notes


def _limit_notes(index: CatalogIndex, rows: list[int], controls: Controls) -> list[str]:
    """Say so when the step limit or the artist cap had to be broken (the catalog left no other choice)."""
    notes = []
    if controls.max_step is not None and len(rows) > 1:
        steps = np.hypot(*np.diff(index.points[rows], axis=0).T)
        over = int(np.count_nonzero(steps > controls.max_step))
        if over:
            notes.append(
                f"{over} step(s) longer than the limit of {controls.max_step:g} (up to {steps.max():.1f}): "
                "no unused song was closer on the way."
            )
    if controls.artist_cap is not None:
        counts = np.unique(index.artists[rows], return_counts=True)[1]
        if counts.max() > controls.artist_cap:
            notes.append(f"Some artists appear more than {controls.artist_cap} time(s): the catalog has too few other songs on the way.")
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


def _choose(valid: list[Candidate], last_artist, used_artists, tie: float, slack: float, rng, variety: float = 0.0) -> Candidate:
    """Pick among valid candidates, nearest first."""
    fresh_artist = [c for c in valid if c.artist != last_artist]
    if fresh_artist:  # no artist twice in a row whenever the candidates allow it
        valid = fresh_artist
    unused_artist = [c for c in valid if c.artist not in used_artists]
    if unused_artist and unused_artist[0].to_waypoint <= valid[0].to_waypoint + slack:
        valid = unused_artist  # one song per artist when it costs little
    best = valid[0].to_waypoint
    within = max(best + tie, best * (1 + variety)) if variety else best + tie
    ties = [c for c in valid if c.to_waypoint <= within]
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
    step_spread: float  # standard deviation of the step sizes: 0 is perfectly even
    ideal_step: float
    monotonic: bool
    largest_increase_toward_target: float

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def path_metrics(points: np.ndarray, start: tuple[float, float], target: tuple[float, float], goals=None) -> PathMetrics:
    """Measures of a path given the chosen songs' points (shape (n, 2)) in play order.

    ``goals`` (optional, one point per song: ``PathPlan.goals``) measures "toward the target" per leg:
    each song against its own leg's goal, a new leg free to start anywhere. ``ideal_step`` is the straight
    start→target distance over the steps (with waypoints the route is longer, so steps are too).
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    n = len(points)
    sx, sy = float(start[0]), float(start[1])
    tx, ty = float(target[0]), float(target[1])
    if n == 0:
        return PathMetrics(0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, True, 0.0)
    steps = np.hypot(*np.diff(points, axis=0).T) if n > 1 else np.zeros(0)
    goal_points = np.asarray(goals, dtype=np.float64).reshape(-1, 2) if goals else np.array([(tx, ty)] * n)
    d_t = np.hypot(points[:, 0] - goal_points[:, 0], points[:, 1] - goal_points[:, 1])
    same_leg = np.all(goal_points[1:] == goal_points[:-1], axis=1)
    rises = np.diff(d_t)[same_leg] if n > 1 else np.zeros(0)
    largest_rise = float(max(0.0, rises.max())) if len(rises) else 0.0
    return PathMetrics(
        songs=n,
        distance_first_to_start=float(math.hypot(points[0, 0] - sx, points[0, 1] - sy)),
        distance_last_to_target=float(math.hypot(points[-1, 0] - tx, points[-1, 1] - ty)),
        largest_step=float(steps.max()) if len(steps) else 0.0,
        mean_step=float(steps.mean()) if len(steps) else 0.0,
        step_spread=float(steps.std()) if len(steps) else 0.0,
        ideal_step=math.hypot(tx - sx, ty - sy) / (n - 1) if n > 1 else 0.0,
        monotonic=largest_rise == 0.0,
        largest_increase_toward_target=largest_rise,
    )
