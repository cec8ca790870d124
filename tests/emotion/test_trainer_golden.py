"""The trainer's model card, value for value, against cards recorded before `train` was split into steps.

Two small seeded runs (fine-tuning one layer with a tuning split; heads only) on generated files.
Only what a run cannot reproduce is masked: the creation time (and the date in the version) and the
installed library versions (compared with the running ones instead). Re-record only for an intended
change: `RECORD_GOLDEN=1 .venv/bin/python -m pytest tests/emotion/test_trainer_golden.py`.

The fixture keeps one recording per kind of machine it was recorded on: the CPU's vendor, torch's CPU
capability (e.g. AVX2 or AVX512) and torch. On a machine of a recorded kind, every value matches that
recording to 12 places and the weights' hash exactly. Other CPUs round differently (an Intel and an AMD
core with the same AVX512 capability differ by a few 1e-3 after two epochs on these tiny files; an AVX2
core by up to 0.04, on a near-zero correlation), so
elsewhere the weights' hash and the names built from it are left out and floats match the first
recording to FLOAT_TOLERANCE; everything else still exactly. Recording adds or replaces this machine's.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.emotion.conftest import write_small_files

pytest.importorskip("torch")

GOLDEN = Path(__file__).with_name("golden") / "model_cards.json"
RECORDINGS = "recordings"
FLOAT_TOLERANCE = 0.02
HASHED = ("weights_sha256", "version", "version_base")  # built from the weights' bytes
RUNS = {
    "fine-tune-one-layer": {"trainable_layers": 1, "epochs": 2, "batch_size": 16, "holdout": 0.25, "tune": 0.25},
    "heads-only": {"trainable_layers": 0, "head_epochs": 3, "holdout": 0.25, "tune": 0.0, "quantize": "none"},
}


def _comparable(card: dict) -> dict:
    from apps.emotion.training.model_card import library_versions

    card = json.loads(json.dumps(card))  # what the card file holds (tuples become lists)
    assert card.pop("libraries") == library_versions()
    assert card.pop("created_at")
    for key in ("version", "version_base"):
        card[key] = re.sub(r"-\d{8}-", "-DATE-", card[key])
    return _rounded(card)


def _rounded(value):
    """Floats to 12 places: a metric's last bit may differ with the order of a sum (the weights' hash
    and every metric to 12 places still have to match)."""
    if isinstance(value, float):
        return round(value, 12)
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    return value


def _cpu_vendor() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("vendor_id"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown"


def _machine() -> dict:
    import torch

    return {"cpu_vendor": _cpu_vendor(), "cpu_capability": torch.backends.cpu.get_cpu_capability(), "torch": torch.__version__}


def _assert_close(card, recorded, path: str = "") -> None:
    """Same structure and non-float values; floats within FLOAT_TOLERANCE."""
    if isinstance(recorded, dict):
        assert isinstance(card, dict) and card.keys() == recorded.keys(), path
        for key in recorded:
            _assert_close(card[key], recorded[key], f"{path}.{key}")
    elif isinstance(recorded, list):
        assert isinstance(card, list) and len(card) == len(recorded), path
        for index, (mine, theirs) in enumerate(zip(card, recorded, strict=True)):
            _assert_close(mine, theirs, f"{path}[{index}]")
    elif isinstance(recorded, float) and not isinstance(card, bool):
        assert card == pytest.approx(recorded, abs=FLOAT_TOLERANCE), path
    else:
        assert card == recorded, path


@pytest.mark.slow
def test_model_cards_match_the_recorded_ones(tmp_path):
    from apps.emotion.training.trainer import TrainingConfig, train

    emotion_csv, emobank_csv = write_small_files(tmp_path, rows_per_label=8)
    cards = {
        name: _comparable(
            train(emotion_csv, emobank_csv, tmp_path / name, TrainingConfig(**options), cache_dir=tmp_path / "cache",
                  progress=False, log=lambda _: None)
        )
        for name, options in RUNS.items()
    }
    machine = _machine()
    recordings = json.loads(GOLDEN.read_text(encoding="utf-8"))[RECORDINGS] if GOLDEN.exists() else []
    if os.environ.get("RECORD_GOLDEN") == "1":
        recordings = [r for r in recordings if r["machine"] != machine] + [{"machine": machine, "cards": cards}]
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps({RECORDINGS: recordings}, indent=1) + "\n", encoding="utf-8")
    assert recordings, "no recording: run once with RECORD_GOLDEN=1"
    exact = next((r["cards"] for r in recordings if r["machine"] == machine), None)
    if exact is not None:
        recorded = _rounded(exact)
        for name in RUNS:
            assert cards[name] == recorded[name], name
        return
    recorded = _rounded(recordings[0]["cards"])
    for name in RUNS:
        mine, theirs = ({k: v for k, v in card.items() if k not in HASHED} for card in (cards[name], recorded[name]))
        _assert_close(mine, theirs, name)
