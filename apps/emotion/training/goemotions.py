"""GoEmotions (Reddit comments, 27 emotions + neutral, multi-label) as extra supervision.

Two uses, both in training: every comment trains an auxiliary 28-way multi-label head (more emotion
signal for the shared encoder layers), and the comments whose labels map soundly onto the 13 emotions
train the 13-way head alongside the tweets. The mapping and its reasons are in
`apps/emotion/README.md`; a comment is mapped only when all of its labels map to the same one of the
13, so no comment is forced into a class it only half belongs to.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from apps.emotion.labels import EMOTIONS

# GoEmotions label -> one of the 13. Labels left out have no sound counterpart among the 13
# (admiration, approval, caring, confusion, curiosity, desire, disapproval, embarrassment,
# gratitude, pride, realization, remorse): a comment carrying any of them is not mapped.
GOEMOTIONS_TO_EMOTIONS: dict[str, str] = {
    "anger": "anger",
    "annoyance": "anger",
    "excitement": "enthusiasm",
    "optimism": "enthusiasm",
    "amusement": "fun",
    "joy": "happiness",
    "disgust": "hate",
    "love": "love",
    "neutral": "neutral",
    "relief": "relief",
    "sadness": "sadness",
    "grief": "sadness",
    "disappointment": "sadness",
    "surprise": "surprise",
    "fear": "worry",
    "nervousness": "worry",
}
UNMAPPED = -1


@dataclass
class GoEmotionsData:
    texts: list[str] = field(default_factory=list)
    label_sets: list[tuple[int, ...]] = field(default_factory=list)  # indexes into `names`
    mapped: list[int] = field(default_factory=list)  # index into EMOTIONS, or UNMAPPED
    names: tuple[str, ...] = ()
    skipped: int = 0

    def multi_hot(self) -> np.ndarray:
        """(rows, len(names)) float32 targets of the auxiliary multi-label head."""
        targets = np.zeros((len(self.texts), len(self.names)), dtype=np.float32)
        for row, labels in enumerate(self.label_sets):
            targets[row, list(labels)] = 1.0
        return targets


def read_label_names(folder: str | Path) -> tuple[str, ...]:
    names = tuple(line.strip() for line in (Path(folder) / "labels.txt").read_text(encoding="utf-8").splitlines())
    names = tuple(name for name in names if name)
    if not names:
        raise ValueError(f"{folder}/labels.txt lists no labels.")
    return names


def map_labels(names: tuple[str, ...], label_set: tuple[int, ...]) -> int:
    """The one emotion all of a comment's labels map to, else UNMAPPED."""
    targets = {GOEMOTIONS_TO_EMOTIONS.get(names[i]) for i in label_set}
    if len(targets) != 1 or None in targets:
        return UNMAPPED
    return EMOTIONS.index(targets.pop())


def _label_set(field_value: str, label_count: int) -> tuple[int, ...] | None:
    try:
        ids = tuple(sorted({int(part) for part in field_value.split(",") if part.strip()}))
    except ValueError:
        return None
    return ids if ids and all(0 <= i < label_count for i in ids) else None


def load_goemotions_tsv(path: str | Path, names: tuple[str, ...]) -> GoEmotionsData:
    """One split file (text, comma-separated label ids, comment id; tab-separated, no header).

    Read with a real CSV reader (quoted fields may hold tabs and newlines); a row without text or
    with an unknown label id is skipped and counted, never a crash.
    """
    data = GoEmotionsData(names=names)
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        for row in csv.reader(handle, delimiter="\t"):
            text = row[0].strip() if row else ""
            label_set = _label_set(row[1], len(names)) if len(row) > 1 else None
            if not text or label_set is None:
                data.skipped += 1
                continue
            data.texts.append(text)
            data.label_sets.append(label_set)
            data.mapped.append(map_labels(names, label_set))
    if not data.texts:
        raise ValueError(f"{path}: no usable rows (need text and label ids).")
    return data


def load_split(folder: str | Path, split: str) -> GoEmotionsData:
    """`train` or `dev` of a GoEmotions folder (train.tsv, dev.tsv, labels.txt)."""
    return load_goemotions_tsv(Path(folder) / f"{split}.tsv", read_label_names(folder))


def mapped_rows(data: GoEmotionsData) -> np.ndarray:
    return np.flatnonzero(np.asarray(data.mapped) != UNMAPPED)


def evaluate(infer, data: GoEmotionsData) -> tuple[dict, np.ndarray, list]:
    """Run `infer` (texts -> outputs with `.probabilities` in EMOTIONS order) on the mapped comments:
    (the mapped report with how many unmapped were left out, their labels, the outputs)."""
    rows = mapped_rows(data)
    outputs = infer([data.texts[i] for i in rows])
    labels = np.asarray(data.mapped, dtype=np.int64)[rows]
    report = mapped_report(labels, np.asarray([out.probabilities for out in outputs]))
    report["unmapped_skipped"] = int(len(data.texts) - len(rows))
    return report, labels, outputs


def mapped_report(labels: np.ndarray, probabilities: np.ndarray) -> dict:
    """Accuracy and recall over the 13 on mapped comments; mean and lowest recall over the classes present
    (boredom and empty have no GoEmotions counterpart, so they are absent and not averaged)."""
    from apps.emotion.training.metrics import classification_report

    report = classification_report(labels, probabilities)
    present = [label for label, scores in report["per_class"].items() if scores["support"] > 0]
    recalls = [report["per_class"][label]["recall"] for label in present]
    report["mapped_classes"] = present
    report["mean_class_recall"] = float(np.mean(recalls)) if recalls else 0.0
    report["lowest_class_recall"] = float(min(recalls)) if recalls else 0.0
    return report
