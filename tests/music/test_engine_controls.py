"""The engine's controls (waypoints, stay, step limit, artist cap), alone and combined (hypothesis).

Guarantees under every control: exact length when the catalog allows it (a note otherwise), no song
twice, never farther from the current leg's goal than the song before, the same playlist for the same
seed, and a note whenever a limit could not be kept.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.music.engine import MAX_WAYPOINTS, MIN_TIE, CatalogIndex, Controls, EmptyCatalogError, path_metrics, plan_path
from tests.music.catalogs import dense_catalog

coordinate = st.floats(min_value=-10, max_value=10, allow_nan=False, allow_infinity=False)
point = st.tuples(coordinate, coordinate)
lengths = st.integers(min_value=3, max_value=50)
seeds = st.one_of(st.none(), st.integers(min_value=0, max_value=2**32))
waypoint_lists = st.lists(point, max_size=MAX_WAYPOINTS).map(tuple)
max_steps = st.one_of(st.none(), st.floats(min_value=0.3, max_value=12))
caps = st.one_of(st.none(), st.integers(min_value=1, max_value=3))
stays = st.integers(min_value=0, max_value=8)
varieties = st.sampled_from([0.0, 0.5, 1.0, 4.0])
controls = st.builds(Controls, waypoints=waypoint_lists, stay=stays, max_step=max_steps, artist_cap=caps, variety=varieties)
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

DENSE = dense_catalog()


def _kth_nearest(index: CatalogIndex, p, k: int) -> float:
    distances, _ = index.tree.query(p, k=k)
    return float(np.atleast_1d(distances)[-1])


def _check_guarantees(index: CatalogIndex, plan, start, target, length: int, playable: int, ctl: Controls):
    """What holds for every control and catalog; returns the chosen rows and the path's metrics."""
    rows = list(plan.rows)
    assert len(rows) == min(length, playable)
    if len(rows) < length:
        assert any("only" in note for note in plan.notes)
    assert len(set(rows)) == len(rows), "a song appears twice"
    assert len(plan.goals) == len(rows)
    # Legs in order: each song's goal is a waypoint or the target, never going back along the route.
    route, j = [tuple(map(float, p)) for p in (*ctl.waypoints, target)], 0
    for goal in plan.goals:
        while route[j] != goal:
            j += 1  # an IndexError here means a goal out of order
    if plan.goals[-1] != route[-1]:
        assert any("cannot reach" in n for n in plan.notes)
    metrics = path_metrics(index.points[rows], start, target, plan.goals)
    assert metrics.monotonic, f"moved away from a leg's goal by {metrics.largest_increase_toward_target}"
    if ctl.max_step is not None and metrics.largest_step > ctl.max_step:
        assert any("longer than the limit" in n for n in plan.notes)
    if ctl.artist_cap is not None and rows and max(Counter(index.artists[rows].tolist()).values()) > ctl.artist_cap:
        assert any("more than" in n for n in plan.notes)
    return rows, metrics


@PROPERTY_SETTINGS
@given(start=point, target=point, length=lengths, seed=seeds, ctl=controls)
def test_every_combination_keeps_the_guarantees_on_a_dense_catalog(start, target, length, seed, ctl):
    plan = plan_path(DENSE, start, target, length, seed=seed, controls=ctl)
    rows, metrics = _check_guarantees(DENSE, plan, start, target, length, DENSE.size, ctl)
    # Dense enough (songs ~0.3 apart, two per artist) that the limits hold wherever the legs are long
    # enough for the catalog to resolve (songs crowding one spot may lie on either side of it).
    route = [start, *ctl.waypoints, target]
    resolvable = min(math.dist(a, b) for a, b in zip(route, route[1:], strict=False)) / length >= 0.5
    if ctl.max_step is not None and ctl.max_step >= 1 and ctl.stay <= 4 and resolvable:
        assert metrics.largest_step <= ctl.max_step, plan.notes
    if ctl.artist_cap is not None and resolvable:
        assert max(Counter(DENSE.artists[rows].tolist()).values()) <= ctl.artist_cap
    assert plan == plan_path(DENSE, start, target, length, seed=seed, controls=ctl)


@PROPERTY_SETTINGS
@given(start=point, target=point, waypoints=st.lists(point, min_size=1, max_size=MAX_WAYPOINTS), length=lengths, seed=seeds)
def test_waypoints_are_visited_in_order_by_a_song_near_each(start, target, waypoints, length, seed):
    ctl = Controls(waypoints=tuple(waypoints))
    plan = plan_path(DENSE, start, target, length, seed=seed, controls=ctl)
    rows, _ = _check_guarantees(DENSE, plan, start, target, length, DENSE.size, ctl)
    route = [start]
    for waypoint in waypoints:
        if waypoint != route[-1]:
            route.append(waypoint)  # a waypoint on the point before it is reached already
    visited = route[1:]
    if length - 1 < len(visited) + (route[-1] != target):
        assert any("Too few songs" in n for n in plan.notes)
        return
    assert not plan.notes or all("No songs near" in n for n in plan.notes)
    for j, waypoint in enumerate(visited):
        last_of_leg = max(i for i, g in enumerate(plan.goals) if g == waypoint)
        gap = math.dist(DENSE.points[rows[last_of_leg]], waypoint)
        assert gap <= _kth_nearest(DENSE, waypoint, 4 + j) + MIN_TIE + 1e-9


@PROPERTY_SETTINGS
@given(start=point, target=point, stay=st.integers(min_value=1, max_value=6), length=st.integers(min_value=8, max_value=50))
def test_the_first_songs_stay_with_the_starting_mood(start, target, stay, length):
    plan = plan_path(DENSE, start, target, length, controls=Controls(stay=stay))
    rows, _ = _check_guarantees(DENSE, plan, start, target, length, DENSE.size, Controls(stay=stay))
    if math.dist(start, target) < 3:
        return  # near the target the feasibility rule may push songs off the start (see the plain walk's test)
    first = [math.dist(DENSE.points[r], start) for r in rows[:stay]]
    # Among the songs nearest the start (each no farther from the target than the one before, so they
    # edge toward it: half the songs around the start lie on its far side), and closer to the start
    # than the walk's next song.
    assert max(first) <= _kth_nearest(DENSE, start, 10 * stay + 4) + MIN_TIE
    if math.dist(start, target) / (length - stay) >= 1:
        assert max(first) < math.dist(DENSE.points[rows[stay]], start)


def test_stay_zero_and_one_are_the_plain_walk():
    for stay in (0, 1):
        assert plan_path(DENSE, (-7.0, 2.0), (6.0, -3.0), 12, seed=4, controls=Controls(stay=stay)) == plan_path(
            DENSE, (-7.0, 2.0), (6.0, -3.0), 12, seed=4
        )


@PROPERTY_SETTINGS
@given(start=point, target=point, max_step=st.floats(min_value=0.5, max_value=6), length=lengths)
def test_a_step_limit_too_tight_for_the_length_ends_short_and_says_so(start, target, max_step, length):
    plan = plan_path(DENSE, start, target, length, controls=Controls(max_step=max_step))
    rows, metrics = _check_guarantees(DENSE, plan, start, target, length, DENSE.size, Controls(max_step=max_step))
    needed = math.dist(start, target) / (length - 1)
    if needed > max_step * 1.001:
        assert any("cannot reach the target" in n for n in plan.notes)
        assert metrics.distance_last_to_target >= math.dist(start, target) - (length - 1) * max_step - 1.0
    elif needed < max_step * 0.999:
        assert not any("cannot reach" in n for n in plan.notes)


def test_a_step_limit_that_the_catalog_cannot_keep_is_broken_with_a_note():
    # Two clusters 8 apart, nothing in between: any path from one to the other has a long step.
    points = [(-8 + dx, 0.0) for dx in np.linspace(0, 1, 6)] + [(1 + dx, 0.0) for dx in np.linspace(0, 1, 6)]
    index = CatalogIndex.build(np.arange(1, 13), points, np.arange(12))
    plan = plan_path(index, (-8.0, 0.0), (2.0, 0.0), 10, controls=Controls(max_step=2.0))
    assert len(plan.rows) == 10
    assert any("longer than the limit of 2" in n for n in plan.notes)


def test_an_artist_cap_the_catalog_cannot_keep_is_broken_with_a_note():
    index = CatalogIndex.build(np.arange(1, 21), [(i - 10.0, 0.0) for i in range(20)], [i % 3 for i in range(20)])
    plan = plan_path(index, (-10.0, 0.0), (9.0, 0.0), 10, controls=Controls(artist_cap=2))
    assert len(plan.rows) == 10
    assert any("more than 2 time" in n for n in plan.notes)
    loose = plan_path(index, (-10.0, 0.0), (9.0, 0.0), 6, controls=Controls(artist_cap=2))
    assert max(Counter(index.artists[list(loose.rows)].tolist()).values()) <= 2
    assert not any("more than" in n for n in loose.notes)


small_catalogs = st.lists(st.tuples(st.integers(-10, 10), st.integers(-10, 10), st.integers(0, 4)), min_size=1, max_size=60)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    catalog=small_catalogs,
    start=point,
    target=point,
    length=lengths,
    seed=seeds,
    exclude=st.sets(st.integers(1, 60), max_size=10),
    ctl=controls,
)
def test_any_small_catalog_with_ties_exclusions_and_controls_gives_a_valid_path(catalog, start, target, length, seed, exclude, ctl):
    """Few songs, many on the same spot, few artists: nothing may crash, repeat, come up short without a
    note, or walk away from a leg's goal."""
    index = CatalogIndex.build(np.arange(1, len(catalog) + 1), [(x, y) for x, y, _ in catalog], [a for *_, a in catalog])
    playable = index.size - len(exclude & set(range(1, index.size + 1)))
    if playable == 0:
        with pytest.raises(EmptyCatalogError):
            plan_path(index, start, target, length, seed=seed, exclude_ids=exclude, controls=ctl)
        return
    plan = plan_path(index, start, target, length, seed=seed, exclude_ids=exclude, controls=ctl)
    rows, _ = _check_guarantees(index, plan, start, target, length, playable, ctl)
    assert not set(index.ids[rows].tolist()) & exclude
    assert plan == plan_path(index, start, target, length, seed=seed, exclude_ids=exclude, controls=ctl)


def test_another_seed_gives_another_path_under_controls_and_the_same_seed_the_same():
    ctl = Controls(waypoints=((4.0, -6.0),), stay=2, max_step=3.0, artist_cap=1)
    paths = {plan_path(DENSE, (-8.0, -2.0), (7.0, 8.0), 15, seed=seed, controls=ctl).rows for seed in range(8)}
    assert len(paths) > 4
    assert plan_path(DENSE, (-8.0, -2.0), (7.0, 8.0), 15, seed=3, controls=ctl) == plan_path(
        DENSE, (-8.0, -2.0), (7.0, 8.0), 15, seed=3, controls=ctl
    )


def test_a_concrete_path_through_two_waypoints():
    """On a grid, the path goes to each waypoint in turn, with songs spread by leg length."""
    xs = np.arange(-10, 10.5, 1.0)
    points = [(x, y) for x in xs for y in xs]
    index = CatalogIndex.build(np.arange(1, len(points) + 1), points, np.arange(len(points)))
    ctl = Controls(waypoints=((6.0, -6.0), (6.0, 6.0)))
    plan = plan_path(index, (-6.0, -6.0), (-6.0, 6.0), 10, controls=ctl)
    chosen = [tuple(index.points[r]) for r in plan.rows]
    assert chosen == [(-6, -6), (-2, -6), (2, -6), (6, -6), (6, -2), (6, 2), (6, 6), (2, 6), (-2, 6), (-6, 6)]
    assert plan.notes == ()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"waypoints": ((0.0, 0.0),) * 4}, "at most 3 waypoints"),
        ({"stay": -1}, "stay"),
        ({"max_step": 0.0}, "max_step"),
        ({"artist_cap": 0}, "artist_cap"),
        ({"variety": -0.5}, "variety"),
    ],
)
def test_controls_refuse_values_that_mean_nothing(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Controls(**kwargs)


def test_variety_widens_the_choice_only_with_a_seed_and_never_at_the_ends():
    start, target = (-8.0, -6.0), (7.0, 8.0)
    assert plan_path(DENSE, start, target, 12, controls=Controls(variety=2.0)) == plan_path(DENSE, start, target, 12)
    plain = {plan_path(DENSE, start, target, 12, seed=seed).rows for seed in range(10)}
    varied = [plan_path(DENSE, start, target, 12, seed=seed, controls=Controls(variety=2.0)) for seed in range(10)]
    assert len({plan.rows for plan in varied}) >= len(plain)
    first_and_last = {(plan.rows[0], plan.rows[-1]) for plan in varied}
    assert len(first_and_last) <= 4  # the ends are matched closely (within 0.1) whatever the seed
