"""Reading the training files: a real CSV reader, bad rows skipped and counted, never a crash."""

from __future__ import annotations

import csv
import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from apps.emotion.labels import EMOTIONS, emobank_to_plane

TEXT_COLUMNS = ("content", "text")
LABEL_COLUMNS = ("sentiment", "label", "emotion")


@dataclass
class EmotionData:
    texts: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    skipped: int = 0


@dataclass
class EmobankData:
    texts: list[str] = field(default_factory=list)
    valence: list[float] = field(default_factory=list)  # on the plane, -10..10
    arousal: list[float] = field(default_factory=list)
    splits: list[str] = field(default_factory=list)
    skipped: int = 0


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _rows(path: str | Path):
    # errors="replace": broken encodings become U+FFFD instead of aborting the whole file.
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            raise ValueError(f"{path}: empty file or no header row.")
        yield from reader


def _column(row: dict, names: tuple[str, ...]) -> str:
    for name in names:
        value = row.get(name)
        if value is not None:
            return value
    return ""


def load_emotion_csv(path: str | Path) -> EmotionData:
    """Tweets labelled with one of the 13 emotions (columns content/text and sentiment/label)."""
    data = EmotionData()
    index = {label: i for i, label in enumerate(EMOTIONS)}
    for row in _rows(path):
        text = _column(row, TEXT_COLUMNS).strip()
        label = _column(row, LABEL_COLUMNS).strip().lower()
        if not text or label not in index:
            data.skipped += 1
            continue
        data.texts.append(text)
        data.labels.append(index[label])
    if not data.texts:
        raise ValueError(f"{path}: no usable rows (need text and one of the 13 emotion labels).")
    return data


def _score(value: str | None) -> float | None:
    try:
        score = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return score if math.isfinite(score) and 1.0 <= score <= 5.0 else None


def load_emobank_csv(path: str | Path) -> EmobankData:
    """EmoBank-format sentences with V and A on 1..5 (mapped onto -10..10) and an optional split column."""
    data = EmobankData()
    for row in _rows(path):
        text = (row.get("text") or "").strip()
        valence, arousal = _score(row.get("V")), _score(row.get("A"))
        if not text or valence is None or arousal is None:
            data.skipped += 1
            continue
        data.texts.append(text)
        data.valence.append(emobank_to_plane(valence))
        data.arousal.append(emobank_to_plane(arousal))
        data.splits.append((row.get("split") or "").strip().lower())
    if not data.texts:
        raise ValueError(f"{path}: no usable rows (need text, V and A in 1..5).")
    return data


def stratified_split(labels: list[int], holdout: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, held out): the same fraction of every class is held out, reproducibly."""
    rng = np.random.default_rng(seed)
    labels_array = np.asarray(labels)
    train, held = [], []
    for label in np.unique(labels_array):
        members = rng.permutation(np.flatnonzero(labels_array == label))
        count = int(round(len(members) * holdout)) if len(members) > 1 else 0
        held.extend(members[:count])
        train.extend(members[count:])
    return np.sort(np.asarray(train, dtype=int)), np.sort(np.asarray(held, dtype=int))


def emobank_split(data: EmobankData, holdout: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """EmoBank's own dev split when the file has one, else a seeded random holdout."""
    splits = np.asarray(data.splits)
    if (splits == "dev").any() and (splits != "dev").any():
        return np.flatnonzero(splits != "dev"), np.flatnonzero(splits == "dev")
    order = np.random.default_rng(seed).permutation(len(data.texts))
    count = int(round(len(order) * holdout)) if len(order) > 1 else 0
    return np.sort(order[count:]), np.sort(order[:count])


@dataclass(frozen=True)
class TrainingSplits:
    """Both files read, and their rows split: emotions into train / tuning / held out, EmoBank into
    train / held out (index arrays into `tweets` and `bank`)."""

    tweets: EmotionData
    bank: EmobankData
    tweet_labels: np.ndarray  # int64, one per emotion row
    tweet_train: np.ndarray
    tweet_tune: np.ndarray
    tweet_held: np.ndarray
    bank_train: np.ndarray
    bank_held: np.ndarray
    bank_targets: np.ndarray  # float32 (rows, 2): valence, arousal

    def summary(self) -> str:
        return (
            f"emotion rows: {len(self.tweet_labels)} ({self.tweets.skipped} skipped), train {len(self.tweet_train)}, "
            f"tuning {len(self.tweet_tune)}, held out {len(self.tweet_held)}; EmoBank rows: {len(self.bank_targets)} "
            f"({self.bank.skipped} skipped), train {len(self.bank_train)}, held out {len(self.bank_held)}"
        )


def split_training_data(emotion_csv: str | Path, emobank_csv: str | Path, holdout: float, tune: float, seed: int) -> TrainingSplits:
    """Read both files and split them reproducibly; a tuning share of the emotion training rows is kept back."""
    tweets = load_emotion_csv(emotion_csv)
    bank = load_emobank_csv(emobank_csv)
    tweet_labels = np.asarray(tweets.labels, dtype=np.int64)
    tweet_train, tweet_held = stratified_split(tweets.labels, holdout, seed)
    bank_train, bank_held = emobank_split(bank, holdout, seed)
    tweet_tune = np.asarray([], dtype=int)
    if tune > 0:
        fit_part, tune_part = stratified_split(tweet_labels[tweet_train].tolist(), tune, seed)
        tweet_train, tweet_tune = tweet_train[fit_part], tweet_train[tune_part]
    if not len(tweet_held):
        raise ValueError("Too few emotion rows to hold any out for validation: add rows or raise --holdout.")
    bank_targets = np.stack([bank.valence, bank.arousal], axis=1).astype(np.float32)
    return TrainingSplits(tweets, bank, tweet_labels, tweet_train, tweet_tune, tweet_held, bank_train, bank_held, bank_targets)
