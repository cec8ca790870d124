"""The model's two small heads on the pooled sentence vector (13 emotions; valence and arousal).

Shared by training (`training.upper_encoder`) and inference (`emotion_model`), so both compute the
same function; saved weights name them under HEADS_PREFIX.
"""

from __future__ import annotations

from apps.emotion import loading
from apps.emotion.labels import EMOTIONS

torch = loading.import_torch()
nn = torch.nn

HEADS_PREFIX = "heads."


class EmotionHeads(nn.Module):
    """Pooled sentence vector -> 13 emotion logits and a (valence, arousal) point on the plane."""

    def __init__(self, hidden_size: int = loading.HIDDEN_SIZE, dropout: float = 0.1):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.emotion = nn.Linear(hidden_size, len(EMOTIONS))
        self.valence_arousal = nn.Linear(hidden_size, 2)

    def forward(self, pooled):
        pooled = self.dropout(pooled)
        return self.emotion(pooled), self.valence_arousal(pooled)
