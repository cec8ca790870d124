"""The loaded model: the encoder (its fine-tuned top layers swapped in, run by `FastEncoder`) + the heads.

Imports torch at module level: only import this module lazily (`loading.get_model` holds one per process).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from apps.emotion import artifacts, loading
from apps.emotion.fast_encoder import FastEncoder, quantization_for_this_cpu
from apps.emotion.heads import HEADS_PREFIX, EmotionHeads
from apps.emotion.heap import IdleHeapTrimmer, return_freed_heap
from apps.emotion.labels import EMOTION_POINTS, EMOTIONS, clip_to_plane
from apps.emotion.token_ids import TokenIds

torch = loading.import_torch()

INFERENCE_BATCH = 32
# An idle worker hands the heap its passes freed back after this long without one (apps/emotion/heap.py).
TRIM_HEAP_AFTER_IDLE_SECONDS = 0.5
_POINTS = np.asarray([EMOTION_POINTS[label] for label in EMOTIONS], dtype=np.float64)


@dataclass(frozen=True)
class RawOutput:
    probabilities: tuple[float, ...]  # in EMOTIONS order, summing to 1
    regressor_point: tuple[float, float]
    start_point: tuple[float, float]  # the blend the model card chose, clipped to the plane
    truncated: bool


class EmotionModel:
    """Tokenizer, encoder and heads from a model folder; `infer` runs one forward pass per batch."""

    def __init__(self, folder: Path | None = None, quantization: str | None = None, trim_heap_after_idle_seconds: float = TRIM_HEAP_AFTER_IDLE_SECONDS):
        """`quantization`: "int8" or "none" forces one; None takes the card's where this CPU runs it fast."""
        self.folder = folder or artifacts.model_dir()
        self.card = artifacts.read_card(self.folder)
        if list(self.card["labels"]) != list(EMOTIONS):
            raise RuntimeError("The model card's label order does not match EMOTIONS.")
        self.version: str = self.card["version"]
        # The card's choice (the trainer's: int8 when it costs at most 0.5 points) unless this CPU runs
        # int8 slowly; the same weights either way, so the version stays the card's.
        self.quantization = quantization or quantization_for_this_cpu(self.card.get("quantization", "none"))
        self.alpha = (float(self.card["start_point"]["alpha_valence"]), float(self.card["start_point"]["alpha_arousal"]))
        self.token_ids = TokenIds(loading.encoder_dir() / "tokenizer.json", loading.MAX_TOKENS)
        state, config = loading.load_encoder_state()
        self.heads = EmotionHeads()
        self._load_weights(state, self.folder / self.card.get("weights_file", artifacts.WEIGHTS_FILE))
        self.heads.eval()
        self.encoder = FastEncoder(state, config, self.quantization)
        del state
        return_freed_heap()  # packing and quantising freed about 60 MB of temporaries
        self.batch_size = INFERENCE_BATCH
        self._lock = threading.Lock()  # one forward pass at a time: torch's threads are already all in use
        self.heap_trimmer = IdleHeapTrimmer(self._lock, trim_heap_after_idle_seconds)

    def _load_weights(self, encoder_state: dict, path: Path) -> None:
        """Load the heads, and put the fine-tuned layers (stored in float16) over the checkpoint's own."""
        from safetensors.torch import load_file

        state = load_file(str(path))
        heads = {name[len(HEADS_PREFIX) :]: value for name, value in state.items() if name.startswith(HEADS_PREFIX)}
        layers = {name: value for name, value in state.items() if not name.startswith(HEADS_PREFIX)}
        self.heads.load_state_dict(heads)
        unexpected = sorted(name for name in layers if name not in encoder_state)
        if unexpected:
            raise RuntimeError(f"Unexpected encoder weights in {path}: {unexpected[:5]}")
        encoder_state.update({name: value.to(torch.float32) for name, value in layers.items()})

    def _forward(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, list[bool]]:
        token_ids, truncated = self.token_ids(texts)
        logits, points = self.heads(self.encoder(token_ids))
        probabilities = torch.softmax(logits.double(), dim=-1).numpy()
        return probabilities, points.double().numpy(), truncated

    def infer(self, texts: list[str]) -> list[RawOutput]:
        """Outputs in the order of `texts`, up to `batch_size` texts per forward pass."""
        outputs: list[RawOutput] = []
        with self._lock, torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                chunk = texts[start : start + self.batch_size]
                probabilities, points, truncated = self._forward(chunk)
                weighted = probabilities @ _POINTS
                for row in range(len(chunk)):
                    regressor = points[row]
                    start_point = [
                        clip_to_plane(a * r + (1 - a) * w)
                        for a, r, w in zip(self.alpha, regressor, weighted[row], strict=True)
                    ]
                    outputs.append(
                        RawOutput(
                            probabilities=tuple(float(p) for p in probabilities[row] / probabilities[row].sum()),
                            regressor_point=(float(regressor[0]), float(regressor[1])),
                            start_point=(float(start_point[0]), float(start_point[1])),
                            truncated=truncated[row],
                        )
                    )
        self.heap_trimmer.note_work()
        return outputs

