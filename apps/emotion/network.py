"""The trainable part of the model: the encoder's top layers (optionally) and two small heads.

Shared by training (which feeds it cached lower-layer states) and inference (which runs the whole
encoder with the fine-tuned top layers swapped in), so both compute the same function.
"""

from __future__ import annotations

import copy

from apps.emotion import encoder
from apps.emotion.labels import EMOTIONS

torch = encoder.import_torch()
nn = torch.nn

HEADS_PREFIX = "heads."


class EmotionHeads(nn.Module):
    """Pooled sentence vector -> 13 emotion logits and a (valence, arousal) point on the plane."""

    def __init__(self, hidden_size: int = encoder.HIDDEN_SIZE, dropout: float = 0.1):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.emotion = nn.Linear(hidden_size, len(EMOTIONS))
        self.valence_arousal = nn.Linear(hidden_size, 2)

    def forward(self, pooled):
        pooled = self.dropout(pooled)
        return self.emotion(pooled), self.valence_arousal(pooled)


class UpperEncoder(nn.Module):
    """Encoder layers `start_layer`.. (the top `trainable_layers` of them trainable) plus the heads.

    Training feeds it the cached output of layer `start_layer` instead of running the whole encoder.
    """

    def __init__(self, base_encoder, start_layer: int, trainable_layers: int, dropout: float = 0.1):
        super().__init__()
        total = len(base_encoder.encoder.layer)
        if not 0 <= trainable_layers <= total - start_layer:
            raise ValueError(f"trainable_layers must be between 0 and {total - start_layer}.")
        self.config = base_encoder.config
        self.first_trainable = total - trainable_layers
        self.frozen = nn.ModuleList(copy.deepcopy(base_encoder.encoder.layer[start_layer : self.first_trainable]))
        self.frozen.requires_grad_(False)
        self.trainable = nn.ModuleList(copy.deepcopy(base_encoder.encoder.layer[self.first_trainable :]))
        self.heads = EmotionHeads(dropout=dropout)

    def frozen_pooled(self, hidden, attention_mask):
        """The pooled sentence vector when no layer is trainable (computed once, then only heads train)."""
        with torch.no_grad():
            hidden = encoder.run_layers(self.frozen, self.config, hidden, attention_mask)
        return encoder.mean_pool(hidden, attention_mask)

    def forward(self, hidden, attention_mask):
        if len(self.frozen):
            self.frozen.eval()
            with torch.no_grad():
                hidden = encoder.run_layers(self.frozen, self.config, hidden, attention_mask)
        if len(self.trainable):
            hidden = encoder.run_layers(self.trainable, self.config, hidden, attention_mask)
        return self.heads(encoder.mean_pool(hidden, attention_mask))

    def shipped_state(self) -> dict:
        """What is saved: the fine-tuned top layers (named as in BertModel) and the heads.

        The layers are stored as float16 (loading widens them back to float32): half the size, so more
        layers fit the 20 MB cap on committed model files; the model card's metrics are measured on them.
        """
        state = {HEADS_PREFIX + name: value for name, value in self.heads.state_dict().items()}
        for offset, layer in enumerate(self.trainable):
            for name, value in layer.state_dict().items():
                state[f"encoder.layer.{self.first_trainable + offset}.{name}"] = value.to(torch.float16)
        return {name: value.detach().contiguous().clone() for name, value in state.items()}
