"""The playlist cache: hits return the identical playlist, the key follows the catalog, outages are harmless."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import override_settings
from prometheus_client import REGISTRY

from apps.music import api
from apps.music.models import Song
from tests.helpers import DEAD_REDIS_CACHES

pytestmark = pytest.mark.django_db


def _cache_count(result: str) -> float:
    return REGISTRY.get_sample_value("spg_playlist_cache_total", {"result": result}) or 0.0


def test_a_hit_returns_the_identical_playlist_and_is_counted(uniform_catalog):
    hits, misses = _cache_count("hit"), _cache_count("miss")
    first = api.generate_playlist((-3.0, 4.0), (6.0, -2.0), length=9, seed=4)
    assert (_cache_count("hit"), _cache_count("miss")) == (hits, misses + 1)
    second = api.generate_playlist((-3.0, 4.0), (6.0, -2.0), length=9, seed=4)
    assert (_cache_count("hit"), _cache_count("miss")) == (hits + 1, misses + 1)
    assert second == first and second.to_dict() == first.to_dict()


def test_the_hit_really_comes_from_the_cache(uniform_catalog):
    first = api.generate_playlist((0.0, 0.0), (5.0, 5.0))
    keys = list(cache.iter_keys("music:playlist:*"))
    assert len(keys) == 1
    stored = cache.get(keys[0])
    stored["notes"] = ["served from the cache"]
    cache.set(keys[0], stored)
    again = api.generate_playlist((0.0, 0.0), (5.0, 5.0))
    assert again.notes == ("served from the cache",)
    assert [s.id for s in again.songs] == [s.id for s in first.songs]


def test_the_key_holds_length_seed_exclusions_and_catalog_version(uniform_catalog):
    api.generate_playlist((0.0, 0.0), (5.0, 5.0))
    api.generate_playlist((0.0, 0.0), (5.0, 5.0), length=11)
    api.generate_playlist((0.0, 0.0), (5.0, 5.0), seed=3)
    api.generate_playlist((0.0, 0.0), (5.0, 5.0), exclude=[1])
    assert len(list(cache.iter_keys("music:playlist:*"))) == 4
    misses = _cache_count("miss")
    Song.objects.order_by("id").first().save()  # an edit bumps the version
    playlist = api.generate_playlist((0.0, 0.0), (5.0, 5.0))
    assert _cache_count("miss") == misses + 1
    assert playlist.catalog_version == api.catalog_version()


def test_malformed_cache_entries_are_ignored(uniform_catalog):
    api.generate_playlist((1.0, 1.0), (-5.0, 5.0))
    (key,) = list(cache.iter_keys("music:playlist:*"))
    cache.set(key, {"songs": "garbage"})
    playlist = api.generate_playlist((1.0, 1.0), (-5.0, 5.0))
    assert len(playlist.songs) == 10




def test_generation_works_while_the_cache_is_down(uniform_catalog):
    expected = api.generate_playlist((-2.0, -8.0), (8.0, 3.0)).to_dict()
    with override_settings(CACHES=DEAD_REDIS_CACHES):
        from django.core.cache import cache as dead_cache

        assert dead_cache.set("probe", 1) is None  # really unreachable (a live Redis answers True), and swallowed
        misses = _cache_count("miss")
        assert api.generate_playlist((-2.0, -8.0), (8.0, 3.0)).to_dict() == expected
        assert api.generate_playlist((-2.0, -8.0), (8.0, 3.0)).to_dict() == expected
        assert _cache_count("miss") == misses + 2


def test_generation_works_even_when_the_cache_raises(uniform_catalog):
    raising = {"default": {**DEAD_REDIS_CACHES["default"], "OPTIONS": {**DEAD_REDIS_CACHES["default"]["OPTIONS"], "IGNORE_EXCEPTIONS": False}}}
    with override_settings(CACHES=raising):
        assert len(api.generate_playlist((-2.0, -8.0), (8.0, 3.0)).songs) == 10
