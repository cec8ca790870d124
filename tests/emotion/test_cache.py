"""The prediction cache: a hit skips the model, an outage only misses."""

from __future__ import annotations

import pytest
from django.test import override_settings
from prometheus_client import REGISTRY

from apps.emotion import api, services
from tests.helpers import DEAD_REDIS_CACHES


@pytest.fixture
def model_runs(monkeypatch):
    """The texts that reach the real model, one list per batched pass (a spy: the real pass still runs).

    A prediction with words runs the text and its occluded variants in one pass: the text comes first."""
    seen: list[list[str]] = []
    real = services.run_model

    def spy(texts):
        seen.append(list(texts))
        return real(texts)

    monkeypatch.setattr(services, "run_model", spy)
    return seen


def cache_count(result: str) -> float:
    return REGISTRY.get_sample_value("spg_prediction_cache_total", {"result": result}) or 0.0


def test_second_prediction_comes_from_the_cache(model_runs):
    hits, misses = cache_count("hit"), cache_count("miss")
    first = api.predict("Sunday mornings make me so happy")
    second = api.predict("  Sunday   mornings make me so happy ")  # same text once normalised
    assert [run[0] for run in model_runs] == ["Sunday mornings make me so happy"]
    assert "Sunday make me so happy" in model_runs[0]  # the variant without "mornings" explains the reading
    assert second == first
    assert cache_count("miss") == misses + 1
    assert cache_count("hit") == hits + 1


def test_predict_many_runs_only_the_uncached_texts(model_runs):
    api.predict("already here")
    results = api.predict_many(["already here", "brand new", "brand new"])
    assert [run[0] for run in model_runs] == ["already here", "brand new"]
    assert model_runs[1] == ["brand new"]  # no words asked: one plain pass over the uncached text
    assert results[1] == results[2]


def test_cache_key_includes_the_model_version():
    assert services.cache_key("same text", "v1") != services.cache_key("same text", "v2")
    assert api.model_version() in services.cache_key("same text", api.model_version())


def test_a_redis_outage_still_predicts(model_runs):
    expected = api.predict("I am worried about tomorrow").to_dict()
    with override_settings(CACHES=DEAD_REDIS_CACHES):
        first = api.predict("I am worried about tomorrow")
        second = api.predict("I am worried about tomorrow")
    assert dict(first.probabilities) == pytest.approx(expected["probabilities"], abs=1e-9)
    assert second.to_dict() == first.to_dict()
    assert len(model_runs) == 3  # nothing could be cached during the outage
