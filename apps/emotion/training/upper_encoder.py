"""Training's view of the encoder: its top layers (some trainable) and the heads, fed cached states.

Training caches the states after a lower layer (see `features`) and runs only the layers above it,
with transformers' own BertLayers; inference runs the whole encoder through `FastEncoder` with the
fine-tuned layers swapped in (the model card's metrics are measured that way).
"""

from __future__ import annotations

import copy

from apps.emotion import loading
from apps.emotion.heads import HEADS_PREFIX, EmotionHeads

torch = loading.import_torch()
nn = torch.nn


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
            hidden = run_layers(self.frozen, self.config, hidden, attention_mask)
        return mean_pool(hidden, attention_mask)

    def pooled(self, hidden, attention_mask):
        """The sentence vector the heads read (the auxiliary training-only head reads it too)."""
        if len(self.frozen):
            self.frozen.eval()
            with torch.no_grad():
                hidden = run_layers(self.frozen, self.config, hidden, attention_mask)
        if len(self.trainable):
            hidden = run_layers(self.trainable, self.config, hidden, attention_mask)
        return mean_pool(hidden, attention_mask)

    def forward(self, hidden, attention_mask):
        return self.heads(self.pooled(hidden, attention_mask))

    def shipped_state(self) -> dict:
        """What is saved: the fine-tuned top layers (named as in BertModel) and the heads (an auxiliary
        training-only head, such as GoEmotions' 28-way one, is not saved).

        The layers are stored as float16 (loading widens them back to float32): half the size, so more
        layers fit the 20 MB cap on committed model files; the model card's metrics are measured on them.
        """
        state = {HEADS_PREFIX + name: value for name, value in self.heads.state_dict().items()}
        for offset, layer in enumerate(self.trainable):
            for name, value in layer.state_dict().items():
                state[f"encoder.layer.{self.first_trainable + offset}.{name}"] = value.to(torch.float16)
        return {name: value.detach().contiguous().clone() for name, value in state.items()}
