"""The fast encoder: BertModel's function, leaner; int8 close to float32 and batch-independent."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from apps.emotion import fast_encoder, loading  # noqa: E402
from apps.emotion.training.upper_encoder import mean_pool  # noqa: E402
from tests.emotion.fresh_process import last_line_printed  # noqa: E402


def _linear(seed: int = 0) -> torch.nn.Linear:
    torch.manual_seed(seed)
    return torch.nn.Linear(384, 96)


def test_int8_linear_tracks_the_float_layer():
    layer = _linear()
    inputs = torch.randn(5, 7, 384)
    expected = layer(inputs)
    got = fast_encoder.Int8Linear(layer)(inputs)
    assert got.shape == expected.shape
    relative = (got - expected).norm() / expected.norm()
    assert relative < 0.02


def test_a_rows_result_does_not_depend_on_its_batch_mates():
    quantized = fast_encoder.Int8Linear(_linear(1))
    row = torch.randn(1, 384)
    loud_neighbours = torch.randn(31, 384) * 1000  # would dominate a per-batch activation scale
    alone = quantized(row)
    batched = quantized(torch.cat([row, loud_neighbours]))[:1]
    assert torch.equal(alone, batched)


TEXTS = ["short", "a somewhat longer sentence, twice as long as the first, give or take", "meh"]


@pytest.fixture(scope="module")
def bert_and_batch():
    bert = loading.load_encoder()
    tokenizer = loading.load_tokenizer()
    return bert, tokenizer(TEXTS, padding=True, return_tensors="pt"), tokenizer(TEXTS)["input_ids"]


def test_float32_path_computes_what_bert_model_computes(bert_and_batch):
    bert, padded, token_ids = bert_and_batch
    with torch.inference_mode():
        expected = mean_pool(bert(**padded).last_hidden_state, padded["attention_mask"])
        got = fast_encoder.FastEncoder.from_bert(bert, "none")(token_ids)
    torch.testing.assert_close(got, expected, atol=2e-5, rtol=1e-4)


def test_int8_path_stays_close_to_float32_and_is_bitwise_independent_of_batch_mates(bert_and_batch):
    bert, _, token_ids = bert_and_batch
    exact_encoder, fast = fast_encoder.FastEncoder.from_bert(bert, "none"), fast_encoder.FastEncoder.from_bert(bert, "int8")
    with torch.inference_mode():
        exact = exact_encoder(token_ids)
        together = fast(token_ids)
        alone = [fast([ids])[0] for ids in token_ids]
        reordered = fast(token_ids[::-1])
    assert torch.nn.functional.cosine_similarity(together, exact).min() > 0.97  # accuracy: see the model card
    for row, vector in enumerate(alone):
        assert torch.equal(vector, together[row])
        assert torch.equal(vector, reordered[len(token_ids) - 1 - row])


def test_gelu_runs_over_few_fixed_row_counts():
    # oneDNN compiles and keeps a GELU kernel per distinct shape: a worker must not meet thousands.
    counts = [fast_encoder.gelu_rows(rows) for rows in range(1, 32 * 256 + 1)]
    assert len(set(counts)) <= 72
    for rows, count in enumerate(counts, start=1):
        assert rows <= count <= rows + max(7, rows // 8)


def test_padding_the_rows_for_gelu_changes_no_result(bert_and_batch, monkeypatch):
    bert, _, token_ids = bert_and_batch
    fast = fast_encoder.FastEncoder.from_bert(bert, "int8")
    batches = [token_ids, *([ids] for ids in token_ids)]
    assert any(sum(map(len, batch)) % 8 for batch in batches)  # some do get padded
    with torch.inference_mode():
        padded = [fast(batch) for batch in batches]
        monkeypatch.setattr(fast_encoder, "_padded_rows", lambda rows: rows)
        unpadded = [fast(batch) for batch in batches]
    for with_padding, without in zip(padded, unpadded, strict=True):
        assert torch.equal(with_padding, without)


def test_unknown_quantization_is_refused(bert_and_batch):
    with pytest.raises(RuntimeError, match="quantization"):
        fast_encoder.FastEncoder.from_bert(bert_and_batch[0], "int4")


def test_pooled_by_layer_ends_with_the_sentence_vector_and_matches_bert_hidden_states(bert_and_batch):
    bert, padded, token_ids = bert_and_batch
    fast = fast_encoder.FastEncoder.from_bert(bert, "none")
    with torch.inference_mode():
        by_layer = fast.pooled_by_layer(token_ids)
        states = bert(**padded, output_hidden_states=True).hidden_states
    assert by_layer.shape == (len(TEXTS), len(states), bert.config.hidden_size)
    assert torch.equal(by_layer[:, -1], fast(token_ids))
    for index, state in enumerate(states):
        torch.testing.assert_close(by_layer[:, index], mean_pool(state, padded["attention_mask"]), atol=2e-5, rtol=1e-4)


def test_built_from_the_checkpoint_file_it_computes_what_the_loaded_bert_model_does(bert_and_batch):
    bert, _, token_ids = bert_and_batch
    state, config = loading.load_encoder_state()
    for quantization in fast_encoder.QUANTIZATIONS:
        with torch.inference_mode():
            from_file = fast_encoder.FastEncoder(state, config, quantization)(token_ids)
            from_bert = fast_encoder.FastEncoder.from_bert(bert, quantization)(token_ids)
        assert torch.equal(from_file, from_bert), quantization


def test_an_encoder_it_cannot_run_is_refused():
    state, config = loading.load_encoder_state()
    with pytest.raises(RuntimeError, match="gelu"):
        fast_encoder.FastEncoder(state, {**config, "hidden_act": "gelu_new"})
    with pytest.raises(RuntimeError, match="absolute"):
        fast_encoder.FastEncoder(state, {**config, "position_embedding_type": "relative_key"})


def test_loading_the_model_imports_no_transformers():
    # Importing transformers' modelling code costs about 115 MB of resident memory in every worker, and
    # AutoTokenizer 24 MB more after load: the runtime reads the checkpoint and tokenizer.json directly.
    statements = (
        "from apps.emotion import loading; loading.get_model().infer(['a calm and pleasant afternoon']);"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'transformers'))"
    )
    assert last_line_printed(statements) == "[]"


@pytest.mark.parametrize(
    ("features", "expected"),
    [
        ({"avx2": True, "avx512_vnni": True}, True),  # the Xeons the speed budget was met on
        ({"avx2": True, "avx_vnni": True}, True),
        ({"avx2": True, "amx_int8": True}, True),
        ({"avx2": True, "avx512_vnni": False}, False),  # an AVX2 EPYC: int8 12-15x slower than float32
        ({"architecture": "arm64", "neon": True}, False),  # unmeasured: float32
    ],
)
def test_int8_runs_only_where_the_cpu_has_an_int8_dot_product(monkeypatch, features, expected):
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: features)
    assert fast_encoder.int8_is_fast() is expected
    assert fast_encoder.quantization_for_this_cpu("int8") == ("int8" if expected else "none")
    assert fast_encoder.quantization_for_this_cpu("none") == "none"  # a float32 card is never quantised


def test_the_model_takes_the_cards_int8_only_where_it_is_fast_and_a_forced_choice_always(monkeypatch):
    from apps.emotion.emotion_model import EmotionModel

    assert EmotionModel().card["quantization"] == "int8"  # the shipped card
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"avx2": True})
    assert EmotionModel().quantization == "none"
    assert EmotionModel(quantization="int8").quantization == "int8"
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"avx2": True, "avx512_vnni": True})
    assert EmotionModel().quantization == "int8"


def test_the_process_model_follows_the_setting_and_says_how_it_runs(monkeypatch, settings):
    from prometheus_client import REGISTRY

    from apps.emotion import artifacts

    def loaded(quantization: str) -> float:
        labels = {"model_version": artifacts.read_card()["version"], "quantization": quantization}
        return REGISTRY.get_sample_value("spg_emotion_models_loaded", labels) or 0.0

    for forced in ("int8", "none"):  # whatever the CPU
        settings.EMOTION_QUANTIZATION = forced
        monkeypatch.setattr(loading, "_model", None)
        before = loaded(forced)
        model = loading.get_model()
        assert model.quantization == loading.loaded_quantization() == forced
        assert loaded(forced) == before + 1
