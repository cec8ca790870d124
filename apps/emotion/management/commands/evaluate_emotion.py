"""manage.py evaluate_emotion: metrics of a trained emotion model on a labelled file."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from apps.emotion import artifacts
from apps.emotion.training import data as training_data
from apps.emotion.training import goemotions
from apps.emotion.training.metrics import classification_report
from apps.emotion.training.trainer import point_reports

BATCH = 256


class Command(BaseCommand):
    help = "Accuracy, macro-F1, top-2, per-class P/R/F1 and confusion matrix; Pearson r on an EmoBank-format file."

    def add_arguments(self, parser):
        parser.add_argument("--data", required=True, help="emotion CSV (content, sentiment)")
        parser.add_argument("--emobank", default=None, help="EmoBank-format CSV (text, V, A)")
        parser.add_argument(
            "--goemotions",
            default=None,
            help="GoEmotions folder: its dev split (never trained on), mapped onto the 13 (see apps/emotion/README.md)",
        )
        parser.add_argument("--model-dir", default=None, help="model folder (default: the shipped model)")
        parser.add_argument(
            "--split",
            choices=("all", "held-out"),
            default="all",
            help="held-out: only the rows the model card's seed and hold-out fraction kept out of training",
        )
        parser.add_argument("--quantization", choices=("int8", "none"), default=None, help="default: the worker's choice on this CPU (the card's int8 where it has an int8 dot product)")
        parser.add_argument("--format", choices=("text", "json"), default="text")
        parser.add_argument(
            "--threads", type=int, default=None, help="torch threads (default: torch's; 1 is fastest on a busy machine)"
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        if options["threads"]:
            from apps.emotion.loading import import_torch

            import_torch().set_num_threads(options["threads"])
        from apps.emotion.emotion_model import EmotionModel

        folder = Path(options["model_dir"]).resolve() if options["model_dir"] else artifacts.model_dir()
        try:
            model = EmotionModel(folder, quantization=options["quantization"])
            emotion = training_data.load_emotion_csv(options["data"])
            bank = training_data.load_emobank_csv(options["emobank"]) if options["emobank"] else None
            go_dev = goemotions.load_split(options["goemotions"], "dev") if options["goemotions"] else None
        except (OSError, ValueError, RuntimeError) as error:
            raise CommandError(str(error)) from error
        hyper = model.card.get("training", {}).get("hyperparameters", {})
        seed, holdout = int(hyper.get("seed", 13)), float(hyper.get("holdout", 0.1))
        held_out = options["split"] == "held-out"
        run = partial(_infer, model, progress=not options["no_progress"])

        indices = training_data.stratified_split(emotion.labels, holdout, seed)[1] if held_out else np.arange(len(emotion.texts))
        outputs = run([emotion.texts[i] for i in indices], "emotion texts")
        report = {
            "model_version": model.version,
            "quantization": model.quantization,
            "split": options["split"],
            "emotion": {
                "file": str(options["data"]),
                "skipped_rows": emotion.skipped,
                **classification_report(np.asarray(emotion.labels)[indices], np.asarray([out.probabilities for out in outputs])),
            },
        }
        if bank is not None:
            rows = training_data.emobank_split(bank, holdout, seed)[1] if held_out else np.arange(len(bank.texts))
            bank_out = run([bank.texts[i] for i in rows], "EmoBank texts")
            v, a = np.asarray(bank.valence)[rows], np.asarray(bank.arousal)[rows]
            report["emobank"] = {"file": str(options["emobank"]), "skipped_rows": bank.skipped, **point_reports(bank_out, v, a)}
        if go_dev is not None:
            go_report = goemotions.evaluate(partial(run, description="GoEmotions dev"), go_dev)[0]
            report["goemotions"] = {
                "file": str(Path(options["goemotions"]) / "dev.tsv"),
                "skipped_rows": go_dev.skipped,
                **go_report,
            }
        self.stdout.write(json.dumps(report, indent=2) if options["format"] == "json" else format_text(report))


def _infer(model, texts: list[str], description: str, progress: bool) -> list:
    """The model's outputs for the texts, BATCH at a time, with a progress bar."""
    from tqdm import tqdm

    outputs = []
    with tqdm(total=len(texts), desc=description, unit="text", disable=not progress) as bar:
        for start in range(0, len(texts), BATCH):
            outputs.extend(model.infer(texts[start : start + BATCH]))
            bar.update(min(BATCH, len(texts) - start))
    return outputs


def format_text(report: dict) -> str:
    emotion = report["emotion"]
    lines = [
        f"model {report['model_version']} ({report['quantization']}), split: {report['split']}",
        f"emotion ({emotion['samples']} texts): accuracy {emotion['accuracy']:.4f}  macro-F1 {emotion['macro_f1']:.4f}"
        f"  top-2 {emotion['top2_accuracy']:.4f}",
        *_class_table(emotion),
    ]
    if "goemotions" in report:
        go = report["goemotions"]
        lines += [
            "",
            f"GoEmotions dev mapped onto the 13 ({go['samples']} comments, {go['unmapped_skipped']} unmapped left out): "
            f"accuracy {go['accuracy']:.4f}  mean class recall {go['mean_class_recall']:.4f}  "
            f"lowest class recall {go['lowest_class_recall']:.4f}",
            *_class_table(go),
        ]
    if "emobank" in report:
        lines.append("")
        for name in ("start_point", "regressor", "class_weighted"):
            scores = report["emobank"][name]
            lines.append(
                f"EmoBank {name:<15} r(valence) {scores['pearson_valence']:.4f}  r(arousal) "
                f"{scores['pearson_arousal']:.4f}  (n={scores['samples']})"
            )
    return "\n".join(lines)


def _class_table(report: dict) -> list[str]:
    """Per-class precision/recall/F1/support, then the confusion matrix."""
    lines = [f"{'label':<12}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}"]
    for label, scores in report["per_class"].items():
        lines.append(
            f"{label:<12}{scores['precision']:>10.3f}{scores['recall']:>10.3f}{scores['f1']:>10.3f}{scores['support']:>9}"
        )
    matrix = report["confusion_matrix"]
    lines.append("confusion matrix (rows: true, columns: predicted)")
    lines.append(" " * 12 + "".join(f"{label[:5]:>6}" for label in matrix["labels"]))
    for label, row in zip(matrix["labels"], matrix["rows_true_columns_predicted"], strict=True):
        lines.append(f"{label:<12}" + "".join(f"{count:>6}" for count in row))
    return lines
