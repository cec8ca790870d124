"""Public interface of the emotion app. Other apps import only this module.

Importing it is cheap (no torch): the model is loaded on the first prediction or by `warm_up()`.
"""

from __future__ import annotations

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
    "target_point",
    "warm_up",
]


def predict(text: str) -> Prediction:
    """Emotion probabilities and the start point on the plane for one text (cached per model version).

    Empty or whitespace-only text raises ValueError; text beyond the encoder's 256 tokens is truncated
    and flagged with `truncated=True`.
    """
    return services.predict(text)


def predict_many(texts: list[str]) -> list[Prediction]:
    """Like `predict` for many texts, with one forward pass per batch of uncached texts."""
    return services.predict_many(texts)


def explain(text: str, top_k: int = 8) -> Explanation:
    """The words that pushed the prediction most (leave-one-word-out occlusion, one batched pass)."""
    return services.explain(text, top_k=top_k)


def model_version() -> str:
    """The version this process predicts with (the loaded model's, else the shipped card's); part of every
    cache key and stored prediction."""
    return services.model_version()


def warm_up() -> None:
    """Load the model into this process now (Celery workers call it in worker_process_init)."""
    services.warm_up()
