"""Prediction with a cache in front of the model. torch is imported only when the model runs."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import time
import unicodedata

from django.core.cache import cache

from apps.emotion import artifacts, loading
from apps.emotion.confidence import confidence_of, halo_radius
from apps.emotion.labels import EMOTIONS
from apps.emotion.metrics import MODEL_INFERENCE_SECONDS, PREDICTION_CACHE
from apps.emotion.results import Explanation, Prediction, WordInfluence, display_word, words_of

CACHE_PREFIX = "emotion:prediction"
EXPLAIN_MAX_UNITS = 24  # occlusion units per text: a longer text is occluded in runs of neighbouring words
EXPLAIN_TOP_WORDS = 5
EXPLAIN_MIN_WEIGHT = 0.01  # a word that moves the top emotion by less than 1 point is not highlighted
_WHITESPACE = re.compile(r"\s+")


def normalise(text: object) -> str:
    """NFC, whitespace collapsed and trimmed; empty or non-text input is a ValueError."""
    if not isinstance(text, str):
        raise ValueError(f"Text must be a string, not {type(text).__name__}.")
    # Lone surrogates (from broken decoders) cannot be encoded: replace them instead of crashing.
    cleaned = text.encode("utf-8", "replace").decode("utf-8")
    cleaned = _WHITESPACE.sub(" ", unicodedata.normalize("NFC", cleaned)).strip()
    if not cleaned:
        raise ValueError("Text is empty: write a few words about how you feel.")
    return cleaned


def model_version() -> str:
    """The version this process predicts with: the loaded model's, else the shipped card's.

    A worker keeps the model it loaded even after a new card is committed to disk, so its cache
    keys and stored predictions must carry the loaded version, not whatever the disk says now.
    """
    return loading.loaded_model_version() or str(artifacts.read_card()["version"])


def quantization() -> str | None:
    """How the loaded model runs ("int8" or "none"); None before it loads (never imports torch)."""
    return loading.loaded_quantization()


def cache_key(normalised_text: str, version: str) -> str:
    digest = hashlib.sha256(normalised_text.encode("utf-8")).hexdigest()
    return f"{CACHE_PREFIX}:{version}:{digest}"


def run_model(texts: list[str]) -> list[Prediction]:
    """One batched pass of the loaded model over already-normalised texts (no cache, no words)."""
    model = loading.get_model()  # imports torch: deferred until a prediction is needed
    started = time.perf_counter()
    outputs = model.infer(texts)
    MODEL_INFERENCE_SECONDS.observe(time.perf_counter() - started)
    predictions = []
    for out in outputs:
        probabilities = dict(zip(model.card["labels"], out.probabilities, strict=True))
        radius = halo_radius(probabilities, out.start_point)
        predictions.append(
            Prediction.build(
                probabilities,
                valence=out.start_point[0],
                arousal=out.start_point[1],
                model_version=model.version,
                truncated=out.truncated,
                halo_radius=radius,
                confidence=confidence_of(radius),
            )
        )
    return predictions


# Words people do not read as carrying a feeling: never highlighted, so not occluded either, which
# saves about a third of the pass. Negations and intensifiers ("not", "never", "so", "very") stay in.
FUNCTION_WORDS = frozenset(
    """a an the and or but if then than so that this these those there here of to in on at by for from with
    as into onto about over under after before i me my mine we us our you your he him his she her it its
    they them their is am are was were be been being do does did have has had will would shall should can
    could may might must i'm i've i'd i'll it's that's there's you're we're they're""".split()
)


def occlusion_units(words: list[str]) -> list[tuple[int, int]]:
    """(first word, words covered) per unit: every word that can carry feeling alone, up to
    EXPLAIN_MAX_UNITS of them; a longer text in runs of neighbouring words, so a text costs at most
    EXPLAIN_MAX_UNITS extra texts in the pass."""
    content = [i for i, word in enumerate(words) if display_word(words, i, 1).lower() not in FUNCTION_WORDS]
    if len(content) <= EXPLAIN_MAX_UNITS:
        return [(i, 1) for i in content]
    size = -(-len(words) // EXPLAIN_MAX_UNITS)
    return [(first, min(size, len(words) - first)) for first in range(0, len(words), size)]


def word_influences(text: str) -> tuple[Prediction, list[WordInfluence]]:
    """Leave-one-unit-out occlusion in one batched pass: the text's prediction and every unit's influence."""
    words = words_of(text)
    units = occlusion_units(words) if len(words) > 1 else []
    variants = [" ".join(words[:first] + words[first + span :]) for first, span in units]
    full, *occluded = run_model([text, *variants])
    top = full.top_emotion
    if len(words) == 1:  # one word: without it nothing is left, i.e. no preference among the 13
        only = WordInfluence(display_word(words, 0, 1), 0, full.probabilities[top] - 1 / len(EMOTIONS), full.valence)
        return full, [only]
    influences = [
        WordInfluence(
            word=display_word(words, first, span),
            position=first,
            weight=full.probabilities[top] - without.probabilities[top],
            valence_shift=full.valence - without.valence,
            span=span,
        )
        for (first, span), without in zip(units, occluded, strict=True)
    ]
    influences.sort(key=lambda item: (-item.weight, item.position))
    return full, influences


def _with_words(text: str) -> Prediction:
    """The prediction with the words that pushed its top emotion most (at most EXPLAIN_TOP_WORDS, each
    moving it by at least EXPLAIN_MIN_WEIGHT)."""
    full, influences = word_influences(text)
    shown = tuple(item for item in influences if item.weight >= EXPLAIN_MIN_WEIGHT)[:EXPLAIN_TOP_WORDS]
    return dataclasses.replace(full, words=shown)


def predict_many(texts: list[str], with_words: bool = False) -> list[Prediction]:
    """Predictions for many texts: cached ones from the cache, the rest in one batched model pass.

    `with_words` also finds the words that moved each reading (one more batched pass per text, of the
    text without each of its words); they are cached with the prediction, by position only.
    """
    if isinstance(texts, str) or not isinstance(texts, list | tuple):
        raise ValueError("Texts must be a list of strings.")
    normalised = [normalise(text) for text in texts]
    if not normalised:
        return []
    version = model_version()
    keys = [cache_key(text, version) for text in normalised]
    texts_by_key = dict(zip(keys, normalised, strict=True))
    cached = cache.get_many(list(texts_by_key))  # an outage returns {} (IGNORE_EXCEPTIONS)
    results: dict[str, Prediction] = {}
    for key, entry in cached.items():
        try:
            prediction = Prediction.from_cache(entry, texts_by_key[key])
        except (KeyError, TypeError, ValueError, IndexError):
            continue  # a malformed or older entry is treated as a miss and overwritten
        if with_words and prediction.words is None:
            continue
        results[key] = prediction
    PREDICTION_CACHE.labels(result="hit").inc(len(results))
    missing = [key for key in texts_by_key if key not in results]
    if missing:
        PREDICTION_CACHE.labels(result="miss").inc(len(missing))
        if with_words:
            fresh = {key: _with_words(texts_by_key[key]) for key in missing}
        else:
            fresh = dict(zip(missing, run_model([texts_by_key[key] for key in missing]), strict=True))
        results.update(fresh)
        cache.set_many({key: prediction.to_cache() for key, prediction in fresh.items()})
    return [results[key] for key in keys]


def predict(text: str, with_words: bool = True) -> Prediction:
    return predict_many([text], with_words=with_words)[0]


def explain(text: str, top_k: int = 8) -> Explanation:
    """Every word's influence on the top emotion (occlusion), strongest push first, `top_k` of them."""
    full, influences = word_influences(normalise(text))
    return Explanation(prediction=full, words=tuple(influences[: max(0, top_k)]))


def warm_up() -> None:
    """Load the model now (and run one tiny pass, so the first request pays no lazy-init cost)."""
    loading.get_model().infer(["warm up"])
