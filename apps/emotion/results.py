"""The public result types of the emotion app (frozen, JSON-serialisable through `to_dict`)."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from apps.emotion.confidence import UNSURE_BELOW
from apps.emotion.labels import EMOTIONS

SHOWN_THRESHOLD = 0.05  # emotions below 5 % are summed into "others", as the original showed them
EXPLANATION_METHOD = "leave-one-word-out occlusion"


@dataclass(frozen=True)
class WordInfluence:
    word: str  # as written, without surrounding punctuation ("" where the cache omitted it)
    position: int  # index of its first word among the text's whitespace-separated words
    weight: float  # how much removing it lowers the top emotion's probability (negative: it held it back)
    valence_shift: float  # how much it moves the start point's valence
    span: int = 1  # how many words it covers (long texts are occluded in runs of words)

    def to_dict(self) -> dict[str, Any]:
        return {
            "word": self.word,
            "position": self.position,
            "span": self.span,
            "weight": self.weight,
            "valence_shift": self.valence_shift,
        }

    def to_cache(self) -> list:
        """Without the word itself: the cache keeps no text, the position finds it again."""
        return [self.position, self.span, self.weight, self.valence_shift]


def words_of(text: str) -> list[str]:
    """The whitespace-separated words of a normalised text (what `position` counts)."""
    return text.split(" ")


def display_word(words: list[str], position: int, span: int) -> str:
    shown = " ".join(words[position : position + span])
    return shown.strip(".,;:!?\"'()[]{}“”‘’«»…-—–*_~") or shown


@dataclass(frozen=True)
class Prediction:
    probabilities: MappingProxyType  # label -> probability, all 13 labels, summing to 1
    valence: float  # the start point on the -10..10 plane
    arousal: float
    model_version: str
    truncated: bool = False
    halo_radius: float = 0.0  # plane units: where the start point likely lies (see `confidence`)
    confidence: float = 1.0  # 0..1, from the halo radius
    words: tuple[WordInfluence, ...] | None = None  # the words that moved the reading; None: not computed

    @property
    def unsure(self) -> bool:
        return self.confidence < UNSURE_BELOW

    @classmethod
    def build(cls, probabilities: dict[str, float], **fields: Any) -> Prediction:
        ordered = {label: float(probabilities[label]) for label in EMOTIONS}
        return cls(probabilities=MappingProxyType(ordered), **fields)

    @property
    def top_emotion(self) -> str:
        return max(EMOTIONS, key=lambda label: self.probabilities[label])

    @property
    def emotions(self) -> list[dict[str, Any]]:
        shown = [(label, p) for label, p in self.probabilities.items() if p >= SHOWN_THRESHOLD]
        shown.sort(key=lambda item: (-item[1], item[0]))
        return [{"label": label, "probability": p} for label, p in shown]

    @property
    def others(self) -> float:
        return float(sum(p for p in self.probabilities.values() if p < SHOWN_THRESHOLD))

    def to_dict(self) -> dict[str, Any]:
        return {
            "probabilities": dict(self.probabilities),
            "top_emotion": self.top_emotion,
            "emotions": self.emotions,
            "others": self.others,
            "valence": self.valence,
            "arousal": self.arousal,
            "model_version": self.model_version,
            "truncated": self.truncated,
            "confidence": self.confidence,
            "unsure": self.unsure,
            "halo_radius": self.halo_radius,
            "words": [word.to_dict() for word in self.words or ()],
            "explanation_method": EXPLANATION_METHOD if self.words is not None else None,
        }

    def to_cache(self) -> dict[str, Any]:
        """What the prediction cache keeps: everything but the words themselves (no text in the cache)."""
        return {
            "probabilities": dict(self.probabilities),
            "valence": self.valence,
            "arousal": self.arousal,
            "model_version": self.model_version,
            "truncated": self.truncated,
            "halo_radius": self.halo_radius,
            "confidence": self.confidence,
            "words": None if self.words is None else [word.to_cache() for word in self.words],
        }

    @classmethod
    def from_cache(cls, data: dict[str, Any], text: str) -> Prediction:
        """Back from `to_cache`, the words found again in the normalised `text` the entry is keyed by."""
        words = None
        if data["words"] is not None:
            split = words_of(text)
            words = tuple(
                WordInfluence(display_word(split, int(p), int(n)), int(p), float(w), float(v), int(n))
                for p, n, w, v in data["words"]
            )
        return cls.build(
            data["probabilities"],
            valence=float(data["valence"]),
            arousal=float(data["arousal"]),
            model_version=str(data["model_version"]),
            truncated=bool(data["truncated"]),
            halo_radius=float(data["halo_radius"]),
            confidence=float(data["confidence"]),
            words=words,
        )


@dataclass(frozen=True)
class Explanation:
    prediction: Prediction
    words: tuple[WordInfluence, ...]  # strongest push toward the top emotion first
    method: str = EXPLANATION_METHOD

    def to_dict(self) -> dict[str, Any]:
        return {
            "top_emotion": self.prediction.top_emotion,
            "model_version": self.prediction.model_version,
            "method": self.method,
            "words": [word.to_dict() for word in self.words],
            "prediction": self.prediction.to_dict(),
        }
