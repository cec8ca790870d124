"""Small generated training files shared by the command and golden trainer tests; both encoder paths."""

from __future__ import annotations

import csv
import random

import pytest

from apps.emotion.labels import EMOTIONS

_MODELS_BY_QUANTIZATION: dict = {}


@pytest.fixture(params=["int8", "none"])
def quantization(request, monkeypatch, settings):
    """Both encoder paths, whatever this CPU would pick (`EMOTION_QUANTIZATION`): a machine with VNNI runs
    the card's int8, one without runs float32, and the shipped model's behaviour must hold on either.
    This process's model is swapped for one loaded with that path (each loaded once per session)."""
    from apps.emotion import loading

    settings.EMOTION_QUANTIZATION = request.param
    if request.param not in _MODELS_BY_QUANTIZATION:
        monkeypatch.setattr(loading, "_model", None)
        _MODELS_BY_QUANTIZATION[request.param] = loading.get_model()
    monkeypatch.setattr(loading, "_model", _MODELS_BY_QUANTIZATION[request.param])
    return request.param

WORDS = {
    "anger": "furious rage angry",
    "boredom": "bored dull nothing",
    "empty": "empty hollow numb",
    "enthusiasm": "excited eager pumped",
    "fun": "fun laughing party",
    "happiness": "happy glad sunny",
    "hate": "hate despise loathe",
    "love": "love adore darling",
    "neutral": "table report tuesday",
    "relief": "relieved finally phew",
    "sadness": "sad crying tears",
    "surprise": "wow unexpected shocked",
    "worry": "worried anxious nervous",
}


def write_small_files(folder, rows_per_label: int = 4):
    """An emotion CSV (rows_per_label per label, plus two bad rows) and an EmoBank CSV (24 rows, one bad)."""
    rng = random.Random(7)
    emotion_csv = folder / "emotions.csv"
    with open(emotion_csv, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["tweet_id", "sentiment", "content"])
        for label in EMOTIONS:
            for i in range(rows_per_label):
                words = WORDS[label].split()
                writer.writerow([f"{label}{i}", label, f"so {rng.choice(words)}, really {rng.choice(words)} today"])
        writer.writerow(["bad1", "joy", "not one of the 13 labels"])
        writer.writerow(["bad2", "sadness", "   "])
    emobank_csv = folder / "emobank.csv"
    with open(emobank_csv, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "split", "V", "A", "D", "text"])
        for i in range(24):
            valence = 1.5 + (i % 7) * 0.5
            writer.writerow([f"e{i}", "dev" if i % 4 == 0 else "train", valence, 3.0 + (i % 3) * 0.4, 3.0,
                             f"sentence {i} feels {'great' if valence > 3 else 'awful'}"])
        writer.writerow(["bad", "train", "not a number", 3, 3, "skipped"])
    return emotion_csv, emobank_csv


GOEMOTIONS_LABELS = ["admiration", "anger", "annoyance", "fear", "neutral"]


def write_small_goemotions(folder):
    """A GoEmotions-format folder: 60 train and 30 dev comments (a third labelled "admiration", which maps
    onto none of the 13), plus three bad train rows; a quoted comment holds a tab and a newline."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "labels.txt").write_text("\n".join(GOEMOTIONS_LABELS) + "\n", encoding="utf-8")
    samples = [("so furious and annoyed", "1,2"), ("I am scared, really afraid", "3"), ("what a great player", "0")]
    for name, count in (("train", 20), ("dev", 10)):
        with open(folder / f"{name}.tsv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, delimiter="\t")
            for i in range(count):
                for j, (text, labels) in enumerate(samples):
                    writer.writerow([f"{text} {i}" if i else f"{text}\twith a tab\nand a newline", labels, f"{name}{i}{j}"])
            if name == "train":
                writer.writerows([["", "4", "x1"], ["unknown label id", "27", "x2"], ["not a number", "joy", "x3"]])
    return folder


@pytest.fixture
def small_files(tmp_path):
    return write_small_files(tmp_path)
