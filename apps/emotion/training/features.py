"""Encoder features for training, cached on disk by content hash.

The lower encoder layers stay frozen, so their output for a text never changes: it is computed once
and stored (float16, padding stripped). Training then runs only the top layers and the heads, and a
re-run with the same texts and encoder reads the cache instead of running the encoder again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from apps.emotion import loading

CACHE_FORMAT = 1


@dataclass
class TokenStates:
    """Ragged per-token hidden states: text i owns rows offsets[i]:offsets[i+1] of `states`."""

    states: np.ndarray  # (total_tokens, hidden) float16
    offsets: np.ndarray  # (n + 1,) int64

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def lengths(self) -> np.ndarray:
        """Each text's token count."""
        return np.diff(self.offsets)

    def batch(self, indices):
        """Padded float32 tensors (hidden, attention_mask) for these texts."""
        torch = loading.import_torch()
        lengths = [int(self.offsets[i + 1] - self.offsets[i]) for i in indices]
        hidden = torch.zeros(len(indices), max(lengths), self.states.shape[1])
        mask = torch.zeros(len(indices), max(lengths), dtype=torch.long)
        for row, (i, length) in enumerate(zip(indices, lengths, strict=True)):
            start = int(self.offsets[i])
            hidden[row, :length] = torch.from_numpy(self.states[start : start + length].astype(np.float32))
            mask[row, :length] = 1
        return hidden, mask


def cache_key(texts: list[str], split_layer: int, max_length: int) -> str:
    digest = hashlib.sha256()
    header = {"format": CACHE_FORMAT, "encoder": loading.encoder_fingerprint(), "layer": split_layer, "max": max_length}
    digest.update(json.dumps(header, sort_keys=True).encode())
    for text in texts:
        digest.update(hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest())
    return digest.hexdigest()[:32]


def token_states(
    texts: list[str],
    split_layer: int,
    cache_dir: Path,
    max_length: int = 128,
    batch_size: int = 64,
    description: str = "encoding",
    progress: bool = True,
) -> TokenStates:
    """Hidden states after the first `split_layer` encoder layers, from the disk cache when present."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"states-{cache_key(texts, split_layer, max_length)}.npz"
    if path.exists():
        with np.load(path) as stored:
            return TokenStates(states=stored["states"], offsets=stored["offsets"])

    torch = loading.import_torch()
    tokenizer = loading.load_tokenizer()
    lower = loading.load_encoder()
    lower.encoder.layer = lower.encoder.layer[:split_layer]

    per_text: list[np.ndarray | None] = [None] * len(texts)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths batch with little padding
    with torch.inference_mode(), tqdm(total=len(texts), desc=description, unit="text", disable=not progress) as bar:
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            batch = tokenizer(
                [texts[i] for i in chunk], padding=True, truncation=True, max_length=max_length, return_tensors="pt"
            )
            hidden = lower(**batch).last_hidden_state.to(torch.float16).numpy()
            lengths = batch["attention_mask"].sum(dim=1).tolist()
            for row, (i, length) in enumerate(zip(chunk, lengths, strict=True)):
                per_text[i] = hidden[row, :length]
            bar.update(len(chunk))

    lengths = np.asarray([len(states) for states in per_text], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    states = np.concatenate(per_text, axis=0)
    temporary = path.with_suffix(".tmp.npz")
    np.savez(temporary, states=states, offsets=offsets)
    temporary.replace(path)  # atomic: a killed run never leaves a half-written cache entry
    return TokenStates(states=states, offsets=offsets)
