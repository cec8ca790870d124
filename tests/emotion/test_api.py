"""The public contract of apps.emotion.api, against the real shipped model."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from apps.emotion import api

JOYFUL = "Today was wonderful! I got the job, my friends threw me a party and I can't stop smiling."
GRIEVING = "My grandmother died last night. I miss her so much and I can't stop crying."


def test_prediction_contract():
    prediction = api.predict("I am so happy to see you again!")
    data = prediction.to_dict()
    assert set(data) == {
        "probabilities", "top_emotion", "emotions", "others", "valence", "arousal", "model_version", "truncated"
    }
    assert list(data["probabilities"]) == list(api.EMOTIONS)
    assert sum(data["probabilities"].values()) == pytest.approx(1.0, abs=1e-9)
    assert all(0.0 <= p <= 1.0 for p in data["probabilities"].values())
    assert data["top_emotion"] == max(data["probabilities"], key=data["probabilities"].get)
    shown = [item["probability"] for item in data["emotions"]]
    assert shown == sorted(shown, reverse=True) and all(p >= 0.05 for p in shown)
    assert data["emotions"][0]["label"] == data["top_emotion"]
    assert data["others"] == pytest.approx(1.0 - sum(shown), abs=1e-9)
    assert -10.0 <= data["valence"] <= 10.0 and -10.0 <= data["arousal"] <= 10.0
    assert data["model_version"] == api.model_version()
    assert data["truncated"] is False
    json.dumps(data)  # JSON-serialisable as is


def test_predictions_are_deterministic():
    first = api.predict(JOYFUL).to_dict()
    from django.core.cache import cache

    cache.clear()  # the second prediction runs the model again
    assert api.predict(JOYFUL).to_dict() == first


def test_joyful_and_grieving_texts_land_in_opposite_halves():
    joyful, grieving = api.predict_many([JOYFUL, GRIEVING])
    assert joyful.valence > 0 > grieving.valence
    assert joyful.top_emotion in {"happiness", "fun", "love", "enthusiasm", "relief", "surprise"}
    assert grieving.top_emotion in {"sadness", "worry", "empty"}


def test_predict_many_matches_predict():
    """A text's prediction does not depend on the texts it is batched with."""
    from django.core.cache import cache

    texts = ["what a lovely day", "I hate mondays", "meh", GRIEVING, "what a lovely day"]
    batch = api.predict_many(texts)
    assert batch[0] == batch[4]
    for prediction, text in zip(batch, texts, strict=True):
        cache.clear()  # compute each text alone, not from the batch's cache entries
        alone = api.predict(text)
        assert dict(prediction.probabilities) == pytest.approx(dict(alone.probabilities), abs=1e-5)
        assert prediction.valence == pytest.approx(alone.valence, abs=1e-4)
    assert api.predict_many([]) == []


@pytest.mark.parametrize("bad", ["", "   ", "\n\t  \u00a0", None, 42])
def test_bad_input_is_a_clear_value_error(bad):
    with pytest.raises(ValueError, match="(?i)text"):
        api.predict(bad)


def test_a_bad_text_in_a_batch_fails_the_batch_clearly():
    with pytest.raises(ValueError):
        api.predict_many(["fine", "  "])
    with pytest.raises(ValueError):
        api.predict_many("not a list")


@pytest.mark.parametrize(
    "text",
    ["😭😭😭💔", "我今天很开心", "Ich bin so müde und traurig", "\u200b\u0301\ufeff x", "broken \ud800 surrogate", "a" * 3000],
)
def test_odd_text_never_crashes(text):
    prediction = api.predict(text)
    assert sum(prediction.probabilities.values()) == pytest.approx(1.0, abs=1e-9)


def test_long_text_is_truncated_and_says_so():
    long_text = "I feel calm and grateful today. " * 200  # far beyond the encoder's 256 tokens
    prediction = api.predict(long_text)
    assert prediction.truncated is True
    assert api.predict("short and sweet").truncated is False


def test_target_point_is_case_insensitive_and_rejects_unknown_labels():
    assert len(api.EMOTIONS) == 13
    assert api.target_point("Happiness") == (10.0, 9.0)
    assert api.target_point(" sadness ") == (-10.0, -9.0)
    with pytest.raises(ValueError, match="anger, boredom"):
        api.target_point("ecstatic")


def test_explain_names_words_of_the_text():
    text = "I am terribly sad and lonely tonight"
    explanation = api.explain(text, top_k=3).to_dict()
    assert explanation["top_emotion"] == api.predict(text).top_emotion
    words = explanation["words"]
    assert 1 <= len(words) <= 3
    assert all(item["word"] in text.split() for item in words)
    assert [w["weight"] for w in words] == sorted((w["weight"] for w in words), reverse=True)
    assert {"sad", "lonely", "terribly"} & {item["word"] for item in words}


def test_importing_the_api_does_not_load_torch():
    code = (
        "import os, sys, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup();"
        "import apps.emotion.api as api; api.model_version(); api.target_point('love');"
        "print('torch' in sys.modules, 'transformers' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip().splitlines()[-1] == "False False"


def test_the_version_is_the_loaded_models_even_if_the_card_on_disk_changes(monkeypatch):
    from apps.emotion import artifacts

    loaded = api.predict("a calm and pleasant afternoon").model_version
    monkeypatch.setattr(artifacts, "read_card", lambda folder=None: {"version": "a-newer-card-on-disk"})
    assert api.model_version() == loaded
    assert api.predict("another calm and pleasant afternoon").model_version == loaded
