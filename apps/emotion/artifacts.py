"""Where the shipped model lives and what its card says. Reading the card never imports torch."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

from django.conf import settings

SHIPPED_DIR = Path(__file__).resolve().parent / "artifacts"
CARD_FILE = "model_card.json"
WEIGHTS_FILE = "emotion_heads.safetensors"


def model_dir() -> Path:
    """The model folder: EMOTION_MODEL_DIR (setting or env var) or the committed artefacts."""
    configured = getattr(settings, "EMOTION_MODEL_DIR", None) or os.environ.get("EMOTION_MODEL_DIR")
    return Path(configured).resolve() if configured else SHIPPED_DIR


@lru_cache(maxsize=8)
def _read_card(folder: str, modified: float) -> dict:
    with open(Path(folder) / CARD_FILE, encoding="utf-8") as handle:
        return json.load(handle)


def read_card(folder: Path | None = None) -> dict:
    folder = folder or model_dir()
    path = folder / CARD_FILE
    if not path.is_file():
        raise RuntimeError(f"No emotion model at {folder}: run `manage.py train_emotion` first.")
    return _read_card(str(folder), path.stat().st_mtime)


def cache_dir() -> Path:
    """Disk cache of encoder states for training (git-ignored)."""
    configured = os.environ.get("EMOTION_CACHE_DIR")
    if configured:
        return Path(configured)
    return Path(getattr(settings, "VAR_DIR", Path.cwd() / "var")) / "emotion-cache"
