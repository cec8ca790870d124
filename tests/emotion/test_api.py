"""The public contract of apps.emotion.api, against the real shipped model."""

from __future__ import annotations

import json

import pytest

from apps.emotion import api
from tests.emotion.fresh_process import last_line_printed

JOYFUL = "Today was wonderful! I got the job, my friends threw me a party and I can't stop smiling."
GRIEVING = "My grandmother died last night. I miss her so much and I can't stop crying."


def test_prediction_contract():
    prediction = api.predict("I am so happy to see you again!")
    data = prediction.to_dict()
    assert set(data) == {
        "probabilities", "top_emotion", "emotions", "others", "valence", "arousal", "model_version", "truncated",
        "confidence", "unsure", "halo_radius", "words", "explanation_method",
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


@pytest.mark.parametrize(
    ("text", "leading", "named"),
    [
        ("I am furious", {"furious"}, {"furious"}),
        ("My landlord kept the whole deposit and I am furious.", {"furious"}, {"furious"}),
        # The sentence names both its anger words on both paths. Which word leads is not the
        # emotion word's alone: int8 leads with "scream" (0.099; "furious" 0.095, "kept" 0.089), float32
        # with "kept" (0.097; "scream" 0.087, "furious" 0.063): the grievance itself moves the reading.
        ("My landlord kept the whole deposit. I am furious, I could scream.", None, {"furious", "scream"}),
        ("I have an exam tomorrow and I am so worried.", {"worried"}, {"worried"}),
        ("I miss her so much, I feel so sad tonight", {"sad"}, {"sad"}),
        ("We won the final and I am so happy!", {"happy"}, {"happy"}),
    ],
)
def test_the_words_that_moved_the_reading_are_its_emotion_words(quantization, text, leading, named):
    words = api.predict(text).words
    assert api.quantization() == quantization
    assert words, "a reading with words always names at least one"
    if leading is not None:
        assert words[0].word in leading
    assert named <= {item.word for item in words}
    split = text.split(" ")
    for item in words:  # each names the text's own words at its position, strongest first
        assert item.word in " ".join(split[item.position : item.position + item.span])
    assert [item.weight for item in words] == sorted((item.weight for item in words), reverse=True)
    assert all(item.weight >= 0.01 for item in words) and len(words) <= 5


def test_explanations_are_stable():
    from django.core.cache import cache

    text = "The exam went badly and now I am worried about everything"
    first = api.predict(text).to_dict()["words"]
    cache.clear()
    assert api.predict(text).to_dict()["words"] == first  # same text, same words, from a fresh pass
    assert api.predict(text).to_dict()["words"] == first  # and from the cache


def test_the_cache_keeps_positions_not_words():
    from django.core.cache import cache

    from apps.emotion import services

    text = "so furious about the cancelled flight"
    prediction = api.predict(text)
    entry = cache.get(services.cache_key(services.normalise(text), api.model_version()))
    assert entry is not None and entry["words"]
    assert "furious" not in json.dumps(entry) and "flight" not in json.dumps(entry)
    assert api.predict(text) == prediction  # rebuilt from the cache with its words


def test_a_long_text_is_explained_in_runs_of_words():
    text = " ".join(["the weather report said rain again today"] * 10) + " and I am furious"
    words = api.predict(text).words
    assert len(text.split(" ")) > 24 and any(item.span > 1 for item in words)


def test_how_sure_follows_the_halo():
    from apps.emotion.confidence import UNSURE_BELOW, confidence_of, halo_radius

    for text in ("I am so happy to see you again!", "ok", "whatever happens happens"):
        prediction = api.predict(text)
        radius = halo_radius(prediction.probabilities, (prediction.valence, prediction.arousal))
        assert prediction.halo_radius == pytest.approx(radius)
        assert prediction.confidence == pytest.approx(confidence_of(radius))
        assert 0.0 <= prediction.confidence <= 1.0
        assert prediction.unsure is (prediction.confidence < UNSURE_BELOW)
    assert confidence_of(0.0) == 1.0 and confidence_of(100.0) == 0.0


def test_predict_many_finds_words_only_when_asked():
    plain, explained = api.predict_many(["a quiet sad evening"]), api.predict_many(["a quiet sad evening"], with_words=True)
    assert plain[0].words is None and explained[0].words
    assert api.predict("a quiet sad evening", with_words=False).words is not None  # the cache now has them


def test_the_words_follow_the_setting_when_not_asked_for(settings):
    settings.EMOTION_EXPLAIN_WORDS = False
    plain = api.predict("a grey and lonely sunday")
    assert plain.words is None
    assert plain.to_dict()["words"] == [] and plain.to_dict()["explanation_method"] is None  # the page then shows none
    settings.EMOTION_EXPLAIN_WORDS = True
    explained = api.predict("a grey and lonely sunday")  # the cached reading has no words: found now
    assert explained.words and explained.to_dict()["explanation_method"]
    assert explained.top_emotion == plain.top_emotion


def test_importing_the_api_does_not_load_torch():
    statements = (
        "import apps.emotion.api as api; api.model_version(); api.target_point('love');"
        "print('torch' in sys.modules, 'transformers' in sys.modules)"
    )
    assert last_line_printed(statements) == "False False"


def test_the_version_is_the_loaded_models_even_if_the_card_on_disk_changes(monkeypatch):
    from apps.emotion import artifacts

    loaded = api.predict("a calm and pleasant afternoon").model_version
    monkeypatch.setattr(artifacts, "read_card", lambda folder=None: {"version": "a-newer-card-on-disk"})
    assert api.model_version() == loaded
    assert api.predict("another calm and pleasant afternoon").model_version == loaded
