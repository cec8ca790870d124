"""generate_playlist through the public api: contract, validation, edge cases, determinism."""

from __future__ import annotations

import math

import numpy as np
import pytest

from apps.music import api
from apps.music.models import Song
from tests.music.conftest import add_songs

pytestmark = pytest.mark.django_db


def _points(playlist):
    return [(s.valence, s.arousal) for s in playlist.songs]


def test_contract_of_to_dict(uniform_catalog):
    playlist = api.generate_playlist((-7.0, -6.0), (8.0, 7.0))
    data = playlist.to_dict()
    assert set(data) >= {"songs", "metrics", "catalog_version", "engine_version", "notes"}
    assert len(data["songs"]) == 10
    assert set(data["songs"][0]) >= {"id", "title", "artist", "valence", "arousal", "url"}
    assert data["catalog_version"] == api.catalog_version()
    assert data["engine_version"] == api.ENGINE_VERSION
    metrics = data["metrics"]
    for name in ("songs", "distance_first_to_start", "distance_last_to_target", "largest_step", "mean_step", "monotonic"):
        assert name in metrics
    assert metrics["songs"] == 10 and metrics["monotonic"] is True
    assert data["notes"] == []
    # The metrics describe the returned songs.
    pts = _points(playlist)
    assert metrics["distance_first_to_start"] == pytest.approx(math.dist(pts[0], (-7.0, -6.0)))
    assert metrics["distance_last_to_target"] == pytest.approx(math.dist(pts[-1], (8.0, 7.0)))
    assert metrics["largest_step"] == pytest.approx(max(math.dist(a, b) for a, b in zip(pts, pts[1:], strict=False)))


def test_random_pairs_through_the_database_keep_the_path_properties(uniform_catalog):
    rng = np.random.default_rng(5)
    for _ in range(40):
        start, target = tuple(rng.uniform(-10, 10, 2)), tuple(rng.uniform(-10, 10, 2))
        length = int(rng.integers(3, 51))
        playlist = api.generate_playlist(start, target, length=length)
        ids = [s.id for s in playlist.songs]
        assert len(ids) == len(set(ids)) == length
        distances = [math.dist(p, playlist.target) for p in _points(playlist)]
        assert all(b <= a for a, b in zip(distances, distances[1:], strict=False))
        artists = [s.artist for s in playlist.songs]
        assert all(a != b for a, b in zip(artists, artists[1:], strict=False))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"start": (11, 0), "target": (0, 0)}, "within -10..10"),
        ({"start": (0, 0), "target": (0, -10.5)}, "within -10..10"),
        ({"start": (float("nan"), 0), "target": (0, 0)}, "within -10..10"),
        ({"start": (0,), "target": (0, 0)}, "pair"),
        ({"start": "0,0", "target": (0, 0)}, "pair"),
        ({"start": (True, 0), "target": (0, 0)}, "pair"),
        ({"start": (0, 0), "target": (1, 1), "length": 2}, "length"),
        ({"start": (0, 0), "target": (1, 1), "length": 51}, "length"),
        ({"start": (0, 0), "target": (1, 1), "length": 5.0}, "length"),
        ({"start": (0, 0), "target": (1, 1), "seed": -1}, "seed"),
        ({"start": (0, 0), "target": (1, 1), "seed": "abc"}, "seed"),
        ({"start": (0, 0), "target": (1, 1), "exclude": ["x"]}, "list of song ids"),
        ({"start": (0, 0), "target": (1, 1), "exclude": 5}, "list of song ids"),
    ],
)
def test_bad_input_is_a_value_error_with_a_clear_message(kwargs, message):
    with pytest.raises(ValueError, match=message):
        api.generate_playlist(**kwargs)


def test_bounds_are_accepted():
    add_songs([(0, 0), (1, 1), (2, 2)])
    assert len(api.generate_playlist((-10, -10), (10, 10), length=3).songs) == 3
    assert len(api.generate_playlist((10, 10), (-10, 10), length=50).songs) == 3


def test_empty_catalog_is_a_clear_error():
    with pytest.raises(api.EmptyCatalogError, match="catalog is empty"):
        api.generate_playlist((0, 0), (5, 5))
    assert issubclass(api.EmptyCatalogError, ValueError)


def test_excluding_every_song_is_a_clear_error():
    ids = add_songs([(1, 1), (2, 2)])
    with pytest.raises(api.EmptyCatalogError, match="excluded"):
        api.generate_playlist((0, 0), (5, 5), exclude=ids)


def test_exclusions_are_honoured(uniform_catalog):
    first = api.generate_playlist((-5, -5), (5, 5))
    excluded = [s.id for s in first.songs[:4]]
    second = api.generate_playlist((-5, -5), (5, 5), exclude=excluded)
    assert not {s.id for s in second.songs} & set(excluded)
    assert len(second.songs) == 10


def test_one_song_catalog_returns_that_song_and_says_why():
    (song_id,) = add_songs([(3.0, -2.0)])
    playlist = api.generate_playlist((-9, 9), (9, -9), length=10)
    assert [s.id for s in playlist.songs] == [song_id]
    assert playlist.to_dict()["metrics"]["songs"] == 1
    assert any("only 1" in note for note in playlist.notes)


def test_points_on_the_axes_and_songs_on_the_axes():
    xs = [float(x) for x in range(-10, 11)]
    add_songs([(x, 0.0) for x in xs] + [(0.0, y) for y in xs if y != 0])
    playlist = api.generate_playlist((-10, 0), (10, 0), length=11)
    assert _points(playlist) == [(x, 0.0) for x in range(-10, 11, 2)]
    playlist = api.generate_playlist((0, -10), (0, 10), length=5)
    assert _points(playlist) == [(0.0, -10.0), (0.0, -5.0), (0.0, 0.0), (0.0, 5.0), (0.0, 10.0)]


def test_start_equal_to_target(uniform_catalog):
    playlist = api.generate_playlist((4.0, -4.0), (4.0, -4.0), length=8)
    assert len(playlist.songs) == 8
    assert all(math.dist(p, (4.0, -4.0)) < 1.5 for p in _points(playlist))
    assert any("same point" in note for note in playlist.notes)


def test_target_in_an_empty_region_goes_to_the_nearest_songs_and_says_so():
    rng = np.random.default_rng(9)
    add_songs(rng.uniform(-10, -2, size=(300, 2)).round(3).tolist())
    playlist = api.generate_playlist((-9, -9), (9, 9))
    nearest = Song.objects.order_by("id").values_list("valence", "arousal")
    best = min(math.dist(p, (9, 9)) for p in nearest)
    assert playlist.to_dict()["metrics"]["distance_last_to_target"] == pytest.approx(best)
    assert any("No songs near the target" in note for note in playlist.notes)


def test_same_inputs_same_playlist_and_seed_varies_it(uniform_catalog):
    base = api.generate_playlist((-6, 7), (6, -7), length=12, seed=1)
    from django.core.cache import cache

    cache.clear()  # recompute rather than read back the cached copy
    assert api.generate_playlist((-6, 7), (6, -7), length=12, seed=1).to_dict() == base.to_dict()
    variants = {tuple(s.id for s in api.generate_playlist((-6, 7), (6, -7), length=12, seed=seed).songs) for seed in range(6)}
    assert len(variants) > 1


def test_start_and_target_are_snapped_to_the_documented_grid(uniform_catalog):
    playlist = api.generate_playlist((1.13, -2.37), (7.6, 7.49))
    assert playlist.start == (1.25, -2.25) and playlist.target == (7.5, 7.5)
    assert api.generate_playlist((1.2, -2.3), (7.55, 7.4)).to_dict() == playlist.to_dict()


def test_one_song_per_artist_when_the_catalog_allows(uniform_catalog):
    playlist = api.generate_playlist((-9, -9), (9, 9), length=12)
    artists = [s.artist for s in playlist.songs]
    assert len(set(artists)) == len(artists)


def test_the_index_follows_catalog_changes(uniform_catalog):
    before = api.generate_playlist((-5, -5), (5.0, 5.0))
    song = Song.objects.create(title="Right on target", artist="Newcomer", valence=5.0, arousal=5.0, source="test")
    after = api.generate_playlist((-5, -5), (5.0, 5.0))
    assert after.catalog_version != before.catalog_version
    assert after.songs[-1].id == song.id
    song.delete()
    assert song.id not in {s.id for s in api.generate_playlist((-5, -5), (5.0, 5.0)).songs}


# --- the controls, through the public api ------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"waypoints": [(0, 0)] * 4}, "waypoints: at most 3"),
        ({"waypoints": [(0, 11)]}, "waypoints must lie within -10..10"),
        ({"waypoints": "0,0"}, "waypoints must be a list"),
        ({"waypoints": [(0,)]}, "waypoints must be a"),
        ({"stay": 10}, "stay must be an integer from 0 to 9"),
        ({"stay": -1}, "stay"),
        ({"stay": 1.5}, "stay"),
        ({"max_step": 0.1}, "max_step must be a number from 0.5"),
        ({"max_step": float("nan")}, "max_step"),
        ({"max_step": True}, "max_step"),
        ({"artist_cap": 0}, "artist_cap must be an integer from 1"),
        ({"artist_cap": "2"}, "artist_cap"),
    ],
)
def test_bad_controls_are_value_errors_naming_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=message):
        api.generate_playlist((0, 0), (5, 5), **kwargs)


def test_controls_shape_the_playlist_and_come_back_with_it(uniform_catalog):
    controls = {"waypoints": [(6.1, -6.05)], "stay": 2, "max_step": 4.0, "artist_cap": 1}
    playlist = api.generate_playlist((-8, -8), (0, 8), length=12, seed=7, **controls)
    data = playlist.to_dict()
    assert data["seed"] == 7
    assert data["waypoints"] == [[6.0, -6.0]]  # snapped like start and target
    assert data["pacing"] == {"stay": 2, "max_step": 4.0, "artist_cap": 1}
    points = _points(playlist)
    assert len(points) == 12 and len({s.id for s in playlist.songs}) == 12
    assert min(math.dist(p, (6.0, -6.0)) for p in points) < 1.0  # a song at the waypoint
    assert data["metrics"]["largest_step"] <= 4.0 and data["metrics"]["monotonic"] is True
    assert data["metrics"]["step_spread"] >= 0
    assert len({s.artist for s in playlist.songs}) == 12
    # Cached and recomputed alike, and told apart from the plain request in the cache.
    assert api.generate_playlist((-8, -8), (0, 8), length=12, seed=7, **controls) == playlist
    assert api.generate_playlist((-8, -8), (0, 8), length=12, seed=7).to_dict()["waypoints"] == []


def test_the_default_stay_grows_with_the_length_within_the_documented_bounds():
    assert api.default_stay(3) == 1
    assert all(1 <= api.default_stay(n) <= 3 for n in range(api.MIN_LENGTH, api.MAX_LENGTH + 1))
    for n in range(api.MIN_LENGTH, api.MAX_LENGTH + 1):
        k = api.default_stay(n)
        assert k == 1 or (n - 1) / (n - k) <= 1.25


def test_another_path_differs_from_the_best_and_its_seed_reproduces_it(uniform_catalog):
    best = api.generate_playlist((-6, 2), (7, -3), length=12, stay=2)
    for seed in (0, 1, 2**53 - 1):  # the last one wraps around to the next seeds
        other = api.another_path((-6, 2), (7, -3), seed, length=12, stay=2)
        assert [s.id for s in other.songs] != [s.id for s in best.songs]
        assert other.seed is not None
        again = api.another_path((-6, 2), (7, -3), other.seed, length=12, stay=2)
        assert again.to_dict() == other.to_dict()
