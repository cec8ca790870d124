"""Path properties of the engine over many random start/target pairs (hypothesis), on fixed catalogs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.music.engine import MIN_TIE, CatalogIndex, EmptyCatalogError, path_metrics, plan_path
from tests.music.catalogs import crowded_catalog, dense_catalog

coordinate = st.floats(min_value=-10, max_value=10, allow_nan=False, allow_infinity=False)
point = st.tuples(coordinate, coordinate)
lengths = st.integers(min_value=3, max_value=50)
seeds = st.one_of(st.none(), st.integers(min_value=0, max_value=2**32))
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


DENSE = dense_catalog()


def _kth_nearest(index: CatalogIndex, p, k: int) -> float:
    distances, _ = index.tree.query(p, k=k)
    return float(np.atleast_1d(distances)[-1])


def _check_common(index: CatalogIndex, plan, start, target, length):
    rows = list(plan.rows)
    assert len(rows) == min(length, index.size)
    assert len(set(rows)) == len(rows), "a song appears twice"
    metrics = path_metrics(index.points[rows], start, target)
    assert metrics.monotonic, f"distance to target increased by {metrics.largest_increase_toward_target}"
    return rows, metrics


@PROPERTY_SETTINGS
@given(start=point, target=point, length=lengths, seed=seeds)
def test_dense_catalog_paths_have_every_promised_property(start, target, length, seed):
    plan = plan_path(DENSE, start, target, length, seed=seed)
    rows, metrics = _check_common(DENSE, plan, start, target, length)

    artists = DENSE.artists[rows].tolist()
    assert all(a != b for a, b in zip(artists, artists[1:], strict=False)), "same artist twice in a row"
    # The last song is among the closest to the target (the very closest unless its artist just played).
    assert metrics.distance_last_to_target <= _kth_nearest(DENSE, target, 3) + MIN_TIE + 1e-9
    if math.dist(start, target) >= 3:
        # Far enough apart that the feasibility rule never pushes the first song away from the start.
        assert metrics.distance_first_to_start <= _kth_nearest(DENSE, start, 1) + MIN_TIE + 1e-9
    if metrics.ideal_step >= 0.5:
        # Steps the catalog can resolve (songs are ~0.15 apart): even steps, each song near its
        # waypoint, and one song per artist (two songs each here, so it is always affordable).
        assert metrics.largest_step <= 1.6 * metrics.ideal_step + 1.0
        assert metrics.mean_step <= 1.3 * metrics.ideal_step + 0.5
        assert len(set(artists)) == len(artists)


@PROPERTY_SETTINGS
@given(start=point, target=point, length=lengths, seed=seeds)
def test_same_inputs_give_the_same_playlist(start, target, length, seed):
    assert plan_path(DENSE, start, target, length, seed=seed) == plan_path(DENSE, start, target, length, seed=seed)


small_catalogs = st.lists(
    st.tuples(st.integers(-10, 10), st.integers(-10, 10), st.integers(0, 4)), min_size=1, max_size=60
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(catalog=small_catalogs, start=point, target=point, length=lengths, seed=seeds, exclude=st.sets(st.integers(1, 60), max_size=10))
def test_any_small_catalog_with_ties_and_exclusions_gives_a_valid_path(catalog, start, target, length, seed, exclude):
    """Integer coordinates make many songs tie; nothing may crash, repeat, or walk away from the target."""
    index = CatalogIndex.build(np.arange(1, len(catalog) + 1), [(x, y) for x, y, _ in catalog], [a for *_, a in catalog])
    playable = index.size - len(exclude & set(range(1, index.size + 1)))
    if playable == 0:
        with pytest.raises(EmptyCatalogError):
            plan_path(index, start, target, length, seed=seed, exclude_ids=exclude)
        return
    plan = plan_path(index, start, target, length, seed=seed, exclude_ids=exclude)
    rows = list(plan.rows)
    assert len(rows) == min(length, playable)
    assert len(set(rows)) == len(rows)
    assert not set(index.ids[rows].tolist()) & exclude
    assert path_metrics(index.points[rows], start, target).monotonic
    if len(rows) < length:
        assert any("only" in note for note in plan.notes)


def test_seed_varies_the_path_among_equally_good_songs():
    start, target = (-8.0, -6.0), (7.0, 8.0)
    paths = {plan_path(DENSE, start, target, 12, seed=seed).rows for seed in range(8)}
    assert len(paths) > 1
    unseeded = plan_path(DENSE, start, target, 12)
    assert unseeded == plan_path(DENSE, start, target, 12)


def test_songs_exactly_on_the_axes_are_chosen():
    """The original walk never picked a song on an axis; here they are ordinary points."""
    xs = np.linspace(-10, 10, 41)
    points = [(x, 0.0) for x in xs] + [(0.0, y) for y in xs if y != 0]
    index = CatalogIndex.build(np.arange(1, len(points) + 1), points, np.arange(len(points)))
    plan = plan_path(index, (-10.0, 0.0), (10.0, 0.0), 11)
    assert [tuple(index.points[r]) for r in plan.rows] == [(float(x), 0.0) for x in np.linspace(-10, 10, 11)]
    vertical = plan_path(index, (0.0, 10.0), (0.0, -10.0), 5)
    assert [tuple(index.points[r]) for r in vertical.rows] == [(0.0, 10.0), (0.0, 5.0), (0.0, 0.0), (0.0, -5.0), (0.0, -10.0)]


def test_start_equal_to_target_stays_near_it_and_approaches_it():
    plan = plan_path(DENSE, (2.0, 3.0), (2.0, 3.0), 10)
    rows, metrics = _check_common(DENSE, plan, (2.0, 3.0), (2.0, 3.0), 10)
    assert metrics.distance_last_to_target == pytest.approx(_kth_nearest(DENSE, (2.0, 3.0), 1))
    assert max(np.hypot(*(DENSE.points[rows] - (2.0, 3.0)).T)) <= _kth_nearest(DENSE, (2.0, 3.0), 12)
    assert any("same point" in note for note in plan.notes)


def test_a_target_in_an_empty_region_ends_at_the_nearest_songs_and_says_so():
    rng = np.random.default_rng(3)
    points = rng.uniform(-10, 0, size=(400, 2))  # nothing with positive valence or arousal
    index = CatalogIndex.build(np.arange(1, 401), points, np.arange(400))
    plan = plan_path(index, (-8.0, -8.0), (9.0, 9.0), 10)
    rows, metrics = _check_common(index, plan, (-8.0, -8.0), (9.0, 9.0), 10)
    assert metrics.distance_last_to_target == pytest.approx(_kth_nearest(index, (9.0, 9.0), 1))
    assert any("No songs near the target" in note for note in plan.notes)
    assert not any("No songs near the start" in note for note in plan.notes)


def test_one_song_catalog_and_empty_catalog():
    one = CatalogIndex.build([42], [(1.0, 1.0)], [0])
    plan = plan_path(one, (-5.0, 5.0), (5.0, -5.0), 10)
    assert plan.rows == (0,)
    assert any("only 1" in note for note in plan.notes)
    empty = CatalogIndex.build(np.empty(0, dtype=np.int64), np.empty((0, 2)), np.empty(0, dtype=np.int32))
    with pytest.raises(EmptyCatalogError, match="empty"):
        plan_path(empty, (0.0, 0.0), (1.0, 1.0), 10)


def test_an_artist_is_not_repeated_back_to_back_when_another_song_is_nearly_as_close():
    # Along the diagonal, artist A owns the exact waypoint songs; artist B sits slightly off them.
    points, artists = [], []
    for i in range(10):
        v = -9 + 2 * i
        points += [(v, v), (v + 0.3, v - 0.3)]
        artists += [0, 1 + i]
    index = CatalogIndex.build(np.arange(1, 21), points, artists)
    plan = plan_path(index, (-9.0, -9.0), (9.0, 9.0), 10)
    chosen = index.artists[list(plan.rows)].tolist()
    assert all(a != b for a, b in zip(chosen, chosen[1:], strict=False))
    assert chosen.count(0) == 1  # artist A once; B's songs are within the slack of A's


def test_the_candidate_pool_widens_rather_than_repeat_an_artist():
    """Each waypoint is crowded by one artist's songs; another artist sits just beyond the crowd."""
    index = crowded_catalog(np.random.default_rng(4))
    plan = plan_path(index, (-9.0, -9.0), (9.0, 9.0), 10)
    chosen = index.artists[list(plan.rows)].tolist()
    assert all(a != b for a, b in zip(chosen, chosen[1:], strict=False)), chosen
