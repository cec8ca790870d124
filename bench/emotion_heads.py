"""Benchmark: can the shipped model's heads alone reach issue 14's missed targets? (no encoder training)

    .venv/bin/python bench/emotion_heads.py [--threads 1] [--format markdown|json]

The shipped encoder's pooled vectors (through the runtime, int8 as shipped) are computed once for every
split its card names and kept in var/emotion-heads/<model version>.npz. Then, in about two minutes:

- valence/arousal: a ridge regression refit on EmoBank's training rows (alpha chosen by 5-fold
  cross-validation on those rows) against the shipped head, both scored on EmoBank's held-out rows;
  then the same ridge on every layer's pooled vector side by side (does an earlier layer keep valence
  the top layer lost?), and an RBF kernel ridge on the top layer's (is the head too simple?);
- relief: a bias added to relief's logit, against the tweets (tuning and held-out shares) and GoEmotions
  (tuning share and dev, mapped onto the 13);
- a bound, not a candidate: the best any per-class bias on the 13 emotion logits could do, with the
  13 biases fitted on the held-out rows themselves (coordinate ascent from several starts). If even
  that misses a target, no decision rule over the shipped reading (prior correction, thresholds, a
  bias per class) can meet it: the features must change.

Apart from that bound, the held-out rows only report: nothing else here is chosen on them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_ENV", "local")  # a benchmark on a development machine

RIDGE_ALPHAS = (1.0, 10.0, 100.0, 300.0, 1000.0)
RELIEF_SHIFTS = (0.0, 0.5, 1.0, 1.5, 2.0)
KERNEL_SETTINGS = tuple((alpha, gamma) for alpha in (1.0, 3.0, 10.0) for gamma in (0.5, 1.0, 2.0))  # (alpha, gamma)


def pooled_vectors(model, texts: list[str], torch, every_layer: bool = False) -> np.ndarray:
    """The encoder's pooled vector of every text (the heads' input), in the order of `texts`; with
    `every_layer`, each layer's too: (texts, embeddings + layers, width), the last the heads' input."""
    encode = model.encoder.pooled_by_layer if every_layer else model.encoder
    order = np.argsort([len(text) for text in texts], kind="stable")  # similar lengths: little padding
    out = []
    with torch.inference_mode():
        for start in range(0, len(texts), 64):
            chunk = [texts[i] for i in order[start : start + 64]]
            ids = model.token_ids(chunk)[0]
            out.append(encode(ids).float().numpy())
    return np.concatenate(out)[np.argsort(order)]


def features(args) -> dict:
    """Every split's pooled vectors and labels, from the cache when the model version matches."""
    import django

    django.setup()
    from apps.emotion import loading
    from apps.emotion.emotion_model import EmotionModel
    from apps.emotion.training import data as training_data
    from apps.emotion.training import goemotions

    torch = loading.import_torch()
    torch.set_num_threads(args.threads)
    model = EmotionModel()
    path = ROOT / "var" / "emotion-heads" / f"{model.version}.npz"
    if path.exists():
        with np.load(path) as cached:
            if "bank_layers_x" in cached.files:  # a cache from before the per-layer vectors is rebuilt
                return dict(cached) | {"version": model.version}
    hyper = model.card["training"]["hyperparameters"]
    seed, holdout, tune = int(hyper["seed"]), float(hyper["holdout"]), float(hyper["tune"])
    data = training_data.split_training_data(args.data, args.emobank, holdout, tune, seed)
    go_train, go_dev = goemotions.load_split(args.goemotions, "train"), goemotions.load_split(args.goemotions, "dev")
    go_mapped = np.asarray(go_train.mapped, dtype=np.int64)
    go_tune = training_data.stratified_split(go_mapped.tolist(), tune, seed)[1]
    bank_layers = pooled_vectors(model, data.bank.texts, torch, every_layer=True)
    arrays = {
        "tweets_x": pooled_vectors(model, data.tweets.texts, torch),
        "tweets_y": data.tweet_labels, "tweets_tune": data.tweet_tune, "tweets_held": data.tweet_held,
        "bank_x": bank_layers[:, -1], "bank_layers_x": bank_layers,  # one pass: the last layer is the heads' input
        "bank_y": data.bank_targets, "bank_train": data.bank_train, "bank_held": data.bank_held,
        "go_tune_x": pooled_vectors(model, [go_train.texts[i] for i in go_tune], torch),
        "go_tune_y": go_mapped[go_tune],
        "go_dev_x": pooled_vectors(model, go_dev.texts, torch),
        "go_dev_y": np.asarray(go_dev.mapped, dtype=np.int64),
        "emotion_w": model.heads.emotion.weight.detach().numpy(), "emotion_b": model.heads.emotion.bias.detach().numpy(),
        "va_w": model.heads.valence_arousal.weight.detach().numpy(),
        "va_b": model.heads.valence_arousal.bias.detach().numpy(),
        "alpha": np.asarray(model.alpha),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    return arrays | {"version": model.version}


def valence_arousal(f: dict) -> dict:
    from sklearn.kernel_ridge import KernelRidge
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import KFold

    from apps.emotion.training.metrics import pearson

    x, y, train, held = f["bank_x"], f["bank_y"], f["bank_train"], f["bank_held"]
    shipped = x[held] @ f["va_w"].T + f["va_b"]
    report = {"shipped_head": [round(pearson(y[held, k], shipped[:, k]), 4) for k in (0, 1)], "ridge": {}}
    for alpha in RIDGE_ALPHAS:
        folds = []
        for fit, check in KFold(5, shuffle=True, random_state=0).split(train):
            guess = Ridge(alpha=alpha).fit(x[train[fit]], y[train[fit]]).predict(x[train[check]])
            folds.append([pearson(y[train[check], k], guess[:, k]) for k in (0, 1)])
        guess = Ridge(alpha=alpha).fit(x[train], y[train]).predict(x[held])
        report["ridge"][alpha] = {
            "cv_on_train": [round(v, 4) for v in np.mean(folds, axis=0)],
            "held_out": [round(pearson(y[held, k], guess[:, k]), 4) for k in (0, 1)],
        }
    report["ridge_chosen_by_cv"] = {
        axis: max(RIDGE_ALPHAS, key=lambda a: report["ridge"][a]["cv_on_train"][k])
        for k, axis in enumerate(("valence", "arousal"))
    }
    layers = f["bank_layers_x"]
    top = layers.shape[1] - 1
    report["valence_by_layers"] = {
        name: _chosen_by_cv(lambda alpha: Ridge(alpha=alpha), RIDGE_ALPHAS, layers[:, combo].reshape(len(layers), -1), y[:, 0], train, held)
        for name, combo in (("top layer", [top]), ("top 2", [top - 1, top]), ("top 3", [top - 2, top - 1, top]),
                            ("embeddings + top", [0, top]), ("all", list(range(top + 1))))
    }
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    report["valence_kernel_ridge"] = _chosen_by_cv(
        lambda setting: KernelRidge(alpha=setting[0], kernel="rbf", gamma=setting[1]), KERNEL_SETTINGS, unit, y[:, 0], train, held, folds=3
    )
    return report


def _chosen_by_cv(make, settings, x, y, train, held, folds: int = 5) -> dict:
    """The setting with the best mean fold r on the training rows, refit on all of them, scored held out."""
    from sklearn.model_selection import KFold

    from apps.emotion.training.metrics import pearson

    def cv(setting) -> float:
        splits = KFold(folds, shuffle=True, random_state=0).split(train)
        return float(np.mean([pearson(y[train[c]], make(setting).fit(x[train[a]], y[train[a]]).predict(x[train[c]])) for a, c in splits]))

    scores = {setting: cv(setting) for setting in settings}
    best = max(settings, key=scores.get)
    held_r = pearson(y[held], make(best).fit(x[train], y[train]).predict(x[held]))
    return {"setting": best, "cv_on_train": round(scores[best], 4), "held_out": round(held_r, 4)}


def _emotion_logits(f: dict, x: np.ndarray) -> np.ndarray:
    """The shipped 13-way head's logits for pooled vectors `x`."""
    return x @ f["emotion_w"].T + f["emotion_b"]


def relief_bias(f: dict) -> dict:
    from apps.emotion.labels import EMOTIONS
    from apps.emotion.training import goemotions, metrics

    relief = EMOTIONS.index("relief")
    mapped = f["go_tune_y"] != goemotions.UNMAPPED
    dev_mapped = f["go_dev_y"] != goemotions.UNMAPPED

    def logits(x, shift):
        scores = _emotion_logits(f, x)
        scores[:, relief] += shift
        return scores

    rows = {}
    for shift in RELIEF_SHIFTS:
        tweets = {}
        for name in ("tune", "held"):
            idx = f[f"tweets_{name}"]
            r = metrics.classification_report(f["tweets_y"][idx], logits(f["tweets_x"][idx], shift))
            tweets[name] = {k: round(r[k], 4) for k in ("accuracy", "macro_f1", "top2_accuracy")}
        go = {}
        for name, x, y in (("tune", f["go_tune_x"][mapped], f["go_tune_y"][mapped]),
                           ("dev", f["go_dev_x"][dev_mapped], f["go_dev_y"][dev_mapped])):
            r = goemotions.mapped_report(y, logits(x, shift))
            go[name] = {
                "accuracy": round(r["accuracy"], 4), "mean_class_recall": round(r["mean_class_recall"], 4),
                "lowest_class_recall": round(r["lowest_class_recall"], 4),
                "relief_recall": round(r["per_class"]["relief"]["recall"], 4),
                "relief_support": r["per_class"]["relief"]["support"],
            }
        rows[shift] = {"tweets": tweets, "goemotions": go}
    return rows


BOUND_GRID = np.round(np.arange(-4.0, 4.0001, 0.05), 2)
BOUND_RANDOM_STARTS = 4
BOUND_ROUNDS = 4
BOUND_CASES = {  # name: (tweets accuracy, tweets top-2, GoEmotions dev accuracy / mean recall / lowest recall)
    "tweets macro-F1 alone": (0.0, 0.0, None),
    "macro-F1 with accuracy >= 0.40 and top-2 >= 0.62": (0.40, 0.62, None),
    "the same, and GoEmotions dev >= 0.60 / 0.55 / 0.25": (0.40, 0.62, (0.60, 0.55, 0.25)),
}


def _rule_scores(z: np.ndarray, y: np.ndarray) -> tuple[float, float, float, np.ndarray]:
    """Accuracy, macro-F1 over the 13, top-2 and per-class recall (NaN where absent) of logits `z`;
    the same numbers as `metrics.classification_report`, fast enough for a search."""
    classes = z.shape[1]
    rank = (z > z[np.arange(len(y)), y][:, None]).sum(axis=1)  # classes scored above the true one
    predicted = z.argmax(axis=1)
    confusion = np.bincount(y * classes + predicted, minlength=classes * classes).reshape(classes, classes)
    hits, support, called = np.diag(confusion), confusion.sum(axis=1), confusion.sum(axis=0)
    f1 = np.divide(2 * hits, support + called, out=np.zeros(classes), where=(support + called) > 0)
    recall = np.divide(hits, support, out=np.full(classes, np.nan), where=support > 0)
    return float((rank == 0).mean()), float(f1.mean()), float((rank <= 1).mean()), recall


def bias_bound(f: dict) -> dict:
    """The tweets' best held-out macro-F1 under each case's constraints, over every vector of 13 biases
    added to the shipped head's logits, fitted on the held-out rows (tweets, and GoEmotions dev where the
    case constrains it): coordinate ascent over BOUND_GRID from the zero vector, three prior corrections
    and a few seeded random starts; the best start is reported."""
    from apps.emotion.training import goemotions

    held = f["tweets_held"]
    tweets_z, tweets_y = _emotion_logits(f, f["tweets_x"][held]), f["tweets_y"][held]
    dev = f["go_dev_y"] != goemotions.UNMAPPED
    go_z, go_y = _emotion_logits(f, f["go_dev_x"][dev]), f["go_dev_y"][dev]
    fitted = np.ones(len(f["tweets_y"]), dtype=bool)
    fitted[held], fitted[f["tweets_tune"]] = False, False
    prior = np.bincount(f["tweets_y"][fitted], minlength=tweets_z.shape[1]) / fitted.sum()
    rng = np.random.default_rng(0)
    starts = [-tau * np.log(prior) for tau in (0.0, 0.3, 0.6, 1.0)]
    starts += [rng.normal(0.0, 1.0, tweets_z.shape[1]) for _ in range(BOUND_RANDOM_STARTS)]

    def go_scores(bias):
        accuracy, _, _, recall = _rule_scores(go_z + bias, go_y)
        present = recall[~np.isnan(recall)]
        return accuracy, float(present.mean()), float(present.min())

    def objective(bias, case) -> tuple[float, float]:
        """(minus the constraints' total shortfall, macro-F1), compared in that order: meeting the
        constraints comes first, however small the shortfall (one tweet of top-2 is 0.0003)."""
        accuracy_min, top2_min, go_min = case
        accuracy, f1, top2, _ = _rule_scores(tweets_z + bias, tweets_y)
        shortfall = max(0.0, accuracy_min - accuracy) + max(0.0, top2_min - top2)
        if go_min is not None:
            shortfall += sum(max(0.0, want - got) for want, got in zip(go_min, go_scores(bias), strict=True))
        return -round(shortfall, 9), round(f1, 9)

    def ascend(bias, case):
        best = objective(bias, case)
        for _ in range(BOUND_ROUNDS):
            improved = False
            for label in rng.permutation(len(bias)):
                for value in BOUND_GRID:
                    trial = bias.copy()
                    trial[label] = value
                    score = objective(trial, case)
                    if score > best:
                        best, bias, improved = score, trial, True
            if not improved:
                break
        return best, bias

    def row(bias) -> dict:
        accuracy, f1, top2, _ = _rule_scores(tweets_z + bias, tweets_y)
        go = dict(zip(("accuracy", "mean_class_recall", "lowest_class_recall"), go_scores(bias), strict=True))
        # five places: a constraint can be missed by one tweet of 3,205 (0.00031)
        return {"tweets_held": {"accuracy": round(accuracy, 5), "macro_f1": round(f1, 4), "top2_accuracy": round(top2, 5)},
                "goemotions_dev": {name: round(value, 4) for name, value in go.items()}}

    report = {"shipped (no bias)": row(np.zeros(tweets_z.shape[1]))}
    for name, case in BOUND_CASES.items():
        best, bias = max((ascend(start, case) for start in starts), key=lambda found: found[0])  # ascend never mutates
        report[name] = row(bias) | {"constraints_met": best[0] == 0, "bias": [round(float(b), 2) for b in bias]}
    return report


def markdown(report: dict) -> str:
    va = report["valence_arousal"]
    lines = [f"model {report['model']}", "", "| valence/arousal head | r(V) held out | r(A) held out | r(V) / r(A) 5-fold CV on train |",
             "|---|---|---|---|", f"| shipped head | {va['shipped_head'][0]} | {va['shipped_head'][1]} | — |"]
    for alpha, r in va["ridge"].items():
        lines.append(f"| ridge refit, alpha {alpha:g} | {r['held_out'][0]} | {r['held_out'][1]} | "
                     f"{r['cv_on_train'][0]} / {r['cv_on_train'][1]} |")
    lines += ["", f"ridge alpha chosen by CV: {va['ridge_chosen_by_cv']}", "",
              "| valence head on | setting chosen by CV | r(V) CV on train | r(V) held out |", "|---|---|---|---|"]
    for name, r in va["valence_by_layers"].items():
        lines.append(f"| ridge, pooled {name} | alpha {r['setting']:g} | {r['cv_on_train']} | {r['held_out']} |")
    kr = va["valence_kernel_ridge"]
    lines += [f"| RBF kernel ridge, top layer (unit length) | alpha {kr['setting'][0]:g}, gamma {kr['setting'][1]:g} | "
              f"{kr['cv_on_train']} | {kr['held_out']} |", "",
              "| relief bias | tweets tune acc / F1 | tweets held acc / F1 / top-2 | GoE tune relief recall (n) "
              "| GoE dev acc / mean / lowest | GoE dev relief recall (n) |", "|---|---|---|---|---|---|"]
    for shift, r in report["relief_bias"].items():
        tune, held = r["tweets"]["tune"], r["tweets"]["held"]
        gt, gd = r["goemotions"]["tune"], r["goemotions"]["dev"]
        lines.append(
            f"| +{shift:g} | {tune['accuracy']} / {tune['macro_f1']} | {held['accuracy']} / {held['macro_f1']} / "
            f"{held['top2_accuracy']} | {gt['relief_recall']} ({gt['relief_support']}) | {gd['accuracy']} / "
            f"{gd['mean_class_recall']} / {gd['lowest_class_recall']} | {gd['relief_recall']} ({gd['relief_support']}) |"
        )
    lines += ["", "Bound: 13 biases fitted on the held-out rows (not a candidate)", "",
              "| best macro-F1 under | constraints met | tweets held acc / F1 / top-2 | GoE dev acc / mean / lowest |", "|---|---|---|---|"]
    for name, r in report["bias_bound"].items():
        tweets, go = r["tweets_held"], r["goemotions_dev"]
        met = {True: "yes", False: "no"}.get(r.get("constraints_met"), "—")  # the shipped row has no constraints
        lines.append(f"| {name} | {met} | {tweets['accuracy']} / {tweets['macro_f1']} / "
                     f"{tweets['top2_accuracy']} | {go['accuracy']} / {go['mean_class_recall']} / {go['lowest_class_recall']} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT.parent / "shared/data/text_emotion/train.csv"))
    parser.add_argument("--emobank", default=str(ROOT.parent / "shared/data/emobank/train.csv"))
    parser.add_argument("--goemotions", default=str(ROOT.parent / "shared/data/goemotions"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown")
    args = parser.parse_args()
    f = features(args)
    report = {"model": f["version"], "valence_arousal": valence_arousal(f), "relief_bias": relief_bias(f), "bias_bound": bias_bound(f)}
    print(json.dumps(report, indent=2) if args.format == "json" else markdown(report))


if __name__ == "__main__":
    main()
