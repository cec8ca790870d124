"""The 13 emotions, their places on the valence–arousal plane, and the EmoBank scale mapping."""

from __future__ import annotations

EMOTIONS: tuple[str, ...] = (
    "anger",
    "boredom",
    "empty",
    "enthusiasm",
    "fun",
    "happiness",
    "hate",
    "love",
    "neutral",
    "relief",
    "sadness",
    "surprise",
    "worry",
)

# (valence, arousal) on the -10..10 plane: the original project's table.
EMOTION_POINTS: dict[str, tuple[float, float]] = {
    "anger": (-10.0, 9.0),
    "boredom": (-3.0, -8.0),
    "empty": (-5.0, -4.0),
    "enthusiasm": (6.0, 7.0),
    "fun": (8.0, 8.0),
    "happiness": (10.0, 9.0),
    "hate": (-8.0, 7.0),
    "love": (9.0, 5.0),
    "neutral": (0.0, 0.0),
    "relief": (8.0, -8.0),
    "sadness": (-10.0, -9.0),
    "surprise": (2.0, 8.0),
    "worry": (-1.0, -7.0),
}

PLANE_LIMIT = 10.0
EMOBANK_MIDPOINT = 3.0
EMOBANK_TO_PLANE = 5.0  # EmoBank's 1..5 scale maps linearly onto -10..10: plane = (score - 3) * 5


def target_point(label: str) -> tuple[float, float]:
    """The plane point of an emotion label (case-insensitive)."""
    key = label.strip().lower() if isinstance(label, str) else ""
    if key not in EMOTION_POINTS:
        raise ValueError(f"Unknown emotion {label!r}; valid labels are: {', '.join(EMOTIONS)}.")
    return EMOTION_POINTS[key]


def emobank_to_plane(score: float) -> float:
    """Map an EmoBank rating (1..5) onto the plane's -10..10."""
    return (score - EMOBANK_MIDPOINT) * EMOBANK_TO_PLANE


def clip_to_plane(value: float) -> float:
    return max(-PLANE_LIMIT, min(PLANE_LIMIT, value))
