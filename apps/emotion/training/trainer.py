"""Training the emotion heads (and optionally the encoder's top layers) reproducibly.

One run: read both files, hold out validation splits, encode (from the disk cache when possible),
train, pick the start-point blend on held-out EmoBank, save the weights, then check the saved model
through the real inference path (float32 and int8) and write the model card.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import softmax
from tqdm import tqdm

from apps.emotion import artifacts, loading
from apps.emotion.labels import EMOTION_POINTS, EMOTIONS
from apps.emotion.training import data as training_data
from apps.emotion.training import features, goemotions, metrics
from apps.emotion.training.model_card import TrainingRun, build_model_card, write_card

CACHE_LAYER = 4  # states after encoder layer 4 are cached; layers 5-6 may be fine-tuned
BLEND_GRID = [round(step * 0.1, 1) for step in range(11)]
PRIOR_GRID = [round(step * 0.1, 1) for step in range(11)]
# The prior correction may cost at most this much accuracy on the tuning split for its macro-F1 gain.
PRIOR_ACCURACY_SLACK = 0.0025
# int8 ships when it costs at most this much held-out accuracy against float32.
INT8_TOLERANCE = 0.005


@dataclass(frozen=True)
class TrainingConfig:
    seed: int = 13
    trainable_layers: int = 2
    epochs: int = 2
    batch_size: int = 32
    lr_layers: float = 5e-5
    lr_heads: float = 2e-3
    weight_decay: float = 0.01
    dropout: float = 0.1
    va_loss_weight: float = 0.5
    class_weight_power: float = 0.0
    label_smoothing: float = 0.0
    head_epochs: int = 30  # only when trainable_layers == 0: heads train alone on pooled vectors
    holdout: float = 0.1
    tune: float = 0.05  # share of the training rows kept back to pick the epoch and the class-prior correction
    max_length: int = 128
    quantize: str = "auto"  # auto | int8 | none
    # GoEmotions (only when a folder is given to `train`): mapped comments train the 13-way head with
    # class weights (count ** -power), and every comment trains an auxiliary 28-way multi-label head.
    goemotions_weight: float = 1.0
    goemotions_class_weight_power: float = 0.5
    aux_loss_weight: float = 0.5


@dataclass(frozen=True)
class TeacherPoints:
    """Valence/arousal that a larger model, fine-tuned on EmoBank's training rows, gave the tweets' and
    GoEmotions' texts (`bench/valence_teacher.py --label-out`): extra regression targets for their
    batches, so the valence head learns from far more text than EmoBank's (distillation). `axes` says
    which of the two it teaches (the other is left to EmoBank)."""

    path: Path
    weight: float = 0.5
    axes: tuple[str, ...] = ("valence", "arousal")

    def by_text(self) -> dict[str, np.ndarray]:
        """Each text's point; ValueError (a clear message) for a file that is not one of these."""
        try:
            with np.load(self.path) as stored:
                texts, points = stored["texts"].tolist(), stored["points"].astype(np.float32)
        except (OSError, EOFError, KeyError, TypeError, ValueError, zipfile.BadZipFile) as error:
            raise ValueError(f"{self.path.name} is not a teacher points file (.npz with texts and points).") from error
        if points.ndim != 2 or points.shape != (len(texts), 2) or not all(isinstance(text, str) for text in texts):
            raise ValueError(f"{self.path.name}: expected one text and one (valence, arousal) pair per row.")
        for column, axis in enumerate(("valence", "arousal")):
            if axis not in self.axes:
                points[:, column] = np.nan
        return dict(zip(texts, points, strict=True))

    def aligned(self, texts: list[str], by_text: dict[str, np.ndarray]) -> TeacherTargets:
        """The teacher's targets for a data set's rows (`texts`), NaN where a text has no point."""
        missing = np.full(2, np.nan, dtype=np.float32)
        points = np.stack([by_text.get(text, missing) for text in texts]) if texts else np.zeros((0, 2), np.float32)
        return TeacherTargets(points, self.weight)

    def card_entry(self, training_points: list[np.ndarray]) -> dict:
        """For the model card; `training_points`: the aligned points of the training rows, per data set."""
        used = sum(int((~np.isnan(points).all(axis=1)).sum()) for points in training_points)
        return {
            "file": self.path.name,
            "sha256": training_data.file_sha256(self.path),
            "weight": self.weight,
            "axes": list(self.axes),
            "training_texts_with_a_point": used,
        }


@dataclass(frozen=True)
class TeacherTargets:
    """One data set's teacher points, row by row ((rows, 2) float32; NaN where there is none, or on an
    axis not taught), and their loss weight."""

    points: np.ndarray
    weight: float

    def loss(self, va, batch):
        """Weighted mean squared distance of the regressor's points to the teacher's, over the values it has."""
        target = self.points[batch]
        known = ~np.isnan(target)
        if not known.any():
            return 0.0
        torch = loading.import_torch()
        return self.weight * torch.nn.functional.mse_loss(va[torch.from_numpy(known)], torch.from_numpy(target[known]))


def _points() -> np.ndarray:
    return np.asarray([EMOTION_POINTS[label] for label in EMOTIONS], dtype=np.float64)


def class_weighted_point(probabilities: np.ndarray) -> np.ndarray:
    """The original project's start point: the probability-weighted average of the emotions' points."""
    return probabilities @ _points()


def choose_blend(truth_v, truth_a, regressor: np.ndarray, weighted: np.ndarray) -> dict:
    """Per axis, the weight of the regressor (1.0) vs the class-weighted average (0.0) with the best Pearson r."""
    choice: dict = {"grid": {}}
    for axis, name, truth in ((0, "valence", truth_v), (1, "arousal", truth_a)):
        scores = {
            alpha: metrics.pearson(truth, alpha * regressor[:, axis] + (1 - alpha) * weighted[:, axis])
            for alpha in BLEND_GRID
        }
        best = max(scores, key=lambda alpha: (round(scores[alpha], 4), alpha))
        choice[f"alpha_{name}"] = best
        choice["grid"][name] = {str(alpha): round(score, 4) for alpha, score in scores.items()}
    return choice


def choose_prior_correction(
    labels: np.ndarray, logits: np.ndarray, log_prior: np.ndarray, extra: tuple[np.ndarray, np.ndarray] | None = None
) -> dict:
    """The tau of `logits - tau * log(prior)` with the best macro-F1 on the tuning split, among the taus
    that keep its accuracy within PRIOR_ACCURACY_SLACK of tau = 0. With `extra` (GoEmotions tuning
    labels and logits) the score is the mean of the tweets' macro-F1 and GoEmotions' mean class recall.

    Cross-entropy on skewed classes learns the class prior: rare emotions are almost never predicted.
    Subtracting a share of the log prior (logit adjustment) trades a little accuracy for recall on them.
    """
    reports, scores = {}, {}
    for tau in PRIOR_GRID:
        reports[tau] = metrics.classification_report(labels, softmax(logits - tau * log_prior, axis=1))
        scores[tau] = reports[tau]["macro_f1"]
        if extra is not None:
            mapped = goemotions.mapped_report(extra[0], softmax(extra[1] - tau * log_prior, axis=1))
            reports[tau]["goemotions_mean_class_recall"] = mapped["mean_class_recall"]
            scores[tau] = (scores[tau] + mapped["mean_class_recall"]) / 2
    floor = reports[0.0]["accuracy"] - PRIOR_ACCURACY_SLACK
    allowed = [tau for tau in PRIOR_GRID if reports[tau]["accuracy"] >= floor]
    best = max(allowed, key=lambda tau: (round(scores[tau], 4), -tau))
    return {
        "tau": best,
        "grid_on_tuning_split": {
            str(tau): {
                key: round(r[key], 4) for key in ("accuracy", "macro_f1", "goemotions_mean_class_recall") if key in r
            }
            for tau, r in reports.items()
        },
    }


def _log_prior(labels: np.ndarray) -> np.ndarray:
    counts = np.bincount(labels, minlength=len(EMOTIONS)).astype(np.float64)
    return np.log(np.maximum(counts, 1.0) / counts.sum())


def _seed_everything(seed: int) -> None:
    torch = loading.import_torch()
    np.random.seed(seed)
    torch.manual_seed(seed)


def _batches(indices: np.ndarray, size: int, rng: np.random.Generator) -> list[np.ndarray]:
    order = rng.permutation(indices)
    return [order[start : start + size] for start in range(0, len(order), size)]


def length_bucketed_batches(indices, size: int, rng: np.random.Generator, lengths: np.ndarray, window: int = 50) -> list:
    """Shuffled batches of similar-length texts (`lengths`: one per text, indexed like `indices`' values):
    much less padding to run through the encoder layers."""
    order = rng.permutation(indices)
    batches = []
    for start in range(0, len(order), size * window):
        chunk = order[start : start + size * window]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def _predict_cached(model, states: features.TokenStates, indices, batch_size: int = 128, logits: bool = False):
    """Probabilities (or logits) and regressor points from cached states (the training-time view of the model)."""
    torch = loading.import_torch()
    model.eval()
    probabilities, points = [], []
    with torch.inference_mode():
        positions = np.argsort(np.diff(states.offsets)[np.asarray(indices)], kind="stable")  # little padding
        order = [indices[p] for p in positions]
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            scores, va = model(*states.batch(chunk))
            probabilities.append((scores if logits else torch.softmax(scores, dim=-1)).numpy())
            points.append(va.numpy())
    inverse = np.argsort(positions)  # back to the order of `indices`
    return np.concatenate(probabilities)[inverse], np.concatenate(points)[inverse]


def _class_weights(labels: np.ndarray, power: float):
    torch = loading.import_torch()
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=len(EMOTIONS)).astype(np.float64)
    weights = np.where(counts > 0, np.maximum(counts, 1.0) ** -power, 0.0)
    weights = weights / (weights * counts).sum() * counts.sum()  # keeps the mean loss scale
    return torch.tensor(weights, dtype=torch.float32)


def _train_heads_only(model, tweets, emobank, tweet_labels, tweet_train, bank_train, bank_targets, config, progress):
    """Frozen encoder: pool once, then fit the two linear heads (seconds)."""
    torch = loading.import_torch()

    def pooled(states, indices, description):
        positions = np.argsort(np.diff(states.offsets)[indices], kind="stable")  # similar lengths: little padding
        order = np.asarray(indices)[positions]
        out = []
        with torch.inference_mode(), tqdm(total=len(order), desc=description, unit="text", disable=not progress) as bar:
            for start in range(0, len(order), 128):
                out.append(model.frozen_pooled(*states.batch(order[start : start + 128])))
                bar.update(len(out[-1]))
        return torch.cat(out)[torch.from_numpy(np.argsort(positions))]  # back to the order of `indices`

    tweet_x = pooled(tweets, tweet_train, "pooling emotion texts")
    bank_x = pooled(emobank, bank_train, "pooling EmoBank texts")
    tweet_y = torch.tensor(tweet_labels[tweet_train])
    bank_y = torch.tensor(bank_targets[bank_train], dtype=torch.float32)
    optimizer = torch.optim.AdamW(model.heads.parameters(), lr=config.lr_heads, weight_decay=config.weight_decay)
    ce = torch.nn.CrossEntropyLoss(weight=_class_weights(tweet_labels[tweet_train], config.class_weight_power))
    rng = np.random.default_rng(config.seed)
    model.heads.train()
    for _ in tqdm(range(config.head_epochs), desc="training heads", unit="epoch", disable=not progress):
        for batch in _batches(np.arange(len(tweet_x)), 256, rng):
            logits, _ = model.heads(tweet_x[batch])
            loss = ce(logits, tweet_y[batch])
            sample = rng.integers(0, len(bank_x), size=64)
            _, va = model.heads(bank_x[sample])
            loss = loss + config.va_loss_weight * torch.nn.functional.mse_loss(va, bank_y[sample])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


def _tuning_score(model, tweets, tweet_labels, tweet_tune, extra=None) -> dict:
    """Tweets' tuning metrics; with GoEmotions (`extra` = its states, mapped labels and tuning rows) also
    its mean class recall. `score` (what picks the epoch) is the tweets' accuracy, or with GoEmotions the
    mean of that and GoEmotions' mean class recall."""
    probabilities, _ = _predict_cached(model, tweets, list(tweet_tune))
    report = metrics.classification_report(tweet_labels[tweet_tune], probabilities)
    scores = {key: round(report[key], 4) for key in ("accuracy", "macro_f1", "top2_accuracy")}
    scores["score"] = scores["accuracy"]
    if extra is not None:
        states, mapped, rows = extra
        go_probabilities, _ = _predict_cached(model, states, list(rows))
        recall = goemotions.mapped_report(mapped[rows], go_probabilities)["mean_class_recall"]
        scores["goemotions_mean_class_recall"] = round(recall, 4)
        scores["score"] = round((scores["accuracy"] + recall) / 2, 4)
    return scores


@dataclass
class GoEmotionsTask:
    """GoEmotions' training rows in cached states, their targets, and the auxiliary head."""

    states: features.TokenStates
    mapped: np.ndarray  # int64 index into EMOTIONS, or goemotions.UNMAPPED
    multi_hot: np.ndarray  # (rows, 28) float32
    train: np.ndarray
    tune: np.ndarray
    teacher: TeacherTargets | None = None

    @property
    def train_labels(self) -> np.ndarray:
        """The 13-way labels of the training rows that map onto the 13 (what the 13-way head learns from)."""
        labels = self.mapped[self.train]
        return labels[labels != goemotions.UNMAPPED]

    def tuning(self):
        rows = self.tune[self.mapped[self.tune] != goemotions.UNMAPPED]
        return (self.states, self.mapped, rows) if len(rows) else None

    def loss(self, model, batch, ce, config: TrainingConfig):
        torch = loading.import_torch()
        pooled = model.pooled(*self.states.batch(batch))
        logits, va = model.heads(pooled)
        aux = model.aux(model.heads.dropout(pooled))
        target = torch.tensor(self.multi_hot[batch])
        loss = config.aux_loss_weight * torch.nn.functional.binary_cross_entropy_with_logits(aux, target)
        if self.teacher is not None:
            loss = loss + self.teacher.loss(va, batch)
        keep = self.mapped[batch] != goemotions.UNMAPPED
        if keep.any():
            rows = torch.from_numpy(np.flatnonzero(keep))
            loss = loss + config.goemotions_weight * ce(logits[rows], torch.tensor(self.mapped[batch][keep]))
        return loss


def _fine_tune(
    model, tweets, emobank, tweet_labels, tweet_train, bank_train, bank_targets, config, progress, tweet_tune=(), go=None,
    teacher=None,
) -> tuple[list[dict], int]:
    """Top layers + heads, multi-task: tweet batches teach emotions, EmoBank batches teach valence/arousal,
    and GoEmotions batches (with `go`) teach both the 13 emotions (mapped comments) and its own 28. With
    `teacher` (the tweets' TeacherTargets), tweet batches also teach valence/arousal.

    With a tuning split, the weights after each epoch are scored on it and the best epoch (tuning
    score) is kept. Returns the per-epoch tuning scores and the kept epoch (1-based).
    """
    torch = loading.import_torch()
    rng = np.random.default_rng(config.seed)
    head_params = list(model.heads.parameters()) + (list(model.aux.parameters()) if go is not None else [])
    layer_params = list(model.trainable.parameters())
    optimizer = torch.optim.AdamW(
        [{"params": layer_params, "lr": config.lr_layers}, {"params": head_params, "lr": config.lr_heads}],
        weight_decay=config.weight_decay,
    )
    ce = torch.nn.CrossEntropyLoss(
        weight=_class_weights(tweet_labels[tweet_train], config.class_weight_power), label_smoothing=config.label_smoothing
    )
    go_ce = None
    if go is not None:
        go_ce = torch.nn.CrossEntropyLoss(weight=_class_weights(go.train_labels, config.goemotions_class_weight_power))
    epochs: list[dict] = []
    best_state, kept = None, config.epochs
    steps_per_epoch = -(-len(tweet_train) // config.batch_size) + -(-len(bank_train) // config.batch_size)
    if go is not None:
        steps_per_epoch += -(-len(go.train) // config.batch_size)
    total = steps_per_epoch * config.epochs
    warmup = max(1, total // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup)))
    )
    with tqdm(total=total, desc="fine-tuning", unit="batch", disable=not progress) as bar:
        for _ in range(config.epochs):
            schedule = [("tweets", b) for b in length_bucketed_batches(tweet_train, config.batch_size, rng, tweets.lengths)]
            schedule += [("emobank", b) for b in length_bucketed_batches(bank_train, config.batch_size, rng, emobank.lengths)]
            if go is not None:
                schedule += [("goemotions", b) for b in length_bucketed_batches(go.train, config.batch_size, rng, go.states.lengths)]
            model.train()
            for position in rng.permutation(len(schedule)):
                source, batch = schedule[position]
                if source == "tweets":
                    logits, va = model(*tweets.batch(batch))
                    loss = ce(logits, torch.tensor(tweet_labels[batch]))
                    if teacher is not None:
                        loss = loss + teacher.loss(va, batch)
                elif source == "goemotions":
                    loss = go.loss(model, batch, go_ce, config)
                else:
                    _, va = model(*emobank.batch(batch))
                    target = torch.tensor(bank_targets[batch], dtype=torch.float32)
                    loss = config.va_loss_weight * torch.nn.functional.mse_loss(va, target)
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                bar.update(1)
            if len(tweet_tune):
                extra = go.tuning() if go is not None else None
                epochs.append(_tuning_score(model, tweets, tweet_labels, tweet_tune, extra))
                if best_state is None or epochs[-1]["score"] > epochs[kept - 1]["score"]:
                    best_state, kept = {k: v.detach().clone() for k, v in model.state_dict().items()}, len(epochs)
    if best_state is not None:
        model.load_state_dict(best_state)
    return epochs, kept


def _held_out_report(predictor, emotion_texts, emotion_labels, bank_texts, bank_v, bank_a, go_dev=None) -> dict:
    """Metrics of a runtime predictor (the real inference path) on the held-out texts (and, with `go_dev`,
    GoEmotions' dev split mapped onto the 13)."""
    emotion_out = predictor.infer(emotion_texts)
    bank_out = predictor.infer(bank_texts)
    probabilities = np.asarray([out.probabilities for out in emotion_out])
    report = {"emotion": metrics.classification_report(emotion_labels, probabilities)}
    if bank_texts:
        report["emobank"] = point_reports(bank_out, bank_v, bank_a)
    if go_dev is not None:
        report["goemotions"] = goemotions.evaluate(predictor.infer, go_dev)[0]
    return report


def point_reports(outputs, valence, arousal) -> dict:
    """Regression reports of the three candidate points (start point, regressor, class-weighted average)
    of inference outputs against the true valence and arousal."""
    start = np.asarray([out.start_point for out in outputs])
    regressor = np.asarray([out.regressor_point for out in outputs])
    weighted = class_weighted_point(np.asarray([out.probabilities for out in outputs]))
    return {
        "start_point": metrics.regression_report(valence, arousal, start[:, 0], start[:, 1]),
        "regressor": metrics.regression_report(valence, arousal, regressor[:, 0], regressor[:, 1]),
        "class_weighted": metrics.regression_report(valence, arousal, weighted[:, 0], weighted[:, 1]),
    }


def train(
    emotion_csv: str | Path,
    emobank_csv: str | Path,
    output_dir: str | Path,
    config: TrainingConfig = TrainingConfig(),
    cache_dir: Path | None = None,
    progress: bool = True,
    log=print,
    goemotions_dir: str | Path | None = None,
    teacher: TeacherPoints | None = None,
) -> dict:
    """Train, save weights and model card into output_dir, and return the card.

    With `goemotions_dir`, GoEmotions' train split is a third task (5 % of it kept back for tuning) and
    its dev split is held out and reported. With `teacher`, its points are extra valence/arousal targets
    for the tweets' and GoEmotions' training batches (fine-tuning only)."""
    _seed_everything(config.seed)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    cache_dir = cache_dir or artifacts.cache_dir()
    data = training_data.split_training_data(emotion_csv, emobank_csv, config.holdout, config.tune, config.seed)
    log(data.summary())
    if not config.trainable_layers and goemotions_dir is not None:  # refused before any encoding
        raise ValueError("GoEmotions needs fine-tuned layers: set --trainable-layers above 0.")
    if not config.trainable_layers and teacher is not None:
        raise ValueError("Teacher points need fine-tuned layers: set --trainable-layers above 0.")
    teacher_by_text = teacher.by_text() if teacher is not None else None  # a bad file fails before any encoding

    layer_count = loading.encoder_layer_count()
    start_layer = min(CACHE_LAYER, layer_count - config.trainable_layers)
    common = {"split_layer": start_layer, "cache_dir": cache_dir, "max_length": config.max_length, "progress": progress}
    tweet_states = features.token_states(data.tweets.texts, description="encoding emotion texts", **common)
    bank_states = features.token_states(data.bank.texts, description="encoding EmoBank texts", **common)
    go, go_train, go_dev = None, None, None
    if goemotions_dir is not None:
        go_train, go_dev = goemotions.load_split(goemotions_dir, "train"), goemotions.load_split(goemotions_dir, "dev")
        go = _goemotions_task(go_train, config, features.token_states(go_train.texts, description="encoding GoEmotions", **common))
        log(f"GoEmotions: train {len(go.train)} ({len(go.train_labels)} mapped onto the 13), tuning "
            f"{len(go.tune)}, dev {len(go_dev.texts)} ({len(goemotions.mapped_rows(go_dev))} mapped); "
            f"{go_train.skipped + go_dev.skipped} rows skipped")

    teacher_entry, tweet_teacher = None, None
    if teacher is not None:
        tweet_teacher = teacher.aligned(data.tweets.texts, teacher_by_text)
        if go is not None:
            go.teacher = teacher.aligned(go_train.texts, teacher_by_text)
        used = [tweet_teacher.points[data.tweet_train]] + ([go.teacher.points[go.train]] if go is not None else [])
        teacher_entry = teacher.card_entry(used)
        log(f"teacher points for {teacher_entry['training_texts_with_a_point']} training texts, weight {teacher.weight}")

    model = _new_model(start_layer, config, go_train.names if go_train else None)
    tuning_by_epoch, kept_epoch = _fit(model, data, tweet_states, bank_states, config, progress, log, go, tweet_teacher)
    prior = _correct_class_prior(model, data, tweet_states, log, go)
    blend = _choose_start_point(model, data, bank_states, log)
    weights_sha = _save_weights(model, output_dir)
    run = TrainingRun(
        config, Path(emotion_csv), Path(emobank_csv), data, layer_count, weights_sha, blend, prior, tuning_by_epoch,
        kept_epoch, goemotions=_goemotions_entry(goemotions_dir, config, go, go_train, go_dev), teacher=teacher_entry,
    )
    card = build_model_card(run, created=dt.datetime.now(dt.UTC).replace(microsecond=0))
    write_card(output_dir, card)
    return assess(output_dir, card, data.tweets, data.tweet_held, data.bank, data.bank_held, config.quantize, log, go_dev)


def _goemotions_task(go_train: goemotions.GoEmotionsData, config: TrainingConfig, states) -> GoEmotionsTask:
    """Its rows split into training and a seeded, stratified tuning share (the unmapped as one group)."""
    mapped = np.asarray(go_train.mapped, dtype=np.int64)
    fit, tune = training_data.stratified_split(mapped.tolist(), config.tune, config.seed)
    return GoEmotionsTask(states=states, mapped=mapped, multi_hot=go_train.multi_hot(), train=fit, tune=tune)


def _goemotions_entry(folder, config: TrainingConfig, go: GoEmotionsTask | None, go_train, go_dev) -> dict | None:
    if go is None:
        return None
    folder = Path(folder)
    return {
        "folder": folder.name,
        "train_sha256": training_data.file_sha256(folder / "train.tsv"),
        "dev_sha256": training_data.file_sha256(folder / "dev.tsv"),
        "rows": len(go_train.texts),
        "skipped_rows": go_train.skipped + go_dev.skipped,
        "train": len(go.train),
        "train_mapped": len(go.train_labels),
        "tuning": len(go.tune),
        "held_out": len(go_dev.texts),
        "held_out_mapped": len(goemotions.mapped_rows(go_dev)),
        "split": f"{config.tune:.0%} of train.tsv kept back for tuning (stratified, seed {config.seed}); dev.tsv held out",
        "mapping": dict(goemotions.GOEMOTIONS_TO_EMOTIONS),
        "mapping_rule": "a comment is mapped only when all its labels map to the same one of the 13",
        "auxiliary_head": f"{len(go_train.names)}-way multi-label on every comment, used in training only",
    }


def _new_model(start_layer: int, config: TrainingConfig, aux_labels: tuple[str, ...] | None = None):
    """The encoder's layers from `start_layer` up (the top `trainable_layers` trainable) with fresh heads
    (and, with `aux_labels`, GoEmotions' auxiliary head, which is never saved)."""
    from apps.emotion.heads import EmotionHeads
    from apps.emotion.training.upper_encoder import UpperEncoder

    torch = loading.import_torch()
    model = UpperEncoder(loading.load_encoder(), start_layer, config.trainable_layers, dropout=config.dropout)
    torch.manual_seed(config.seed)  # the heads' initialisation depends on the seed only
    model.heads = EmotionHeads(dropout=config.dropout)
    if aux_labels:
        model.aux = torch.nn.Linear(loading.HIDDEN_SIZE, len(aux_labels))
    return model


def _fit(
    model, data: training_data.TrainingSplits, tweet_states, bank_states, config: TrainingConfig, progress, log, go=None,
    teacher=None,
):
    """Fine-tune (the top layers and the heads) or train the heads alone; (tuning scores by epoch, kept epoch)."""
    splits = (data.tweet_labels, data.tweet_train, data.bank_train, data.bank_targets, config, progress)
    if not config.trainable_layers:  # `train` refuses GoEmotions and teacher points without fine-tuned layers
        _train_heads_only(model, tweet_states, bank_states, *splits)
        return [], config.epochs
    tuning_by_epoch, kept_epoch = _fine_tune(model, tweet_states, bank_states, *splits, tweet_tune=data.tweet_tune, go=go, teacher=teacher)
    if tuning_by_epoch:
        log(f"tuning split by epoch: {tuning_by_epoch}; kept epoch {kept_epoch}")
    return tuning_by_epoch, kept_epoch


def _correct_class_prior(model, data: training_data.TrainingSplits, tweet_states, log, go=None) -> dict:
    """Choose the class-prior correction on the tuning split (none without one) and fold it into the bias.

    The prior is the 13-way head's training mix: the tweets plus, with GoEmotions, its mapped comments."""
    if not len(data.tweet_tune):
        return {"tau": 0.0}
    torch = loading.import_torch()
    seen = data.tweet_labels[data.tweet_train]
    extra = None
    if go is not None:
        seen = np.concatenate([seen, go.train_labels])
        tuning = go.tuning()
        if tuning is not None:
            states, mapped, rows = tuning
            extra = (mapped[rows], _predict_cached(model, states, list(rows), logits=True)[0])
    log_prior = _log_prior(seen)
    tune_logits, _ = _predict_cached(model, tweet_states, list(data.tweet_tune), logits=True)
    prior = choose_prior_correction(data.tweet_labels[data.tweet_tune], tune_logits, log_prior, extra)
    with torch.no_grad():  # folded into the classifier's bias: inference needs no change
        model.heads.emotion.bias -= torch.tensor(prior["tau"] * log_prior, dtype=torch.float32)
    log(f"class-prior correction: tau {prior['tau']} (0 = none), chosen on {len(data.tweet_tune)} tuning rows")
    return prior


def _choose_start_point(model, data: training_data.TrainingSplits, bank_states, log) -> dict:
    """The start-point blend, chosen on held-out EmoBank (the only data with valence/arousal truth)."""
    bank_eval = data.bank_held if len(data.bank_held) else data.bank_train
    bank_probabilities, bank_regressor = _predict_cached(model, bank_states, list(bank_eval))
    truth_v, truth_a = data.bank_targets[bank_eval, 0], data.bank_targets[bank_eval, 1]
    blend = choose_blend(truth_v, truth_a, bank_regressor, class_weighted_point(bank_probabilities))
    log(f"start point blend (1 = regressor only): valence {blend['alpha_valence']}, arousal {blend['alpha_arousal']}")
    return blend


def _save_weights(model, output_dir: Path) -> str:
    """Save what ships (fine-tuned layers and heads); returns the file's sha256."""
    from safetensors.torch import save_file

    weights_path = output_dir / artifacts.WEIGHTS_FILE
    save_file(model.shipped_state(), str(weights_path))
    return training_data.file_sha256(weights_path)


def assess(output_dir, card, tweets_data, tweet_held, bank_data, bank_held, quantize: str, log=print, go_dev=None) -> dict:
    """Evaluate the saved model through the inference path (float32, int8), choose what ships, write the card.

    int8 ships when it costs at most INT8_TOLERANCE of held-out accuracy. The version names the weights
    and the numeric form, since both change predictions (and the version keys the prediction cache).
    """
    from apps.emotion.emotion_model import EmotionModel

    labels = np.asarray(tweets_data.labels, dtype=np.int64)[tweet_held]
    held_texts = [tweets_data.texts[i] for i in tweet_held]
    bank_texts = [bank_data.texts[i] for i in bank_held]
    bank_v, bank_a = np.asarray(bank_data.valence)[bank_held], np.asarray(bank_data.arousal)[bank_held]
    reports = {}
    for mode in ("none", "int8") if quantize == "auto" else (quantize,):
        log(f"evaluating the saved model on held-out data ({mode})")
        predictor = EmotionModel(Path(output_dir), quantization=mode)
        reports[mode] = _held_out_report(predictor, held_texts, labels, bank_texts, bank_v, bank_a, go_dev)
    chosen = quantize
    if chosen == "auto":
        loss = reports["none"]["emotion"]["accuracy"] - reports["int8"]["emotion"]["accuracy"]
        chosen = "int8" if loss <= INT8_TOLERANCE else "none"
    card.setdefault("version_base", card["version"])
    card["version"] = f"{card['version_base']}-{'int8' if chosen == 'int8' else 'fp32'}"
    card["quantization"] = chosen
    card["metrics"] = {
        "held_out": reports[chosen],
        "accuracy_by_quantization": {mode: report["emotion"]["accuracy"] for mode, report in reports.items()},
        "int8_tolerance": INT8_TOLERANCE,
        "int8_inference": "int8 weights per output channel, int8 activations per token row (batch-independent)",
    }
    write_card(Path(output_dir), card)
    return card


def reassess(emotion_csv, emobank_csv, output_dir, quantize: str = "auto", log=print, goemotions_dir=None) -> dict:
    """Re-run `assess` on an already trained model folder (same held-out split, from its card)."""
    output_dir = Path(output_dir)
    card = artifacts.read_card(output_dir)
    hyper = card["training"]["hyperparameters"]
    seed, holdout = int(hyper["seed"]), float(hyper["holdout"])
    tweets_data = training_data.load_emotion_csv(emotion_csv)
    bank_data = training_data.load_emobank_csv(emobank_csv)
    if training_data.file_sha256(emotion_csv) != card["training"]["data"]["emotion"]["sha256"]:
        raise ValueError("The emotion file differs from the one the model was trained on: its hold-out would leak.")
    tweet_held = training_data.stratified_split(tweets_data.labels, holdout, seed)[1]
    bank_held = training_data.emobank_split(bank_data, holdout, seed)[1]
    go_dev = goemotions.load_split(goemotions_dir, "dev") if goemotions_dir is not None else None
    return assess(output_dir, dict(card), tweets_data, tweet_held, bank_data, bank_held, quantize, log, go_dev)

