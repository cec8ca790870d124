"""The public result types of the emotion app (frozen, JSON-serialisable through `to_dict`)."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from apps.emotion.labels import EMOTIONS

SHOWN_THRESHOLD = 0.05  # emotions below 5 % are summed into "others", as the original showed them


@dataclass(frozen=True)
class Prediction:
    probabilities: MappingProxyType  # label -> probability, all 13 labels, summing to 1
    valence: float  # the start point on the -10..10 plane
    arousal: float
    model_version: str
    truncated: bool = False

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
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Prediction:
        return cls.build(
            data["probabilities"],
            valence=float(data["valence"]),
            arousal=float(data["arousal"]),
            model_version=str(data["model_version"]),
            truncated=bool(data.get("truncated", False)),
        )


@dataclass(frozen=True)
class WordInfluence:
    word: str
    position: int  # index among the text's whitespace-separated words
    weight: float  # how much removing the word lowers the top emotion's probability (negative: it held it back)
    valence_shift: float  # how much the word moves the start point's valence

    def to_dict(self) -> dict[str, Any]:
        return {"word": self.word, "position": self.position, "weight": self.weight, "valence_shift": self.valence_shift}


@dataclass(frozen=True)
class Explanation:
    prediction: Prediction
    words: tuple[WordInfluence, ...]  # strongest push toward the top emotion first
    method: str = "leave-one-word-out occlusion"

    def to_dict(self) -> dict[str, Any]:
        return {
            "top_emotion": self.prediction.top_emotion,
            "model_version": self.prediction.model_version,
            "method": self.method,
            "words": [word.to_dict() for word in self.words],
            "prediction": self.prediction.to_dict(),
        }
