"""Prediction with a cache in front of the model. torch is imported only when the model runs."""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata

from django.core.cache import cache

from apps.emotion import artifacts, loading
from apps.emotion.metrics import MODEL_INFERENCE_SECONDS, PREDICTION_CACHE
from apps.emotion.results import Explanation, Prediction, WordInfluence

CACHE_PREFIX = "emotion:prediction"
EXPLAIN_MAX_WORDS = 64
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


def cache_key(normalised_text: str, version: str) -> str:
    digest = hashlib.sha256(normalised_text.encode("utf-8")).hexdigest()
    return f"{CACHE_PREFIX}:{version}:{digest}"


def run_model(texts: list[str]) -> list[Prediction]:
    """One batched pass of the loaded model over already-normalised texts (no cache)."""
    model = loading.get_model()  # imports torch: deferred until a prediction is needed
    started = time.perf_counter()
    outputs = model.infer(texts)
    MODEL_INFERENCE_SECONDS.observe(time.perf_counter() - started)
    return [
        Prediction.build(
            dict(zip(model.card["labels"], out.probabilities, strict=True)),
            valence=out.start_point[0],
            arousal=out.start_point[1],
            model_version=model.version,
            truncated=out.truncated,
        )
        for out in outputs
    ]


def predict_many(texts: list[str]) -> list[Prediction]:
    """Predictions for many texts: cached ones from the cache, the rest in one batched model pass."""
    if isinstance(texts, str) or not isinstance(texts, list | tuple):
        raise ValueError("Texts must be a list of strings.")
    normalised = [normalise(text) for text in texts]
    if not normalised:
        return []
    version = model_version()
    keys = [cache_key(text, version) for text in normalised]
    cached = cache.get_many(list(dict.fromkeys(keys)))  # an outage returns {} (IGNORE_EXCEPTIONS)
    results: dict[str, Prediction] = {}
    for key in keys:
        if key in results:
            continue
        if key in cached:
            try:
                results[key] = Prediction.from_dict(cached[key])
                PREDICTION_CACHE.labels(result="hit").inc()
                continue
            except (KeyError, TypeError, ValueError):
                pass  # a malformed entry is treated as a miss and overwritten
    missing = list(dict.fromkeys(key for key in keys if key not in results))
    if missing:
        PREDICTION_CACHE.labels(result="miss").inc(len(missing))
        texts_by_key = dict(zip(keys, normalised, strict=True))
        computed = run_model([texts_by_key[key] for key in missing])
        fresh = dict(zip(missing, computed, strict=True))
        results.update(fresh)
        cache.set_many({key: prediction.to_dict() for key, prediction in fresh.items()})
    return [results[key] for key in keys]


def predict(text: str) -> Prediction:
    return predict_many([text])[0]


def explain(text: str, top_k: int = 8) -> Explanation:
    """Leave-one-word-out occlusion in one batched pass: which words pushed the top emotion most."""
    normalised = normalise(text)
    words = normalised.split(" ")[:EXPLAIN_MAX_WORDS]
    variants = [" ".join(words[:i] + words[i + 1 :]) for i in range(len(words))] if len(words) > 1 else []
    full, *occluded = run_model([normalised, *variants])
    top = full.top_emotion
    influences = [
        WordInfluence(
            word=word,
            position=i,
            weight=full.probabilities[top] - without.probabilities[top],
            valence_shift=full.valence - without.valence,
        )
        for i, (word, without) in enumerate(zip(words, occluded, strict=False))
    ]
    influences.sort(key=lambda item: (-item.weight, item.position))
    return Explanation(prediction=full, words=tuple(influences[: max(0, top_k)]))


def warm_up() -> None:
    """Load the model now (and run one tiny pass, so the first request pays no lazy-init cost)."""
    loading.get_model().infer(["warm up"])
