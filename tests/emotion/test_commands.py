"""train_emotion and evaluate_emotion end to end on small generated files."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.emotion.labels import EMOTIONS


def train(emotion_csv, emobank_csv, output, cache_dir, goemotions="none", **options):
    out = io.StringIO()
    options = {"epochs": 1, "trainable_layers": 1, "batch_size": 16, "holdout": 0.25, "quantize": "auto", **options}
    call_command(
        "train_emotion", data=str(emotion_csv), emobank=str(emobank_csv), output=str(output),
        cache_dir=str(cache_dir), goemotions=str(goemotions), no_progress=True, format="json", stdout=out,
        stderr=io.StringIO(), **options,
    )
    return json.loads(out.getvalue())


@pytest.mark.slow
def test_train_then_evaluate_end_to_end(small_files, tmp_path):
    emotion_csv, emobank_csv = small_files
    output, cache_dir = tmp_path / "model", tmp_path / "cache"
    card = train(emotion_csv, emobank_csv, output, cache_dir)

    assert (output / "model_card.json").is_file() and (output / card["weights_file"]).is_file()
    assert json.loads((output / "model_card.json").read_text()) == card
    assert card["labels"] == list(EMOTIONS)
    assert card["training"]["seed"] == 13
    assert card["training"]["data"]["emotion"]["rows"] == 52
    assert card["training"]["data"]["emotion"]["skipped_rows"] == 2
    assert card["training"]["data"]["emobank"]["skipped_rows"] == 1
    assert card["training"]["data"]["emobank"]["held_out"] == 6  # the file's own dev rows
    assert card["training"]["data"]["emotion"]["tuning"] == 0  # 3 training rows per class: none to spare
    assert card["class_prior_correction"]["tau"] == 0.0
    assert card["quantization"] in {"int8", "none"}
    assert set(card["metrics"]["accuracy_by_quantization"]) == {"int8", "none"}
    assert {"accuracy", "macro_f1", "top2_accuracy"} <= set(card["metrics"]["held_out"]["emotion"])
    assert card["libraries"]["torch"] and card["training"]["data"]["emotion"]["sha256"]
    assert list(cache_dir.glob("states-*.npz")), "encoder states are cached on disk"

    # Same data and seed again: read from the cache, and the same weights come out.
    again = train(emotion_csv, emobank_csv, tmp_path / "again", cache_dir)
    assert again["weights_sha256"] == card["weights_sha256"]

    out = io.StringIO()
    call_command(
        "evaluate_emotion", data=str(emotion_csv), emobank=str(emobank_csv), model_dir=str(output),
        format="json", no_progress=True, stdout=out, stderr=io.StringIO(),
    )
    report = json.loads(out.getvalue())
    assert report["model_version"] == card["version"]
    emotion = report["emotion"]
    assert emotion["samples"] == 52 and emotion["skipped_rows"] == 2
    assert 0.0 <= emotion["accuracy"] <= emotion["top2_accuracy"] <= 1.0
    assert 0.0 <= emotion["macro_f1"] <= 1.0
    assert set(emotion["per_class"]) == set(EMOTIONS)
    assert set(emotion["per_class"]["love"]) == {"precision", "recall", "f1", "support"}
    matrix = emotion["confusion_matrix"]["rows_true_columns_predicted"]
    assert len(matrix) == 13 and all(len(row) == 13 for row in matrix)
    assert sum(map(sum, matrix)) == 52
    for name in ("start_point", "regressor", "class_weighted"):
        assert -1.0 <= report["emobank"][name]["pearson_valence"] <= 1.0
        assert report["emobank"][name]["samples"] == 24

    text = io.StringIO()
    call_command(
        "evaluate_emotion", data=str(emotion_csv), model_dir=str(output), split="held-out",
        no_progress=True, stdout=text, stderr=io.StringIO(),
    )
    assert "accuracy" in text.getvalue() and "confusion matrix" in text.getvalue()


@pytest.mark.slow
def test_goemotions_is_a_third_task_and_its_dev_split_is_reported(small_files, tmp_path):
    from tests.emotion.conftest import write_small_goemotions

    emotion_csv, emobank_csv = small_files
    folder = write_small_goemotions(tmp_path / "goemotions")
    card = train(emotion_csv, emobank_csv, tmp_path / "model", tmp_path / "cache", goemotions=folder)

    assert "-go-" in card["version"]
    entry = card["training"]["data"]["goemotions"]
    assert entry["skipped_rows"] == 3  # no text, an unknown label id, a label that is not a number
    assert entry["train"] + entry["tuning"] == entry["rows"] == 60
    assert entry["held_out"] == 30 and entry["held_out_mapped"] == 20  # the unmapped ("admiration") left out
    assert entry["mapping"]["annoyance"] == "anger" and "admiration" not in entry["mapping"]
    go = card["metrics"]["held_out"]["goemotions"]
    assert go["samples"] == 20 and go["unmapped_skipped"] == 10
    assert set(go["mapped_classes"]) == {"anger", "worry"}
    assert 0.0 <= go["lowest_class_recall"] <= go["mean_class_recall"] <= 1.0

    out = io.StringIO()
    call_command(
        "evaluate_emotion", data=str(emotion_csv), emobank=str(emobank_csv), goemotions=str(folder),
        model_dir=str(tmp_path / "model"), split="held-out", no_progress=True, stdout=out, stderr=io.StringIO(),
    )
    printed = out.getvalue()
    assert printed.count("confusion matrix") == 2  # tweets, then GoEmotions
    assert "GoEmotions dev mapped onto the 13 (20 comments, 10 unmapped left out)" in printed
    assert "EmoBank start_point" in printed


@pytest.mark.slow
def test_teacher_points_are_extra_valence_targets_for_tweets_and_comments(small_files, tmp_path):
    import numpy as np

    from apps.emotion.emotion_model import EmotionModel
    from apps.emotion.training import data, goemotions
    from tests.emotion.conftest import write_small_goemotions

    emotion_csv, emobank_csv = small_files
    folder = write_small_goemotions(tmp_path / "goemotions")
    tweets = data.load_emotion_csv(emotion_csv).texts
    comments = goemotions.load_split(folder, "train").texts
    # A teacher far above anything EmoBank teaches (its valence tops out at 7.5 on the plane), for the
    # tweets and every other comment; the rest have no point and teach nothing.
    texts = tweets + comments[::2]
    points = tmp_path / "teacher.npz"
    np.savez(points, texts=np.asarray(texts), points=np.tile([[9.5, -9.5]], (len(texts), 1)).astype(np.float32))
    common = {"goemotions": folder, "epochs": 3, "quantize": "none"}
    plain = train(emotion_csv, emobank_csv, tmp_path / "plain", tmp_path / "cache", **common)
    taught = train(
        emotion_csv, emobank_csv, tmp_path / "taught", tmp_path / "cache", teacher_points=str(points), teacher_weight=2.0,
        **common,
    )

    assert "-kd-" in taught["version"] and "-kd-" not in plain["version"]
    entry = taught["training"]["data"]["teacher_points"]
    assert entry["file"] == "teacher.npz" and entry["weight"] == 2.0 and len(entry["sha256"]) == 64
    tweets_trained, comments_trained = taught["training"]["data"]["emotion"]["train"], taught["training"]["data"]["goemotions"]["train"]
    # Every training tweet has a point, about half the training comments do: held-out rows never count.
    assert tweets_trained < entry["training_texts_with_a_point"] < tweets_trained + comments_trained
    assert "teacher_points" not in plain["training"]["data"]

    def mean_point(folder_name):
        outputs = EmotionModel(tmp_path / folder_name).infer(tweets)
        return np.mean([out.regressor_point for out in outputs], axis=0)

    plain_point, taught_point = mean_point("plain"), mean_point("taught")
    assert taught_point[0] > plain_point[0] + 1.0 and taught_point[1] < plain_point[1] - 1.0

    # Valence only: the same pull on valence, and arousal is left to EmoBank.
    valence_only = train(
        emotion_csv, emobank_csv, tmp_path / "valence", tmp_path / "cache", teacher_points=str(points),
        teacher_weight=2.0, teacher_axes="valence", **common,
    )
    assert valence_only["training"]["data"]["teacher_points"]["axes"] == ["valence"]
    assert entry["axes"] == ["valence", "arousal"]
    valence_point = mean_point("valence")
    assert valence_point[0] > plain_point[0] + 1.0 and valence_point[1] > taught_point[1] + 1.0


def test_commands_reject_missing_and_malformed_files(tmp_path):
    import numpy as np

    from tests.emotion.conftest import write_small_files

    with pytest.raises(CommandError, match="No such file"):
        call_command("train_emotion", data=str(tmp_path / "nope.csv"), output=str(tmp_path), no_progress=True)
    with pytest.raises(CommandError, match="No such file"):
        call_command(
            "train_emotion", goemotions="none", teacher_points=str(tmp_path / "nope.npz"), output=str(tmp_path),
            no_progress=True,
        )
    emotion_csv, emobank_csv = write_small_files(tmp_path)
    (tmp_path / "text.npz").write_bytes(b"not a zip")
    (tmp_path / "empty.npz").write_bytes(b"")
    np.savez(tmp_path / "shape.npz", texts=np.asarray(["a", "b"]), points=np.zeros((2, 3)))
    np.save(tmp_path / "plain.npy", np.zeros((2, 2)))  # an array, not a file of named arrays
    np.savez(tmp_path / "keys.npz", words=np.asarray(["a"]))
    for name, message in (
        ("text.npz", "not a teacher points file"),
        ("empty.npz", "not a teacher points file"),
        ("shape.npz", "one text and one"),
        ("plain.npy", "not a teacher points file"),
        ("keys.npz", "not a teacher points file"),
    ):
        with pytest.raises(CommandError, match=message):
            train(emotion_csv, emobank_csv, tmp_path / "model", tmp_path / "cache", teacher_points=str(tmp_path / name))
    with pytest.raises(CommandError, match="Teacher points need fine-tuned layers"):
        train(
            emotion_csv, emobank_csv, tmp_path / "model", tmp_path / "cache", teacher_points=str(tmp_path / "keys.npz"),
            trainable_layers=0,
        )
    assert not (tmp_path / "model" / "model_card.json").exists()  # nothing half-written
    with pytest.raises(CommandError, match="No GoEmotions folder"):
        call_command("train_emotion", goemotions=str(tmp_path), output=str(tmp_path), no_progress=True)
    with pytest.raises(CommandError):
        call_command("evaluate_emotion", data=str(tmp_path / "nope.csv"), no_progress=True, stdout=io.StringIO())


def test_the_prior_correction_buys_rare_class_recall_within_the_accuracy_slack():
    import numpy as np

    from apps.emotion.training.trainer import PRIOR_ACCURACY_SLACK, choose_prior_correction

    rng = np.random.default_rng(0)
    labels = np.asarray([0] * 900 + [1] * 100)
    log_prior = np.log(np.asarray([0.9, 0.1] + [1e-3] * 11))
    logits = np.full((1000, 13), -20.0)
    logits[:, 0] = 0.0
    # The rare class scores a little higher on its own rows, never enough to beat the prior unaided.
    logits[:, 1] = np.where(labels == 1, -1.0, -3.0) + rng.normal(0, 0.3, 1000)
    choice = choose_prior_correction(labels, logits, log_prior)
    grid = choice["grid_on_tuning_split"]
    assert choice["tau"] > 0
    assert grid[str(choice["tau"])]["macro_f1"] > grid["0.0"]["macro_f1"]
    assert grid[str(choice["tau"])]["accuracy"] >= grid["0.0"]["accuracy"] - PRIOR_ACCURACY_SLACK
