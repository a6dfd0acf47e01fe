"""Evaluation metrics for both heads, in plain numpy (shared by training validation and
``model.evaluate``). Rows without a label (smile NaN, emotion -1) are ignored, so a
mixed-label set can be passed as it is."""
from __future__ import annotations

import numpy as np

from model.labels import EMOTIONS, EXPRESSIVE_NON_SMILE, HAPPY

SMILE_CLASSES = ("no smile", "smile")


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks of ``values``; tied values share the mean of their ranks."""
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    # Start index of each run of equal values, and its length.
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    lengths = np.diff(np.r_[starts, len(values)])
    run_ranks = starts + (lengths + 1) / 2.0
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = np.repeat(run_ranks, lengths)
    return ranks


def roc_auc(positive: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve as the Mann-Whitney rank statistic: the chance that a random
    positive scores above a random negative, ties counting one half. NaN with one class only."""
    positive = np.asarray(positive, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    rank_sum = average_ranks(scores)[positive].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def best_threshold(positive: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """The threshold t for ``score > t`` with the highest accuracy -> (t, accuracy).

    Candidates lie midway between consecutive distinct scores (and just outside their
    range), so the rule ``>`` versus ``>=`` makes no difference. Ties in accuracy go to
    the threshold closest to 0.5, the untuned default."""
    positive = np.asarray(positive, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    if len(scores) == 0:
        return float("nan"), float("nan")
    distinct = np.unique(scores)
    candidates = np.r_[np.nextafter(distinct[0], -np.inf), (distinct[1:] + distinct[:-1]) / 2.0, distinct[-1]]
    # Positives / negatives with score <= each candidate, via sorted counts.
    pos_scores = np.sort(scores[positive])
    neg_scores = np.sort(scores[~positive])
    pos_below = np.searchsorted(pos_scores, candidates, side="right")
    neg_below = np.searchsorted(neg_scores, candidates, side="right")
    correct = (len(pos_scores) - pos_below) + neg_below
    best = np.flatnonzero(correct == correct.max())
    pick = best[np.argmin(np.abs(candidates[best] - 0.5))]
    return float(candidates[pick]), float(correct[pick] / len(scores))


def confusion_matrix(truth: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """(n_classes, n_classes) counts; rows = truth, columns = prediction."""
    counts = np.bincount(np.asarray(truth) * n_classes + np.asarray(predicted),
                         minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes)


def macro_f1(confusion: np.ndarray) -> float:
    """Mean F1 over the classes that occur in the truth or the predictions (as sklearn does)."""
    confusion = np.asarray(confusion, dtype=np.float64)
    tp = np.diag(confusion)
    support, predicted = confusion.sum(axis=1), confusion.sum(axis=0)
    present = (support + predicted) > 0
    if not present.any():
        return float("nan")
    f1 = 2 * tp[present] / (support[present] + predicted[present])
    return float(f1.mean())


def smile_metrics(y_true: np.ndarray, scores: np.ndarray, intervals: bool = False) -> dict:
    """Head 1. ``y_true``: 0/1 (or bool, or 0..1 intensities, smile = >= 0.5; NaN = no label),
    ``scores``: predicted smile probabilities. Accuracy and the 2x2 confusion count
    ``score > 0.5`` as a smile, the game's rule (``smile > threshold``) at its default.
    ``intervals``: add "ci95", bootstrap intervals of the accuracy and the AUC."""
    y = np.asarray(y_true, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    if y.shape != scores.shape:
        raise ValueError(f"smile_metrics: labels {y.shape} and scores {scores.shape} differ in shape")
    keep = ~np.isnan(y)
    y, scores = y[keep], scores[keep]
    positive = y >= 0.5
    predicted = scores > 0.5
    threshold, threshold_acc = best_threshold(positive, scores)
    n = len(y)
    correct = predicted == positive
    ci = {}
    if intervals and n:
        ci["ci95"] = {"accuracy": bootstrap_interval(lambda i: correct[i].mean(), n),
                      "auc": bootstrap_interval(lambda i: roc_auc(positive[i], scores[i]), n)}
    return {
        "labelled": n,
        "positives": int(positive.sum()),
        "accuracy": float(correct.mean()) if n else float("nan"),
        "auc": roc_auc(positive, scores),
        "best_threshold": threshold,
        "best_accuracy": threshold_acc,
        # Mean absolute error against the label: meaningful for graded (0..1) smile labels.
        "mae": float(np.abs(scores - y).mean()) if n else float("nan"),
        "confusion": confusion_matrix(positive.astype(np.int64), predicted.astype(np.int64), 2).tolist(),
        **ci,
    }


def emotion_metrics(y_true: np.ndarray, probs: np.ndarray, intervals: bool = False) -> dict:
    """Head 2. ``y_true``: FER2013 class indices (-1 = no label), ``probs``: (N, 7).
    ``intervals``: add "ci95", bootstrap intervals of the accuracy and the macro-F1."""
    y = np.asarray(y_true, dtype=np.int64)
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or probs.shape != (len(y), len(EMOTIONS)):
        raise ValueError(f"emotion_metrics: probs must be ({len(y)}, {len(EMOTIONS)}), got {probs.shape}")
    if (y >= len(EMOTIONS)).any():
        raise ValueError(f"emotion_metrics: label {int(y.max())} is not an emotion index")
    keep = y >= 0
    y, probs = y[keep], probs[keep]
    predicted = probs.argmax(axis=1)
    confusion = confusion_matrix(y, predicted, len(EMOTIONS))
    support = confusion.sum(axis=1)
    n = len(y)
    ci = {}
    if intervals and n:
        ci["ci95"] = {"accuracy": bootstrap_interval(lambda i: (predicted[i] == y[i]).mean(), n),
                      "macro_f1": bootstrap_interval(
                          lambda i: macro_f1(confusion_matrix(y[i], predicted[i], len(EMOTIONS))), n)}
    # A class absent from the truth has no recall: None (JSON null), not a made-up 0.
    recall = {name: (float(confusion[i, i] / support[i]) if support[i] else None)
              for i, name in enumerate(EMOTIONS)}
    return {
        "labelled": int(len(y)),
        "accuracy": float((predicted == y).mean()) if len(y) else float("nan"),
        "macro_f1": macro_f1(confusion),
        "per_class_recall": recall,
        "confusion": confusion.tolist(),
        **ci,
    }


def expressive_non_smiles(faces) -> np.ndarray:
    """bool (N,) of a FaceSet: faces labelled angry, disgust, fear, sad or surprise that carry
    no smile label of 0.5 or more: the teeth and grimaces that must not read as a smile."""
    smile = np.nan_to_num(np.asarray(faces.smile, np.float64), nan=0.0)
    return np.isin(faces.emotion, EXPRESSIVE_NON_SMILE) & (smile < 0.5)


def expressive_metrics(emotion: np.ndarray, smile_label: np.ndarray, scores: np.ndarray,
                       intervals: bool = False) -> dict:
    """Head 1 against the emotion labels: the false-smile rate (score >= 0.5, the game's easiest
    threshold) on the expressive non-smiles (expressive_non_smiles) and each such emotion, and
    the AUC of the smile score for happy against every other labelled emotion."""
    emotion = np.asarray(emotion, np.int64)
    scores = np.asarray(scores, np.float64)
    label = np.nan_to_num(np.asarray(smile_label, np.float64), nan=0.0)
    negative = np.isin(emotion, EXPRESSIVE_NON_SMILE) & (label < 0.5)
    false = scores[negative] >= 0.5
    labelled = emotion >= 0
    n = int(negative.sum())
    out = {"expressive_faces": n,
           "false_smile_rate": float(false.mean()) if n else float("nan"),
           "false_smile_by_emotion": {EMOTIONS[e]: float((scores[negative & (emotion == e)] >= 0.5).mean())
                                      for e in EXPRESSIVE_NON_SMILE if (negative & (emotion == e)).any()},
           "happy_vs_rest_auc": roc_auc(emotion[labelled] == HAPPY, scores[labelled])}
    if intervals and n:
        happy, rest = emotion[labelled] == HAPPY, scores[labelled]
        out["ci95"] = {"false_smile_rate": bootstrap_interval(lambda i: false[i].mean(), n),
                       "happy_vs_rest_auc": bootstrap_interval(lambda i: roc_auc(happy[i], rest[i]), len(rest))}
    return out


def bootstrap_interval(statistic, n: int, resamples: int = 1000, level: float = 0.95,
                       seed: int = 0) -> list[float]:
    """Percentile bootstrap interval of ``statistic(indices)`` over ``n`` samples drawn with
    replacement: how far a figure on a test set of this size could move with another sample
    of the same faces. Seeded, so a report is reproducible. Resamples where the statistic is
    undefined (an AUC with one class only) are left out."""
    rng = np.random.default_rng(seed)
    values = np.array([statistic(rng.integers(0, n, n)) for _ in range(resamples)], dtype=np.float64)
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return [float("nan"), float("nan")]
    low, high = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
    return [float(low), float(high)]
