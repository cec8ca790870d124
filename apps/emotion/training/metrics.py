"""Evaluation metrics: 13-way classification and valence/arousal correlation."""

from __future__ import annotations

import numpy as np
from scipy.stats import pearsonr
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from apps.emotion.labels import EMOTIONS


def classification_report(labels: np.ndarray, probabilities: np.ndarray) -> dict:
    """Accuracy, macro-F1, top-2 accuracy, per-class precision/recall/F1/support and the confusion matrix."""
    labels = np.asarray(labels)
    predicted = probabilities.argmax(axis=1)
    top2 = np.argsort(-probabilities, axis=1)[:, :2]
    every = list(range(len(EMOTIONS)))
    precision, recall, f1, support = precision_recall_fscore_support(labels, predicted, labels=every, zero_division=0)
    return {
        "samples": int(len(labels)),
        "accuracy": float(accuracy_score(labels, predicted)),
        "macro_f1": float(f1_score(labels, predicted, labels=every, average="macro", zero_division=0)),
        "top2_accuracy": float((top2 == labels[:, None]).any(axis=1).mean()),
        "per_class": {
            label: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, label in enumerate(EMOTIONS)
        },
        "confusion_matrix": {
            "labels": list(EMOTIONS),
            "rows_true_columns_predicted": confusion_matrix(labels, predicted, labels=every).tolist(),
        },
    }


def pearson(truth, predicted) -> float:
    truth, predicted = np.asarray(truth, dtype=float), np.asarray(predicted, dtype=float)
    if len(truth) < 2 or truth.std() == 0 or predicted.std() == 0:
        return 0.0
    return float(pearsonr(truth, predicted).statistic)


def regression_report(valence, arousal, predicted_valence, predicted_arousal) -> dict:
    return {
        "samples": int(len(valence)),
        "pearson_valence": pearson(valence, predicted_valence),
        "pearson_arousal": pearson(arousal, predicted_arousal),
        "mae_valence": float(np.mean(np.abs(np.asarray(valence) - np.asarray(predicted_valence)))),
        "mae_arousal": float(np.mean(np.abs(np.asarray(arousal) - np.asarray(predicted_arousal)))),
    }
