"""The runtime's token ids (tokenizers, straight from tokenizer.json) equal transformers' AutoTokenizer's."""

import pytest

from apps.emotion import loading
from apps.emotion.token_ids import TokenIds

AWKWARD_TEXTS = [
    "My landlord kept the whole deposit. I am furious, I could scream.",
    "@someone_here I LOVE this!!! http://t.co/abc123 #blessed &quot;yes&quot; &lt;3",
    "Crème brûlée, naïve café, ÇA VA?  Straße",
    "你好，世界 🙂🙃 😭😭 ❤️",
    "tabs\tand\nnew lines\r\nand\u00a0no-break\u200bzero width",
    "control\x00chars\x07here",
    "a" * 150 + " word longer than the wordpiece limit",
    "",
    "   ",
    "word " * 254,  # exactly 256 tokens with [CLS] and [SEP]: not cut
    "word " * 255,  # one more: cut to 256 and flagged
    "I feel calm and grateful today. " * 200,
]


@pytest.fixture(scope="module")
def token_ids() -> TokenIds:
    return TokenIds(loading.encoder_dir() / "tokenizer.json", loading.MAX_TOKENS)


def test_ids_and_cut_flags_match_transformers(token_ids):
    reference = loading.load_tokenizer()
    expected_ids = reference(AWKWARD_TEXTS, truncation=True, max_length=loading.MAX_TOKENS)["input_ids"]
    expected_cut = [len(ids) > loading.MAX_TOKENS for ids in reference(AWKWARD_TEXTS)["input_ids"]]

    ids, cut = token_ids(AWKWARD_TEXTS)

    assert ids == expected_ids
    assert cut == expected_cut
    assert cut[-3:] == [False, True, True]  # the boundary and far beyond it


def test_a_cut_text_keeps_its_start_and_ends_with_sep(token_ids):
    ids, cut = token_ids(["word " * 400])
    assert cut == [True]
    assert len(ids[0]) == loading.MAX_TOKENS
    assert ids[0][0] == 101 and ids[0][-1] == 102  # [CLS] ... [SEP]


def test_the_checkpoint_files_own_padding_and_cut_do_not_apply(token_ids):
    # tokenizer.json asks for padding to 128 and a cut at 128; the encoder reads up to 256 unpadded.
    ids, cut = token_ids(["hi", "word " * 200])
    assert len(ids[0]) == 3
    assert len(ids[1]) == 202 and cut == [False, False]
