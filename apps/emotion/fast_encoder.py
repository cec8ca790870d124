"""The fast (packed, optionally int8) encoder inference runs: the same function as transformers' BertModel, leaner.

A batch is packed, not padded: the tokens of all its texts are rows of one matrix, so every Linear,
LayerNorm and GELU runs once over real tokens only, and attention runs per text over that text's own
tokens (no mask). Query, key and value are one fused Linear. Nothing
else (no dropout, no pooler, no output bookkeeping) runs. Training keeps BertModel's own layers; the
model card's metrics are measured through this path.

Int8: weights per output channel, activations per token row. Every operation is then either per row
(Linear, LayerNorm, GELU) or per text (attention, pooling), so a text's result is bit for bit the same
alone or in any batch. torch's dynamic quantisation uses one activation scale per batch, which moved a
text's probabilities by up to 0.03 depending on its batch-mates (and padded attention moves float32
results by ~1e-7, enough to flip int8 roundings). The int8 x int8 -> int32 product is
`torch._int_mm`, the kernel torchao's int8 dynamic quantisation uses on CPU too.

Imports torch at module level: only import this module lazily (see `apps.emotion.emotion_model`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apps.emotion import loading

torch = loading.import_torch()
F = torch.nn.functional

QUANTIZATIONS = ("none", "int8")
# CPU features with an int8 dot product (x86). Without one, torch._int_mm has no fast kernel: on an AVX2
# EPYC it read one text in 202 ms against float32's 13.9 ms (BENCHMARKS.md). ARM is unmeasured: float32.
_INT8_DOT_PRODUCT = ("avx512_vnni", "avx_vnni", "amx_int8")


def int8_is_fast() -> bool:
    """Whether this CPU runs the int8 path faster than float32 (it has int8 dot-product instructions)."""
    capabilities = torch.cpu.get_capabilities()
    return hasattr(torch, "_int_mm") and any(capabilities.get(feature, False) for feature in _INT8_DOT_PRODUCT)


def quantization_for_this_cpu(card_choice: str) -> str:
    """The model card's choice where it runs fast here, else float32 ("none")."""
    return "none" if card_choice == "int8" and not int8_is_fast() else card_choice


class Int8Linear(torch.nn.Module):
    """A frozen copy of a Linear layer computed in int8 (inference only)."""

    def __init__(self, source: torch.nn.Linear):
        super().__init__()
        weight = source.weight.detach().to(torch.float32)
        scale = weight.abs().amax(dim=1).clamp(min=1e-12) / 127.0
        self.in_features, self.out_features = source.in_features, source.out_features
        self.register_buffer("weight_t", torch.round(weight / scale[:, None]).to(torch.int8).t().contiguous())
        # An activation row quantised with 127 / row_max times this gives the float product back.
        self.register_buffer("column_scale", scale / 127.0)
        bias = source.bias.detach().to(torch.float32) if source.bias is not None else torch.zeros(self.out_features)
        self.register_buffer("bias", bias)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        rows = inputs.reshape(-1, self.in_features)
        # max |x| per row: two reductions beat abs().amax() and linalg.vector_norm(inf) several times over
        row_max = torch.maximum(rows.amax(dim=1, keepdim=True), rows.amin(dim=1, keepdim=True).neg_()).clamp_(min=1e-12)
        quantized = (rows * (127.0 / row_max)).round_().to(torch.int8)
        # In-place passes: measured faster than addcmul or a mixed-dtype multiply, which do not vectorise.
        out = torch._int_mm(quantized, self.weight_t).to(torch.float32)
        out.mul_(row_max).mul_(self.column_scale).add_(self.bias)
        return out.reshape(*inputs.shape[:-1], self.out_features)


def _linear(weight: torch.Tensor, bias: torch.Tensor) -> torch.nn.Linear:
    """A frozen Linear over these tensors (no random init, no copy)."""
    linear = torch.nn.utils.skip_init(torch.nn.Linear, weight.shape[1], weight.shape[0])
    linear.weight = torch.nn.Parameter(weight, requires_grad=False)
    linear.bias = torch.nn.Parameter(bias, requires_grad=False)
    return linear


def _dense(state: Mapping[str, torch.Tensor], *names: str) -> torch.nn.Linear:
    """The checkpoint's Linear `name`; with several names (same input), one Linear computing them side by side."""
    if len(names) == 1:
        return _linear(state[f"{names[0]}.weight"], state[f"{names[0]}.bias"])
    return _linear(torch.cat([state[f"{name}.weight"] for name in names]), torch.cat([state[f"{name}.bias"] for name in names]))


def _layer_norm(state: Mapping[str, torch.Tensor], name: str, eps: float) -> torch.nn.LayerNorm:
    norm = torch.nn.LayerNorm(state[f"{name}.weight"].shape[0], eps=eps)
    with torch.no_grad():
        norm.weight.copy_(state[f"{name}.weight"])
        norm.bias.copy_(state[f"{name}.bias"])
    return norm.requires_grad_(False)


class FastLayer(torch.nn.Module):
    """One BertLayer (post-norm attention + GELU feed-forward), inference only."""

    def __init__(self, state: Mapping[str, torch.Tensor], prefix: str, config: Mapping[str, Any], quantization: str):
        super().__init__()
        make = Int8Linear if quantization == "int8" else (lambda linear: linear)
        eps = float(config["layer_norm_eps"])
        self.heads = int(config["num_attention_heads"])
        self.scale = (int(config["hidden_size"]) // self.heads) ** -0.5
        attention = f"{prefix}attention."
        self.qkv = make(_dense(state, *(f"{attention}self.{part}" for part in ("query", "key", "value"))))
        self.attention_out = make(_dense(state, f"{attention}output.dense"))
        self.norm1 = _layer_norm(state, f"{attention}output.LayerNorm", eps)
        self.intermediate = make(_dense(state, f"{prefix}intermediate.dense"))
        self.out = make(_dense(state, f"{prefix}output.dense"))
        self.norm2 = _layer_norm(state, f"{prefix}output.LayerNorm", eps)

    def forward(self, hidden: torch.Tensor, spans: list[tuple[int, int]]) -> torch.Tensor:
        """hidden: (tokens, width), the texts' tokens packed; spans: each text's [start, end) rows."""
        width = hidden.shape[-1]
        qkv = self.qkv(hidden).view(-1, 3, self.heads, width // self.heads).transpose(0, 2)  # (heads, 3, tokens, d)
        parts = [self._attention(*qkv[:, :, start:end].unbind(1)) for start, end in spans]
        context = (parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)).transpose(0, 1).reshape(-1, width)
        hidden = self.norm1(self.attention_out(context) + hidden)
        inner = F.gelu(self.intermediate(_padded_rows(hidden)))[: hidden.shape[0]]
        return self.norm2(self.out(inner) + hidden)

    def _attention(self, query, key, value):
        """softmax(q k^T / sqrt(d)) v for one text (no mask): for these short sequences plain matmuls
        run about twice as fast as scaled_dot_product_attention's CPU kernels."""
        return torch.matmul(torch.matmul(query, key.transpose(-1, -2)).mul_(self.scale).softmax(dim=-1), value)


class FastEmbeddings(torch.nn.Module):
    """BertEmbeddings for one packed sequence: word + token type 0 + position, then LayerNorm, in
    BertEmbeddings' order of additions, so the results are the same bit for bit."""

    def __init__(self, state: Mapping[str, torch.Tensor], config: Mapping[str, Any]):
        super().__init__()
        self.register_buffer("words", state["embeddings.word_embeddings.weight"].to(torch.float32))
        self.register_buffer("positions", state["embeddings.position_embeddings.weight"].to(torch.float32))
        self.register_buffer("token_type", state["embeddings.token_type_embeddings.weight"][0].to(torch.float32))
        self.norm = _layer_norm(state, "embeddings.LayerNorm", float(config["layer_norm_eps"]))

    def forward(self, token_ids: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        return self.norm(F.embedding(token_ids, self.words) + self.token_type + F.embedding(positions, self.positions))


class FastEncoder(torch.nn.Module):
    """BertModel's embeddings and layers, then mean pooling: token ids -> sentence vectors.

    Built from a BERT state dict (BertModel's names) and its config.json: the runtime reads them from
    the checkpoint's safetensors without transformers' modelling code, whose import alone costs about
    115 MB of resident memory (measured in BENCHMARKS.md). `from_bert` re-packs a loaded BertModel.
    """

    def __init__(self, state: Mapping[str, torch.Tensor], config: Mapping[str, Any], quantization: str = "none"):
        super().__init__()
        if quantization not in QUANTIZATIONS:
            raise RuntimeError(f"Unknown quantization {quantization!r} (expected one of {QUANTIZATIONS}).")
        if quantization == "int8" and not hasattr(torch, "_int_mm"):
            raise RuntimeError("This torch build has no torch._int_mm: use quantization 'none'.")
        if config.get("hidden_act") != "gelu" or config.get("position_embedding_type", "absolute") != "absolute":
            raise RuntimeError("Unsupported encoder: expected the exact 'gelu' and absolute position embeddings.")
        self.embeddings = FastEmbeddings(state, config)
        self.layers = torch.nn.ModuleList(
            FastLayer(state, f"encoder.layer.{index}.", config, quantization)
            for index in range(int(config["num_hidden_layers"]))
        )
        self.eval()

    @classmethod
    def from_bert(cls, bert, quantization: str = "none") -> FastEncoder:
        """The same function as a loaded transformers BertModel (training, tests and benchmarks)."""
        return cls(bert.state_dict(), bert.config.to_dict(), quantization)

    def forward(self, token_ids: list[list[int]]) -> torch.Tensor:
        """Mean-pooled sentence vectors (texts, width) for tokenised texts (no padding)."""
        hidden, spans = self._embedded(token_ids)
        for layer in self.layers:
            hidden = layer(hidden, spans)
        return _pooled(hidden, spans)

    def pooled_by_layer(self, token_ids: list[list[int]]) -> torch.Tensor:
        """(texts, 1 + layers, width): each text's mean-pooled embeddings, then each layer's output
        (the last is ``forward``'s vector). For analysis (bench/emotion_heads.py), not the runtime."""
        hidden, spans = self._embedded(token_ids)
        pooled = [_pooled(hidden, spans)]
        for layer in self.layers:
            hidden = layer(hidden, spans)
            pooled.append(_pooled(hidden, spans))
        return torch.stack(pooled, dim=1)

    def _embedded(self, token_ids: list[list[int]]) -> tuple[torch.Tensor, list[tuple[int, int]]]:
        """The packed batch's embeddings (tokens, width) and each text's [start, end) rows."""
        spans, start = [], 0
        for ids in token_ids:
            spans.append((start, start + len(ids)))
            start += len(ids)
        flat = torch.tensor([token for ids in token_ids for token in ids], dtype=torch.long)
        positions = torch.cat([torch.arange(len(ids)) for ids in token_ids])
        return self.embeddings(flat, positions), spans


def gelu_rows(rows: int) -> int:
    """How many rows GELU runs over for `rows` tokens: a few fixed sizes (multiples of 8 up to 256, then
    eight steps an octave), at most 1/8 more than needed.

    torch runs GELU through oneDNN, which compiles a kernel for each distinct shape and keeps up to 1,024
    of them: with a shape per token count a worker grew by about 400 MB over 1,600 jobs (BENCHMARKS.md).
    Fixed sizes keep the kernels few and each compiled once."""
    step = 8 if rows <= 256 else 1 << (rows.bit_length() - 4)
    return -(-rows // step) * step


def _padded_rows(rows: torch.Tensor) -> torch.Tensor:
    """`rows` with zero rows appended up to `gelu_rows`. Every operation from here to the GELU is per
    row, so the real rows' results are the same bit for bit."""
    count = rows.shape[0]
    extra = gelu_rows(count) - count
    return torch.cat([rows, rows.new_zeros(extra, rows.shape[1])]) if extra else rows


def _pooled(hidden: torch.Tensor, spans: list[tuple[int, int]]) -> torch.Tensor:
    return torch.stack([hidden[start:end].mean(dim=0) for start, end in spans])
