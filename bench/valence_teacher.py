"""Benchmark: does a larger encoder, fine-tuned on EmoBank, read valence better than the shipped model?

    .venv/bin/python bench/valence_teacher.py --encoder DIR [--trainable-layers 12] [--epochs 2]
    .venv/bin/python bench/valence_teacher.py --encoder DIR --speed-only
    .venv/bin/python bench/valence_teacher.py --encoder DIR --epochs 1 --label-out var/teacher/points.npz

Issue 14 asks for r(valence) >= 0.75 on EmoBank's held-out rows; every recipe on all-MiniLM-L6-v2
lands at 0.72-0.74. This measures the premise of the one route left, a training-time teacher: DIR is
a sentence-transformers checkpoint folder (measured with all-mpnet-base-v2); its top layers and a
linear valence/arousal head on its mean-pooled vector are fine-tuned on EmoBank's training rows, and
scored on its dev rows (the same split as `train_emotion`) after each epoch. `--speed-only` times the
encoder instead, as the runtime would use it: one tweet at a time (p50) and batches of 64.
`--label-out` then has the trained teacher read the valence/arousal of every text in the tweets' file
and GoEmotions' train split, for `train_emotion --teacher-points` (which learns them on its training
rows only). Nothing here runs in the app; EmoBank's held-out rows only report.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SEED = 13


def speed(tokenizer, encoder, torch, tweets: list[str]) -> None:
    """One text at a time (the p50 of 200) and batches of 64 similar-length texts, no gradients."""
    encoder.eval()
    with torch.inference_mode():
        for text in tweets[:5]:  # warm-up
            encoder(**tokenizer([text], return_tensors="pt"))
        latencies = []
        for text in tweets[:200]:
            started = time.perf_counter()
            encoder(**tokenizer([text], return_tensors="pt"))
            latencies.append(time.perf_counter() - started)
        order = sorted(range(len(tweets)), key=lambda i: len(tweets[i]))
        started = time.perf_counter()
        for start in range(0, len(order), 64):
            chunk = [tweets[i] for i in order[start : start + 64]]
            encoder(**tokenizer(chunk, padding=True, truncation=True, max_length=128, return_tensors="pt"))
        elapsed = time.perf_counter() - started
    print(f"one text p50 {statistics.median(latencies) * 1000:.1f} ms; batched {len(tweets) / elapsed:.0f} texts/s")


def mean_pooled(tokenizer, encoder, texts: list[str]):
    """The checkpoint's sentence vector: its last layer's states averaged over each text's tokens."""
    batch = tokenizer(texts, padding=True, truncation=True, max_length=128, return_tensors="pt")
    hidden = encoder(**batch).last_hidden_state
    weights = batch["attention_mask"].unsqueeze(-1).float()
    return (hidden * weights).sum(1) / weights.sum(1)


def epoch_plan(texts: list[str], epochs: int) -> list[list[np.ndarray]]:
    """Each epoch's batches of 32: the trainer's length buckets, by characters here."""
    from apps.emotion.training.trainer import length_bucketed_batches

    rng = np.random.default_rng(SEED)
    characters = np.asarray([len(text) for text in texts])
    return [length_bucketed_batches(np.arange(len(texts)), 32, rng, characters) for _ in range(epochs)]


def optimizer_and_schedule(torch, trainable: list, head, total: int):
    """AdamW (3e-5 for the encoder, 1e-3 for the head), linear warm-up over 5 % of the steps, then linear decay."""
    optimizer = torch.optim.AdamW(
        [{"params": trainable, "lr": 3e-5}, {"params": head.parameters(), "lr": 1e-3}], weight_decay=0.01
    )
    warmup = max(1, total // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup)))
    )
    return optimizer, scheduler


def optimise(torch, loss, optimizer, scheduler, parameters: list) -> None:
    """One step: the loss's gradients, clipped to norm 1, then the optimiser and the schedule."""
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(parameters, 1.0)
    optimizer.step()
    scheduler.step()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--encoder", required=True, help="a sentence-transformers checkpoint folder")
    parser.add_argument("--emobank", default=str(ROOT.parent / "shared/data/emobank/train.csv"))
    parser.add_argument("--trainable-layers", type=int, default=12)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tweets", default=str(ROOT.parent / "shared/data/text_emotion/train.csv"))
    parser.add_argument("--speed-only", action="store_true", help="time the encoder instead of training it")
    parser.add_argument(
        "--label-out",
        help="after training, write the teacher's valence/arousal for the tweets' and GoEmotions' training "
        "texts to this .npz (saved as it goes, in a random order, so a stopped run still leaves a sample)",
    )
    parser.add_argument("--goemotions", default=str(ROOT.parent / "shared/data/goemotions"))
    args = parser.parse_args()

    import torch
    from transformers import AutoModel, AutoTokenizer

    from apps.emotion.training import data as training_data
    from apps.emotion.training import metrics

    torch.manual_seed(SEED)
    torch.set_num_threads(args.threads)
    tokenizer = AutoTokenizer.from_pretrained(args.encoder)
    encoder = AutoModel.from_pretrained(args.encoder)
    if args.speed_only:
        speed(tokenizer, encoder, torch, training_data.load_emotion_csv(args.tweets).texts[:1280])
        return
    bank = training_data.load_emobank_csv(args.emobank)
    train_rows, held_rows = training_data.emobank_split(bank, 0.1, SEED)
    targets = np.stack([bank.valence, bank.arousal], axis=1).astype(np.float32)
    train_texts, held_texts = [bank.texts[i] for i in train_rows], [bank.texts[i] for i in held_rows]
    print(f"EmoBank: train {len(train_rows)}, held out {len(held_rows)}; encoder {Path(args.encoder).name}", flush=True)
    encoder.requires_grad_(False)
    layers = encoder.encoder.layer
    layers[len(layers) - args.trainable_layers :].requires_grad_(True)
    head = torch.nn.Linear(encoder.config.hidden_size, 2)

    def predict(texts: list[str]):
        return head(mean_pooled(tokenizer, encoder, texts))

    def held_out_r() -> tuple[float, float]:
        encoder.eval()
        order = sorted(range(len(held_texts)), key=lambda i: len(held_texts[i]))
        points = np.zeros((len(held_texts), 2))
        with torch.inference_mode():
            for start in range(0, len(order), 64):
                chunk = order[start : start + 64]
                points[chunk] = predict([held_texts[i] for i in chunk]).numpy()
        truth = targets[held_rows]
        return metrics.pearson(truth[:, 0], points[:, 0]), metrics.pearson(truth[:, 1], points[:, 1])

    trainable = [p for p in encoder.parameters() if p.requires_grad]
    plan = epoch_plan(train_texts, args.epochs)
    total = sum(len(epoch) for epoch in plan)
    optimizer, scheduler = optimizer_and_schedule(torch, trainable, head, total)
    started, step = time.time(), 0
    for epoch, batches in enumerate(plan, start=1):
        encoder.train()
        for batch in batches:
            target = torch.from_numpy(targets[train_rows[batch]])
            loss = torch.nn.functional.mse_loss(predict([train_texts[i] for i in batch]), target)
            optimise(torch, loss, optimizer, scheduler, trainable + list(head.parameters()))
            step += 1
            if step % 50 == 0:
                print(f"step {step}/{total}: {(time.time() - started) / step:.2f} s a batch", flush=True)
        valence, arousal = held_out_r()
        print(
            f"epoch {epoch}: held-out r(valence) {valence:.4f}, r(arousal) {arousal:.4f} "
            f"({time.time() - started:.0f} s)",
            flush=True,
        )
    if args.label_out:
        from apps.emotion.training import goemotions

        texts = training_data.load_emotion_csv(args.tweets).texts
        texts += goemotions.load_split(args.goemotions, "train").texts
        label(predict, torch, sorted(set(texts)), Path(args.label_out))


def label(predict, torch, texts: list[str], output: Path, chunk: int = 4096) -> None:
    """The teacher's points for `texts`, in chunks of a random order, each chunk length-sorted into
    batches of 64; the file is rewritten after every chunk."""
    order = np.random.default_rng(SEED).permutation(len(texts))
    done: list[int] = []
    points = np.zeros((len(texts), 2), dtype=np.float32)
    started = time.time()
    with torch.inference_mode():
        for start in range(0, len(order), chunk):
            part = sorted(order[start : start + chunk], key=lambda i: len(texts[i]))
            for offset in range(0, len(part), 64):
                rows = part[offset : offset + 64]
                points[rows] = predict([texts[i] for i in rows]).numpy()
            done += part
            np.savez(output, texts=np.asarray([texts[i] for i in done]), points=points[done])
            print(f"labelled {len(done)}/{len(texts)} ({time.time() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
