"""Benchmark: the encoder's matrix-product paths on this CPU, and how far each moves the readings.

    .venv/bin/python bench/emotion_cpu_paths.py [--threads 2] [--texts 300] [--paths none,int8,dynamic]

`none` is float32; `int8` the runtime's own (int8 weights per output channel, activations per token
row, `torch._int_mm`); `dynamic` torch's dynamic quantisation (fbgemm: activations scaled per call,
so per batch), which the runtime never uses. For each: model load, single-text p50 (the first
`--texts` held-out tweets), batch-32 throughput, and against float32 the share of texts whose top
emotion changes and the largest change of a probability. Which of `none` and `int8` the worker
picks on this CPU is printed first (`EMOTION_QUANTIZATION=auto`, `fast_encoder.int8_is_fast`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_ENV", "local")

LINEARS = ("qkv", "attention_out", "intermediate", "out")


def with_dynamic_int8(model, torch):
    """The encoder's Linear layers swapped for torch's dynamic-quantised ones (weights per output channel)."""
    for layer in model.encoder.layers:
        for name in LINEARS:
            linear = getattr(layer, name)
            weight = linear.weight.detach()
            scales = weight.abs().amax(dim=1).clamp(min=1e-12) / 127.0
            zero_points = torch.zeros(linear.out_features, dtype=torch.long)
            quantised = torch.ao.nn.quantized.dynamic.Linear(linear.in_features, linear.out_features)
            quantised.set_weight_bias(torch.quantize_per_channel(weight, scales, zero_points, 0, torch.qint8), linear.bias)
            setattr(layer, name, quantised)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared/data/text_emotion/train.csv"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--texts", type=int, default=300, help="held-out tweets timed one by one and compared")
    parser.add_argument("--batches", type=int, default=10, help="batches of 32 timed")
    parser.add_argument("--paths", default="none,int8,dynamic")
    args = parser.parse_args()

    import django

    django.setup()
    import numpy as np

    from apps.emotion import artifacts, fast_encoder
    from apps.emotion.emotion_model import EmotionModel
    from apps.emotion.loading import import_torch
    from apps.emotion.training import data as training_data

    torch = import_torch()
    torch.set_num_threads(args.threads)
    card = artifacts.read_card()
    hyper = card["training"]["hyperparameters"]
    tweets = training_data.load_emotion_csv(args.data)
    held = training_data.stratified_split(tweets.labels, float(hyper["holdout"]), int(hyper["seed"]))[1]
    texts = [tweets.texts[i] for i in held]
    singles, batched = texts[: args.texts], texts[args.texts : args.texts + 32 * args.batches]
    capabilities = torch.cpu.get_capabilities()
    print(
        f"CPU {capabilities.get('cpu_name', '?')}: avx2 {capabilities.get('avx2', False)}, avx512_vnni "
        f"{capabilities.get('avx512_vnni', False)}, avx_vnni {capabilities.get('avx_vnni', False)}, amx_int8 "
        f"{capabilities.get('amx_int8', False)}; the worker runs "
        f"{fast_encoder.quantization_for_this_cpu(card['quantization'])}; {args.threads} threads; "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    reference = None
    for path in args.paths.split(","):
        started = time.perf_counter()
        model = EmotionModel(quantization="none" if path == "dynamic" else path)
        if path == "dynamic":
            with_dynamic_int8(model, torch)
        load = time.perf_counter() - started
        model.infer(texts[:8])  # warm
        times, probabilities = [], []
        for text in singles:
            started = time.perf_counter()
            probabilities.append(model.infer([text])[0].probabilities)
            times.append(time.perf_counter() - started)
        started = time.perf_counter()
        for start in range(0, len(batched), 32):
            model.infer(batched[start : start + 32])
        rate = len(batched) / (time.perf_counter() - started)
        probabilities = np.asarray(probabilities)
        line = f"{path}: load {load:.2f} s, single p50 {statistics.median(times) * 1e3:.1f} ms, batch-32 {rate:.0f} texts/s"
        if reference is None:
            reference = probabilities
        else:
            changed = float((probabilities.argmax(1) != reference.argmax(1)).mean())
            line += f"; vs float32: top emotion changed for {changed:.1%}, largest probability change {np.abs(probabilities - reference).max():.3f}"
        print(line + f" (load average {os.getloadavg()[0]:.1f})", flush=True)


if __name__ == "__main__":
    main()
