"""Benchmark: which explanation of a reading agrees best with deleting the word, and what it costs.

    .venv/bin/python bench/explain.py [--texts 300] [--threads 2] [--format markdown|json]

Held-out texts (tweets the shipped model's card kept out, and GoEmotions' dev split) with 2 to 24
candidate words (the words the app can highlight: function words never are). Each method scores the
candidate words; then, through the shipped model (the app's own inference path), we delete the
method's top word (and its top 3 words) and measure how much the probability of the reading's top
emotion falls. The larger the fall, the more the method found the words the reading rests on; a
random candidate word is the floor. Methods:

- occlusion (what the app ships): the fall when each candidate word alone is removed, one batched pass;
- attention rollout (Abnar & Zuidema, 2020): float32 encoder with the fine-tuned layers, head-averaged
  attention plus identity, multiplied through the layers, read out by the mean pooling;
- gradient x input: d log p(top) / d embeddings, times the embeddings, summed per word;
- integrated gradients: the same along a straight path from the [PAD] embeddings, 16 steps.

Then the app's cost: p50 of a prediction with its words against one without (cache cleared).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_ENV", "local")  # a benchmark on a development machine

IG_STEPS = 16


def candidate_texts(count: int, seed: int) -> list[str]:
    """Half held-out tweets, half GoEmotions dev comments, with 2..24 candidate words each."""
    from apps.emotion import artifacts, services
    from apps.emotion.training import data as training_data
    from apps.emotion.training import goemotions

    card = artifacts.read_card()
    hyper = card["training"]["hyperparameters"]
    tweets = training_data.load_emotion_csv(ROOT.parent / "shared/data/text_emotion/train.csv")
    held = training_data.stratified_split(tweets.labels, float(hyper["holdout"]), int(hyper["seed"]))[1]
    dev = goemotions.load_split(ROOT.parent / "shared/data/goemotions", "dev")
    rng = random.Random(seed)
    chosen = []
    for pool in ([tweets.texts[i] for i in held], dev.texts):
        texts = [services.normalise(text) for text in pool]
        texts = [t for t in texts if 2 <= len(services.occlusion_units(services.words_of(t))) <= 24]
        chosen += rng.sample(texts, count // 2)
    return chosen


class FloatExplainer:
    """The shipped weights in transformers' float32 BertModel (eager attention), for gradients and attention."""

    def __init__(self):
        from safetensors.torch import load_file

        from apps.emotion import artifacts, loading
        from apps.emotion.heads import HEADS_PREFIX, EmotionHeads

        self.torch = loading.import_torch()
        folder = artifacts.model_dir()
        card = artifacts.read_card(folder)
        self.tokenizer = loading.load_tokenizer()
        self.bert = loading.load_encoder()
        self.bert.set_attn_implementation("eager")
        state = load_file(str(folder / card.get("weights_file", artifacts.WEIGHTS_FILE)))
        self.bert.load_state_dict({k: v.float() for k, v in state.items() if not k.startswith(HEADS_PREFIX)}, strict=False)
        self.heads = EmotionHeads()
        self.heads.load_state_dict({k[len(HEADS_PREFIX) :]: v for k, v in state.items() if k.startswith(HEADS_PREFIX)})
        self.bert.eval()
        self.heads.eval()

    def _encode(self, text: str):
        batch = self.tokenizer([text], truncation=True, max_length=256, return_offsets_mapping=True, return_tensors="pt")
        offsets = batch.pop("offset_mapping")[0].tolist()
        return batch, offsets

    def _log_top(self, embeddings, mask, top=None):
        out = self.bert(inputs_embeds=embeddings, attention_mask=mask, output_attentions=True)
        weights = mask.unsqueeze(-1).float()
        pooled = (out.last_hidden_state * weights).sum(1) / weights.sum(1)
        logits, _ = self.heads(pooled)
        log_p = self.torch.log_softmax(logits, dim=-1)[0]
        top = int(log_p.argmax()) if top is None else top
        return log_p[top], top, out.attentions

    def token_scores(self, text: str, method: str) -> tuple[list[float], list[tuple[int, int]]]:
        torch = self.torch
        batch, offsets = self._encode(text)
        embed = self.bert.embeddings.word_embeddings
        ids, mask = batch["input_ids"], batch["attention_mask"]
        if method == "attention rollout":
            with torch.no_grad():
                _, _, attentions = self._log_top(embed(ids), mask)
            size = ids.shape[1]
            rollout = torch.eye(size)
            for layer in attentions:
                mixed = 0.5 * layer[0].mean(0) + 0.5 * torch.eye(size)
                rollout = (mixed / mixed.sum(-1, keepdim=True)) @ rollout
            return rollout.mean(0).tolist(), offsets
        inputs = embed(ids).detach()
        if method == "gradient x input":
            inputs.requires_grad_(True)
            log_top, _, _ = self._log_top(inputs, mask)
            log_top.backward()
            return (inputs.grad * inputs).sum(-1)[0].tolist(), offsets
        # integrated gradients from the [PAD] embeddings (the special tokens stay as they are)
        baseline = embed(torch.full_like(ids, self.tokenizer.pad_token_id)).detach()
        special = torch.tensor([start == end for start, end in offsets]).view(1, -1, 1)
        baseline = torch.where(special, inputs, baseline)
        with torch.no_grad():
            _, top, _ = self._log_top(inputs, mask)
        total = torch.zeros_like(inputs)
        for step in range(1, IG_STEPS + 1):
            point = (baseline + step / IG_STEPS * (inputs - baseline)).requires_grad_(True)
            log_top, _, _ = self._log_top(point, mask, top)
            log_top.backward()
            total += point.grad
        return ((inputs - baseline) * total / IG_STEPS).sum(-1)[0].tolist(), offsets


def word_scores(text: str, token_scores: list[float], offsets, units) -> list[float]:
    """Sum the token scores of each candidate word (a token belongs to the word its first character is in)."""
    starts, position = [], 0
    for word in text.split(" "):
        starts.append((position, position + len(word)))
        position += len(word) + 1
    scores = [0.0] * len(units)
    for score, (begin, end) in zip(token_scores, offsets, strict=True):
        if begin == end:
            continue  # [CLS], [SEP]
        for index, (first, span) in enumerate(units):
            if starts[first][0] <= begin < starts[first + span - 1][1]:
                scores[index] += score
    return scores


def deletion_fall(model, text: str, units, order: list[int], top: int, keep_top: float) -> tuple[float, float]:
    """Fall of p(top emotion) after deleting the first 1 and the first 3 units of `order`."""
    words = text.split(" ")
    variants = []
    for k in (1, 3):
        dropped = {i for index in order[:k] for i in range(units[index][0], units[index][0] + units[index][1])}
        variants.append(" ".join(word for i, word in enumerate(words) if i not in dropped) or ".")
    outs = model.infer(variants)
    return keep_top - outs[0].probabilities[top], keep_top - outs[1].probabilities[top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=300)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown")
    args = parser.parse_args()

    import django

    from apps.core.embedded_redis import ensure_redis_url

    ensure_redis_url()
    django.setup()
    from django.core.cache import cache

    from apps.emotion import loading, services
    from apps.emotion.labels import EMOTIONS

    torch = loading.import_torch()
    torch.set_num_threads(args.threads)
    model = loading.get_model()
    explainer = FloatExplainer()
    texts = candidate_texts(args.texts, args.seed)
    rng = random.Random(args.seed)
    methods = ("occlusion", "attention rollout", "gradient x input", "integrated gradients")
    falls = {name: ([], []) for name in (*methods, "random word")}
    seconds = {name: [] for name in methods}
    agreement = {name: [] for name in methods}
    for text in texts:
        units = services.occlusion_units(services.words_of(text))
        full = model.infer([text])[0]
        top = max(range(len(EMOTIONS)), key=lambda i: full.probabilities[i])
        orders = {}
        for name in methods:
            started = time.perf_counter()
            if name == "occlusion":
                scores = [item.weight for item in sorted(services.word_influences(text)[1], key=lambda item: item.position)]
            else:
                scores = word_scores(text, *explainer.token_scores(text, name), units)
            seconds[name].append(time.perf_counter() - started)
            orders[name] = sorted(range(len(units)), key=lambda i: -scores[i])
        shuffled = list(range(len(units)))
        rng.shuffle(shuffled)
        orders["random word"] = shuffled
        for name, order in orders.items():
            one, three = deletion_fall(model, text, units, order, top, full.probabilities[top])
            falls[name][0].append(one)
            falls[name][1].append(three)
            if name in agreement:
                agreement[name].append(order[0] == orders["occlusion"][0])

    cost = {}
    for with_words in (False, True):
        times = []
        for text in texts:
            cache.clear()
            started = time.perf_counter()
            services.predict(text, with_words=with_words)
            times.append(time.perf_counter() - started)
        cost["with_words" if with_words else "without_words"] = statistics.median(times) * 1000
    results = {
        "texts": len(texts),
        "model_version": model.version,
        "threads": args.threads,
        "load_average_1min": os.getloadavg()[0],
        "methods": {
            name: {
                "fall_top1": statistics.fmean(falls[name][0]),
                "fall_top3": statistics.fmean(falls[name][1]),
                **({"ms_p50": statistics.median(seconds[name]) * 1000} if name in seconds else {}),
                **({"same_top_word_as_occlusion": statistics.fmean(agreement[name])} if name in agreement else {}),
            }
            for name in falls
        },
        "prediction_p50_ms": cost,
    }
    if args.format == "json":
        print(json.dumps(results, indent=2))
        return
    print(f"{results['texts']} held-out texts, model {results['model_version']}, {args.threads} torch threads, "
          f"load average {results['load_average_1min']:.1f}\n")
    print("| method | p(top) falls, top word deleted | top 3 words deleted | same top word as occlusion | ms per text p50 |")
    print("| --- | --- | --- | --- | --- |")
    for name, row in results["methods"].items():
        same = f"{row['same_top_word_as_occlusion']:.0%}" if "same_top_word_as_occlusion" in row else "—"
        ms = f"{row['ms_p50']:.1f}" if "ms_p50" in row else "—"
        print(f"| {name} | {row['fall_top1']:.3f} | {row['fall_top3']:.3f} | {same} | {ms} |")
    print(f"\nprediction p50 without words {cost['without_words']:.1f} ms, with words {cost['with_words']:.1f} ms: "
          f"{cost['with_words'] - cost['without_words']:.1f} ms extra")


if __name__ == "__main__":
    main()
