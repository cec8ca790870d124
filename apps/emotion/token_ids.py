"""The encoder's token ids, straight from the checkpoint's tokenizer.json.

The runtime needs ids only, so it uses `tokenizers` (the Rust library transformers' fast tokenizer
wraps) directly: AutoTokenizer, with the transformers import it needs, cost each worker 24 MB after
load and 0.75 s of its load (BENCHMARKS.md). The ids are the same as AutoTokenizer's: over all 89,973 tweets, EmoBank sentences and
GoEmotions comments (checked once), and over awkward inputs in `tests/emotion/test_token_ids.py`.
"""

from __future__ import annotations

from pathlib import Path

from tokenizers import Tokenizer


class TokenIds:
    """Texts -> token ids with [CLS] and [SEP], cut to `max_tokens`, and whether each was cut."""

    def __init__(self, tokenizer_file: Path, max_tokens: int):
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        # The file carries sentence-transformers' own settings (pad to 128, cut at 128): ours replace them.
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_tokens)

    def __call__(self, texts: list[str]) -> tuple[list[list[int]], list[bool]]:
        encodings = self._tokenizer.encode_batch(texts)
        return [encoding.ids for encoding in encodings], [bool(encoding.overflowing) for encoding in encodings]
