"""Benchmark: the shipped MiniLM emotion model against the original project's method, same split.

    .venv/bin/python bench/emotion.py [--threads 2] [--format markdown|json] [--skip-baseline]

Accuracy: both models on the held-out rows that the shipped model's card kept out of training
(stratified hold-out of text_emotion/train.csv; EmoBank's dev split), and the shipped model on
GoEmotions' dev split mapped onto the 13 (`apps/emotion/training/goemotions.py`). How sure: how well
the halo radius tracks the start point's real error on EmoBank, and how accurate the sure and the
unsure readings are. Speed: the shipped model through its runtime (no prediction cache), warm, in
this process: single texts, batches of 32, then `--jobs` worker jobs (a text and its words, as the
emotion task runs them) and the resident memory after them, once the worker is idle, and at its peak.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_ENV", "local")  # a benchmark on a development machine


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def file_backed_mb() -> float:
    """The part of RSS that is pages of files (torch's libraries, the memory-mapped checkpoint): clean
    pages the kernel shares between workers and can drop, unlike the process's own heap."""
    return psutil.Process().memory_info().shared / 2**20


def peak_rss_mb() -> float | None:
    """The most this process has held resident so far (Linux's VmHWM), or None elsewhere."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def rss_mb_once_idle(model, patience: float = 3.0) -> float:
    """RSS once the worker has sat idle long enough to hand its freed heap back: on glibc, until its idle
    trim (apps/emotion/heap.py) runs; on jemalloc, 2 s (deploy/with-jemalloc's decay is 1 s)."""
    trimmer, trims = model.heap_trimmer, model.heap_trimmer.trims
    if not trimmer.enabled:
        time.sleep(2.0)
        return rss_mb()
    deadline = time.monotonic() + patience
    while trimmer.trims == trims and time.monotonic() < deadline:
        time.sleep(0.05)
    return rss_mb()


def baseline(train_texts, train_labels, test_texts, bank_texts, seed: int, epochs: int):
    """The original: lowercase, stop words out, Porter stems, counts, dense 256-128-64 with dropout."""
    import numpy as np
    import torch
    from nltk.stem import PorterStemmer
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    stemmer = PorterStemmer()

    def preprocess(text: str) -> str:
        words = [word for word in text.lower().split() if word not in ENGLISH_STOP_WORDS]
        return " ".join(stemmer.stem(word) for word in words)

    vectorizer = CountVectorizer(max_features=5000)
    x_train = vectorizer.fit_transform([preprocess(t) for t in train_texts]).toarray().astype(np.float32)
    torch.manual_seed(seed)
    network = torch.nn.Sequential(
        torch.nn.Linear(x_train.shape[1], 256), torch.nn.ReLU(), torch.nn.Dropout(0.5),
        torch.nn.Linear(256, 128), torch.nn.ReLU(), torch.nn.Dropout(0.5),
        torch.nn.Linear(128, 64), torch.nn.ReLU(), torch.nn.Dropout(0.5),
        torch.nn.Linear(64, 13),
    )
    optimizer = torch.optim.Adam(network.parameters(), lr=1e-3)
    x, y = torch.from_numpy(x_train), torch.tensor(train_labels)
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    for _ in range(epochs):
        network.train()
        for batch in np.array_split(rng.permutation(len(y)), max(1, len(y) // 64)):
            loss = torch.nn.functional.cross_entropy(network(x[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    train_seconds = time.perf_counter() - started
    network.eval()

    def predict(texts):
        features = vectorizer.transform([preprocess(t) for t in texts]).toarray().astype(np.float32)
        with torch.inference_mode():
            return torch.softmax(network(torch.from_numpy(features)), dim=-1).numpy()

    single = []
    with torch.inference_mode():
        for text in test_texts[:200]:
            begin = time.perf_counter()
            predict([text])
            single.append(time.perf_counter() - begin)
    return predict(test_texts), predict(bank_texts) if bank_texts else None, train_seconds, single


def how_sure(outputs, error=None, correct=None) -> dict:
    """The halo radius against what went wrong: Spearman r with the start point's distance from the truth
    (EmoBank), or accuracy of the sure vs the unsure readings (labelled texts)."""
    import numpy as np
    from scipy.stats import spearmanr

    from apps.emotion.confidence import UNSURE_BELOW, confidence_of, halo_radius
    from apps.emotion.labels import EMOTIONS

    radii = np.asarray([halo_radius(dict(zip(EMOTIONS, o.probabilities, strict=True)), o.start_point) for o in outputs])
    unsure = np.asarray([confidence_of(r) < UNSURE_BELOW for r in radii])
    report = {"halo_radius_p50": float(np.median(radii)), "unsure_share": float(unsure.mean())}
    if error is not None:
        report["spearman_radius_vs_error"] = float(spearmanr(radii, error).statistic)
        report["error_p50_sure"] = float(np.median(error[~unsure])) if (~unsure).any() else None
        report["error_p50_unsure"] = float(np.median(error[unsure])) if unsure.any() else None
    if correct is not None:
        report["accuracy_sure"] = float(correct[~unsure].mean()) if (~unsure).any() else None
        report["accuracy_unsure"] = float(correct[unsure].mean()) if unsure.any() else None
    return report


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT.parent / "shared/data/text_emotion/train.csv"))
    parser.add_argument("--emobank", default=str(ROOT.parent / "shared/data/emobank/train.csv"))
    parser.add_argument("--goemotions", default=str(ROOT.parent / "shared/data/goemotions"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--baseline-epochs", type=int, default=5)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--speed-only", action="store_true", help="only the speed numbers of the shipped model")
    parser.add_argument("--jobs", type=int, default=1000, help="worker jobs (a text and its words) to time")
    parser.add_argument(
        "--quantization", choices=("int8", "none"), default=None,
        help="default: the worker's own choice (the card's int8 where this CPU has an int8 dot product, else float32)",
    )
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown")
    args = parser.parse_args()

    import django

    from apps.core.embedded_redis import ensure_redis_url

    ensure_redis_url()  # the cache's Redis: an embedded one when REDIS_URL is unset
    django.setup()
    import numpy as np

    from apps.emotion import artifacts
    from apps.emotion.training import data as training_data
    from apps.emotion.training import goemotions
    # The data first, so that the resident memory measured below is the model's and its runs' alone.
    hyper = artifacts.read_card(artifacts.model_dir())["training"]["hyperparameters"]
    seed, holdout = int(hyper["seed"]), float(hyper["holdout"])
    tweets = training_data.load_emotion_csv(args.data)
    bank = training_data.load_emobank_csv(args.emobank)
    train_idx, held_idx = training_data.stratified_split(tweets.labels, holdout, seed)
    bank_held = training_data.emobank_split(bank, holdout, seed)[1]
    labels = np.asarray(tweets.labels)
    held_texts = [tweets.texts[i] for i in held_idx]
    bank_texts = [bank.texts[i] for i in bank_held]
    bank_v, bank_a = np.asarray(bank.valence)[bank_held], np.asarray(bank.arousal)[bank_held]

    rss_before = rss_mb()
    begin = time.perf_counter()
    from apps.emotion.loading import import_torch

    torch = import_torch()

    torch.set_num_threads(args.threads)
    imports_seconds = time.perf_counter() - begin
    from apps.emotion import loading, services
    from apps.emotion.emotion_model import EmotionModel
    from apps.emotion.heap import ALLOCATOR

    begin = time.perf_counter()
    # The process's own model (the one the emotion task uses) unless another quantisation is asked for.
    if args.quantization is None:
        model = loading.get_model()
    else:
        model = EmotionModel(artifacts.model_dir(), quantization=args.quantization)
    load_seconds = time.perf_counter() - begin
    rss_loaded = rss_mb()

    # Speed first (warm, no cache): single short texts, then batches of 32.
    model.infer(["warm up"] * 4)
    singles = []
    for text in held_texts[:300]:
        started = time.perf_counter()
        model.infer([text])
        singles.append(time.perf_counter() - started)
    batch_texts = held_texts[300:300 + 32 * 20]
    started = time.perf_counter()
    for start in range(0, len(batch_texts), 32):
        model.infer(batch_texts[start : start + 32])
    throughput = len(batch_texts) / (time.perf_counter() - started)
    rss_after_batches = rss_mb()

    # A worker's jobs, as the emotion task runs them: each text with its words (one pass over the text
    # and the text without each of its words), no cache. Only with the process's own model.
    jobs = []
    job_texts = (held_texts * (1 + args.jobs // len(held_texts)))[: args.jobs] if args.quantization is None else []
    for text in job_texts:
        started = time.perf_counter()
        services.word_influences(text)
        jobs.append(time.perf_counter() - started)

    speed = {
        "imports_s": imports_seconds,
        "model_load_s": load_seconds,
        "single_p50_ms": statistics.median(singles) * 1000,
        "single_p99_ms": percentile(singles, 0.99) * 1000,
        "batch32_texts_per_s": throughput,
        "rss_mb_before": rss_before,
        "rss_mb_loaded": rss_loaded,
        "rss_mb_after": rss_after_batches,
        "jobs_with_words": len(jobs),
        "job_with_words_p50_ms": statistics.median(jobs) * 1000 if jobs else None,
        "rss_mb_after_jobs": rss_mb(),
        "rss_mb_after_jobs_file_backed": file_backed_mb(),
        "rss_mb_idle": rss_mb_once_idle(model),
        "rss_mb_peak": peak_rss_mb(),
        "load_average_1min": os.getloadavg()[0],
    }
    if args.speed_only:
        print(json.dumps({"model_version": model.version, "quantization": model.quantization,
                          "allocator": ALLOCATOR, "threads": args.threads, "speed": speed}, indent=2))
        return

    # Imported only now: the speed numbers above measure what a worker loads, and scikit-learn (which
    # the metrics use) alone holds about 80 MB that no worker ever imports.
    from apps.emotion.training.metrics import classification_report, regression_report
    from apps.emotion.training.trainer import class_weighted_point

    ours = model.infer(held_texts)
    ours_bank = model.infer(bank_texts)
    ours_probabilities = np.asarray([out.probabilities for out in ours])
    bank_probabilities = np.asarray([out.probabilities for out in ours_bank])
    start_points = np.asarray([out.start_point for out in ours_bank])
    weighted = class_weighted_point(bank_probabilities)
    go_dev = goemotions.load_split(args.goemotions, "dev")
    go_report, go_labels, go_out = goemotions.evaluate(model.infer, go_dev)
    truth = np.stack([bank_v, bank_a], axis=1)
    sureness = {
        "emobank": how_sure(ours_bank, error=np.linalg.norm(start_points - truth, axis=1)),
        "tweets": how_sure(ours, correct=ours_probabilities.argmax(axis=1) == labels[held_idx]),
        "goemotions": how_sure(go_out, correct=np.asarray([o.probabilities for o in go_out]).argmax(axis=1) == go_labels),
    }
    results = {
        "model_version": model.version,
        "quantization": model.quantization,
        "allocator": ALLOCATOR,
        "threads": args.threads,
        "held_out_texts": len(held_texts),
        "held_out_emobank": len(bank_texts),
        "ours": {
            "emotion": classification_report(labels[held_idx], ours_probabilities),
            "emobank_start_point": regression_report(bank_v, bank_a, start_points[:, 0], start_points[:, 1]),
            "emobank_class_weighted": regression_report(bank_v, bank_a, weighted[:, 0], weighted[:, 1]),
            "goemotions": go_report,
            "how_sure": sureness,
        },
        "speed": speed,
    }
    if not args.skip_baseline:
        base_probs, base_bank, base_train_s, base_single = baseline(
            [tweets.texts[i] for i in train_idx], labels[train_idx].tolist(), held_texts, bank_texts,
            seed, args.baseline_epochs,
        )
        base_weighted = class_weighted_point(base_bank)
        results["baseline"] = {
            "emotion": classification_report(labels[held_idx], base_probs),
            "emobank_class_weighted": regression_report(bank_v, bank_a, base_weighted[:, 0], base_weighted[:, 1]),
            "train_s": base_train_s,
            "single_p50_ms": statistics.median(base_single) * 1000,
        }
    results["ours"]["goemotions"].pop("confusion_matrix", None)
    for report in (results["ours"], results.get("baseline", {})):
        if "emotion" in report:
            report["emotion"].pop("confusion_matrix", None)
    if args.format == "json":
        print(json.dumps(results, indent=2))
    else:
        print(markdown(results))


def markdown(results: dict) -> str:
    rows = ["| approach | accuracy | macro-F1 | top-2 | r(valence) EmoBank | r(arousal) EmoBank |", "| --- | --- | --- | --- | --- | --- |"]

    def row(name, emotion, bank):
        return (f"| {name} | {emotion['accuracy']:.3f} | {emotion['macro_f1']:.3f} | {emotion['top2_accuracy']:.3f} | "
                f"{bank['pearson_valence']:.3f} | {bank['pearson_arousal']:.3f} |")

    if "baseline" in results:
        base = results["baseline"]
        rows.append(row("original method (bag of words + dense 256-128-64), class-weighted start point",
                        base["emotion"], base["emobank_class_weighted"]))
    ours = results["ours"]
    rows.append(row(f"ours ({results['model_version']}, {results['quantization']}), class-weighted start point",
                    ours["emotion"], ours["emobank_class_weighted"]))
    rows.append(row(f"ours ({results['model_version']}, {results['quantization']}), shipped start point",
                    ours["emotion"], ours["emobank_start_point"]))
    go = ours["goemotions"]
    rows += [
        "",
        f"GoEmotions dev mapped onto the 13 ({go['samples']} comments): accuracy {go['accuracy']:.3f}, mean class "
        f"recall {go['mean_class_recall']:.3f}, lowest class recall {go['lowest_class_recall']:.3f}",
        "",
        "| recall on GoEmotions dev | " + " | ".join(go["mapped_classes"]) + " |",
        "| --- |" + " --- |" * len(go["mapped_classes"]),
        "| shipped | " + " | ".join(f"{go['per_class'][c]['recall']:.2f}" for c in go["mapped_classes"]) + " |",
        "",
        "| how sure | halo radius p50 | unsure | Spearman r(radius, error) | sure / unsure: error p50 or accuracy |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, sure in ours["how_sure"].items():
        if "spearman_radius_vs_error" in sure:
            split = f"{_fmt(sure['error_p50_sure'])} / {_fmt(sure['error_p50_unsure'])} plane units"
            spearman = f"{sure['spearman_radius_vs_error']:.3f}"
        else:
            split, spearman = f"{_fmt(sure['accuracy_sure'])} / {_fmt(sure['accuracy_unsure'])}", "—"
        rows.append(f"| {name} | {sure['halo_radius_p50']:.2f} | {sure['unsure_share']:.0%} | {spearman} | {split} |")
    speed = results["speed"]
    rows += [
        "",
        f"held-out: {results['held_out_texts']} tweets, {results['held_out_emobank']} EmoBank sentences; "
        f"torch threads {results['threads']}, allocator {results['allocator']}",
        "",
        "| speed | value |",
        "| --- | --- |",
        f"| imports (torch) | {speed['imports_s']:.2f} s |",
        f"| model load (tokenizer, encoder, heads, quantisation) | {speed['model_load_s']:.2f} s |",
        f"| single text p50 / p99 | {speed['single_p50_ms']:.2f} ms / {speed['single_p99_ms']:.2f} ms |",
        f"| batch-32 throughput | {speed['batch32_texts_per_s']:.0f} texts/s |",
        f"| RSS after load / after the speed runs | {speed['rss_mb_loaded']:.0f} MB / {speed['rss_mb_after']:.0f} MB |",
        f"| {speed['jobs_with_words']} jobs with words: p50 / RSS after | "
        f"{speed['job_with_words_p50_ms'] or float('nan'):.1f} ms / {speed['rss_mb_after_jobs']:.0f} MB "
        f"({speed['rss_mb_after_jobs_file_backed']:.0f} MB of it file-backed) |",
        f"| RSS once idle / peak (VmHWM) | {speed['rss_mb_idle']:.0f} MB / "
        f"{'—' if speed['rss_mb_peak'] is None else round(speed['rss_mb_peak'])} MB |",
        f"| machine load average (1 min) during the run | {speed['load_average_1min']:.1f} |",
    ]
    if "baseline" in results:
        rows.append(f"| baseline single text p50 | {results['baseline']['single_p50_ms']:.2f} ms |")
    return "\n".join(rows)


def _fmt(value) -> str:
    return "—" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    main()
