"""Public interface of the emotion app. Other apps import only this module.

Importing it is cheap (no torch): the model is loaded on the first prediction or by `warm_up()`.
"""

from __future__ import annotations

from django.conf import settings

from apps.emotion import services
from apps.emotion.labels import EMOTIONS, target_point
from apps.emotion.results import Explanation, Prediction, WordInfluence

__all__ = [
    "EMOTIONS",
    "Explanation",
    "Prediction",
    "WordInfluence",
    "explain",
    "model_version",
    "predict",
    "predict_many",
    "quantization",
    "target_point",
    "warm_up",
]


def predict(text: str, with_words: bool | None = None) -> Prediction:
    """Emotion probabilities, the start point on the plane, how sure it is (`confidence`, `halo_radius`,
    `unsure`) and the words that moved the reading (`words`), for one text; cached per model version.

    `with_words` defaults to the `EMOTION_EXPLAIN_WORDS` setting (on): finding the words is most of a
    cache-cold prediction's CPU, so a deployment short of CPU may switch it off (`words` is then None).

    Empty or whitespace-only text raises ValueError; text beyond the encoder's 256 tokens is truncated
    and flagged with `truncated=True`.
    """
    if with_words is None:
        with_words = settings.EMOTION_EXPLAIN_WORDS
    return services.predict(text, with_words=with_words)


def predict_many(texts: list[str], with_words: bool = False) -> list[Prediction]:
    """Like `predict` for many texts, with one forward pass per batch of uncached texts (and, with
    `with_words`, one more per uncached text to find its words)."""
    return services.predict_many(texts, with_words=with_words)


def explain(text: str, top_k: int = 8) -> Explanation:
    """Every word's influence on the top emotion, strongest first (leave-one-word-out occlusion, one
    batched pass; a text of more than 24 words is occluded in runs of neighbouring words)."""
    return services.explain(text, top_k=top_k)


def model_version() -> str:
    """The version this process predicts with (the loaded model's, else the shipped card's); part of every
    cache key and stored prediction."""
    return services.model_version()


def quantization() -> str | None:
    """How this process's loaded model runs its encoder: "int8" or "none" (float32); None before it loads.
    The card's int8 runs only on CPUs with int8 dot-product instructions (`EMOTION_QUANTIZATION`)."""
    return services.quantization()


def warm_up() -> None:
    """Load the model into this process now (Celery workers call it in worker_process_init)."""
    services.warm_up()
