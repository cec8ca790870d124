"""manage.py train_emotion: train the emotion model and write its weights and model card."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.emotion import artifacts
from apps.emotion.management.commands._options import DEFAULT_EMOBANK_CSV, DEFAULT_EMOTION_CSV, DEFAULT_GOEMOTIONS_DIR
from apps.emotion.training.trainer import TeacherPoints, TrainingConfig, reassess, train


class Command(BaseCommand):
    help = "Train the 13-emotion classifier and the valence/arousal regressor on MiniLM; write weights + model card."

    def add_arguments(self, parser):
        parser.add_argument("--data", default=str(DEFAULT_EMOTION_CSV), help="emotion CSV (content, sentiment)")
        parser.add_argument("--emobank", default=str(DEFAULT_EMOBANK_CSV), help="EmoBank-format CSV (text, V, A)")
        parser.add_argument(
            "--goemotions",
            default=str(DEFAULT_GOEMOTIONS_DIR),
            help="GoEmotions folder (train.tsv, dev.tsv, labels.txt) as a third task; 'none' to train without it",
        )
        parser.add_argument(
            "--teacher-points",
            default=None,
            help="a .npz of a larger model's valence/arousal for training texts (bench/valence_teacher.py --label-out): "
            "extra valence/arousal targets for the tweets' and GoEmotions' batches",
        )
        parser.add_argument("--teacher-weight", type=float, default=0.5, help="the teacher points' loss weight (default 0.5)")
        parser.add_argument(
            "--teacher-axes",
            choices=("valence", "arousal", "both"),
            default="both",
            help="which of the teacher's two values to learn (default both; the other is left to EmoBank)",
        )
        parser.add_argument("--output", default=str(artifacts.SHIPPED_DIR), help="folder for weights + model card")
        parser.add_argument("--cache-dir", default=None, help="encoder state cache (default var/emotion-cache)")
        parser.add_argument("--format", choices=("text", "json"), default="text")
        parser.add_argument(
            "--threads", type=int, default=None, help="torch threads (default: torch's; 1 is fastest on a busy machine)"
        )
        parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
        parser.add_argument(
            "--assess-only",
            action="store_true",
            help="do not train: re-evaluate the model already in --output (held-out split from its card), "
            "re-choose int8 vs float32 and rewrite its card",
        )
        defaults = TrainingConfig()
        for field in fields(TrainingConfig):
            option = "--" + field.name.replace("_", "-")
            value = getattr(defaults, field.name)
            extra = {"choices": ("auto", "int8", "none")} if field.name == "quantize" else {}
            parser.add_argument(option, type=type(value), default=value, help=f"default {value}", **extra)

    def handle(self, *args, **options):
        if options["threads"]:
            from apps.emotion.loading import import_torch

            import_torch().set_num_threads(options["threads"])
        config = TrainingConfig(**{field.name: options[field.name] for field in fields(TrainingConfig)})
        for path in (options["data"], options["emobank"]):
            if not Path(path).is_file():
                raise CommandError(f"No such file: {path}")
        teacher = None
        if options["teacher_points"]:
            if not Path(options["teacher_points"]).is_file():
                raise CommandError(f"No such file: {options['teacher_points']}")
            axes = ("valence", "arousal") if options["teacher_axes"] == "both" else (options["teacher_axes"],)
            teacher = TeacherPoints(Path(options["teacher_points"]), options["teacher_weight"], axes)
        goemotions_dir = None if options["goemotions"].lower() == "none" else Path(options["goemotions"])
        if goemotions_dir is not None and not (goemotions_dir / "labels.txt").is_file():
            raise CommandError(f"No GoEmotions folder (labels.txt, train.tsv, dev.tsv) at {goemotions_dir}")
        log = (lambda message: self.stderr.write(message)) if options["format"] == "json" else self.stdout.write
        try:
            if options["assess_only"]:
                card = reassess(
                    options["data"], options["emobank"], options["output"], config.quantize, log=log, goemotions_dir=goemotions_dir
                )
            else:
                card = train(
                    options["data"],
                    options["emobank"],
                    options["output"],
                    config=config,
                    cache_dir=Path(options["cache_dir"]) if options["cache_dir"] else None,
                    progress=not options["no_progress"],
                    log=log,
                    goemotions_dir=goemotions_dir,
                    teacher=teacher,
                )
        except ValueError as error:
            raise CommandError(str(error)) from error
        if options["format"] == "json":
            self.stdout.write(json.dumps(card, indent=2))
            return
        held = card["metrics"]["held_out"]
        emotion = held["emotion"]
        self.stdout.write(self.style.SUCCESS(f"model {card['version']} written to {options['output']}"))
        self.stdout.write(
            f"held-out emotion: accuracy {emotion['accuracy']:.4f}, macro-F1 {emotion['macro_f1']:.4f}, "
            f"top-2 {emotion['top2_accuracy']:.4f} (n={emotion['samples']}); quantization {card['quantization']}"
        )
        if "goemotions" in held:
            go = held["goemotions"]
            self.stdout.write(
                f"GoEmotions dev mapped onto the 13: accuracy {go['accuracy']:.4f}, mean class recall "
                f"{go['mean_class_recall']:.4f}, lowest {go['lowest_class_recall']:.4f} (n={go['samples']})"
            )
        if "emobank" in held:
            start = held["emobank"]["start_point"]
            self.stdout.write(
                f"held-out EmoBank start point: r(valence) {start['pearson_valence']:.4f}, "
                f"r(arousal) {start['pearson_arousal']:.4f} (n={start['samples']})"
            )
