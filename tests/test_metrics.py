import itertools

import numpy as np
import pytest

from model.labels import EMOTIONS
from model.metrics import (average_ranks, best_threshold, bootstrap_interval, emotion_metrics, macro_f1, roc_auc,
                           smile_metrics)


def pairwise_auc(positive: np.ndarray, scores: np.ndarray) -> float:
    """Brute force: over all (positive, negative) pairs, 1 if ordered right, 1/2 if tied."""
    pos, neg = scores[positive], scores[~positive]
    total = sum(1.0 if p > q else 0.5 if p == q else 0.0 for p, q in itertools.product(pos, neg))
    return total / (len(pos) * len(neg))


def brute_best_accuracy(positive: np.ndarray, scores: np.ndarray) -> float:
    candidates = np.r_[scores, scores.min() - 1.0]
    return max(((scores > t) == positive).mean() for t in candidates)


def test_average_ranks_share_ties():
    np.testing.assert_allclose(average_ranks(np.array([3.0, 1.0, 3.0, 2.0, 3.0])), [4, 1, 4, 2, 4])


@pytest.mark.parametrize("seed", range(5))
def test_auc_matches_pairwise_count_with_ties(seed):
    rng = np.random.default_rng(seed)
    n = 60
    positive = rng.random(n) < 0.4
    # Coarse scores force many ties, inside and across classes.
    scores = np.round(rng.random(n) * 0.6 + 0.3 * positive, 1)
    assert roc_auc(positive, scores) == pytest.approx(pairwise_auc(positive, scores), abs=1e-12)


def test_auc_edge_cases():
    assert roc_auc(np.array([0, 0, 1, 1], bool), np.array([0.1, 0.2, 0.8, 0.9])) == 1.0
    assert roc_auc(np.array([1, 1, 0, 0], bool), np.array([0.1, 0.2, 0.8, 0.9])) == 0.0
    assert roc_auc(np.array([0, 1], bool), np.array([0.5, 0.5])) == 0.5
    assert np.isnan(roc_auc(np.array([1, 1], bool), np.array([0.3, 0.7])))


def test_best_threshold_on_hand_example():
    # By score: n n p p p n p p. Cutting between 0.2 and 0.3 misclassifies only the 0.6
    # negative (7 of 8 right); the default 0.5 gets 4 of 8 (three positives below it, n@0.6).
    scores = np.array([0.1, 0.2, 0.3, 0.35, 0.4, 0.6, 0.7, 0.9])
    positive = np.array([0, 0, 1, 1, 1, 0, 1, 1], bool)
    t, acc = best_threshold(positive, scores)
    assert acc == pytest.approx(7 / 8)
    assert 0.2 < t < 0.3
    m = smile_metrics(positive.astype(float), scores)
    assert m["accuracy"] == pytest.approx(4 / 8)
    assert m["best_threshold"] == t and m["best_accuracy"] == acc
    assert m["confusion"] == [[2, 1], [3, 2]]


@pytest.mark.parametrize("seed", range(5))
def test_best_threshold_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    positive = rng.random(40) < 0.5
    scores = np.round(rng.random(40), 2)
    t, acc = best_threshold(positive, scores)
    assert acc == pytest.approx(brute_best_accuracy(positive, scores))
    assert ((scores > t) == positive).mean() == pytest.approx(acc)


def test_best_threshold_all_one_class_predicts_everything_that_class():
    t, acc = best_threshold(np.zeros(3, bool), np.array([0.2, 0.9, 0.5]))
    assert acc == 1.0 and t >= 0.9


def test_smile_metrics_ignore_missing_labels_and_take_bools():
    y = np.array([1.0, np.nan, 0.0, 0.8, 0.2])
    s = np.array([0.9, 0.0, 0.1, 0.7, 0.6])
    m = smile_metrics(y, s)
    assert m["labelled"] == 4 and m["positives"] == 2
    assert m["accuracy"] == pytest.approx(3 / 4)
    assert m["mae"] == pytest.approx(np.mean([0.1, 0.1, 0.1, 0.4]))
    assert smile_metrics(np.array([True, False]), np.array([0.9, 0.1]))["accuracy"] == 1.0


def test_macro_f1_on_hand_example():
    # 3 classes; truth 0 0 0 1 1 2, predicted 0 0 1 1 2 2.
    # class 0: P=1, R=2/3 -> F1=0.8; class 1: P=1/2, R=1/2 -> 0.5; class 2: P=1/2, R=1 -> 2/3.
    confusion = np.array([[2, 1, 0], [0, 1, 1], [0, 0, 1]])
    assert macro_f1(confusion) == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)


def test_emotion_metrics_hand_example():
    truth = np.array([0, 0, 0, 3, 3, 6, -1])
    predicted = np.array([0, 0, 3, 3, 6, 6, 1])
    probs = np.full((len(truth), len(EMOTIONS)), 0.01)
    probs[np.arange(len(truth)), predicted] = 0.94
    m = emotion_metrics(truth, probs)
    assert m["labelled"] == 6
    assert m["accuracy"] == pytest.approx(4 / 6)
    # Same counts as the 3-class hand example, on classes angry/happy/neutral.
    assert m["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert m["per_class_recall"]["angry"] == pytest.approx(2 / 3)
    assert m["per_class_recall"]["happy"] == pytest.approx(1 / 2)
    assert m["per_class_recall"]["neutral"] == 1.0
    assert m["per_class_recall"]["disgust"] is None  # no support: no recall
    confusion = np.array(m["confusion"])
    assert confusion.shape == (7, 7) and confusion.sum() == 6
    assert confusion[0, 3] == 1 and confusion[3, 6] == 1  # rows are the truth


def test_emotion_metrics_rejects_wrong_shape():
    with pytest.raises(ValueError, match="probs"):
        emotion_metrics(np.array([0, 1]), np.zeros((2, 5)))


def test_bootstrap_interval_brackets_the_figure_and_narrows_with_more_faces():
    rng = np.random.default_rng(0)
    widths = []
    for n in (400, 4000):
        correct = rng.random(n) < 0.95
        low, high = bootstrap_interval(lambda i: correct[i].mean(), n)
        assert low < correct.mean() < high
        # binomial standard error: the 95 % interval spans about 4 of them
        assert high - low == pytest.approx(4 * np.sqrt(0.95 * 0.05 / n), rel=0.25)
        widths.append(high - low)
    assert widths[1] < widths[0] / 2
    assert bootstrap_interval(lambda i: correct[i].mean(), n) == [low, high]  # seeded
    assert np.isnan(bootstrap_interval(lambda i: float("nan"), 10)).all()


def test_metrics_report_intervals_only_when_asked():
    rng = np.random.default_rng(1)
    labels = rng.random(300) < 0.5
    scores = np.clip(labels * 0.4 + rng.random(300) * 0.8, 0, 1)  # overlapping: about 85 % right
    plain, with_ci = smile_metrics(labels, scores), smile_metrics(labels, scores, intervals=True)
    assert "ci95" not in plain and {k: v for k, v in with_ci.items() if k != "ci95"} == plain
    for key in ("accuracy", "auc"):
        low, high = with_ci["ci95"][key]
        assert low <= plain[key] <= high and high - low > 0.01
    y = rng.integers(0, len(EMOTIONS), 300)
    probs = rng.dirichlet(np.ones(len(EMOTIONS)), 300)
    probs[np.arange(150), y[:150]] += 1.0  # half of them right
    emotion = emotion_metrics(y, probs, intervals=True)
    for key in ("accuracy", "macro_f1"):
        low, high = emotion["ci95"][key]
        assert low <= emotion[key] <= high


def test_expressive_metrics_count_teeth_read_as_a_smile_and_rank_happy_first():
    from model.labels import EMOTION_INDEX as E
    from model.metrics import expressive_metrics

    emotion = np.array([E["angry"], E["fear"], E["fear"], E["sad"], E["happy"], E["neutral"]])
    smile_label = np.array([0, 0, np.nan, 0, 1, 0])
    scores = np.array([0.7, 0.1, 0.5, 0.2, 0.9, 0.95])
    m = expressive_metrics(emotion, smile_label, scores, intervals=True)
    assert m["expressive_faces"] == 4 and m["false_smile_rate"] == 0.5  # angry 0.7 and fear 0.5: at the easiest threshold
    assert m["false_smile_by_emotion"] == {"angry": 1.0, "fear": 0.5, "sad": 0.0}
    assert m["happy_vs_rest_auc"] == 0.8  # the neutral face at 0.95 outranks the happy one
    assert m["ci95"]["false_smile_rate"][0] <= 0.5 <= m["ci95"]["false_smile_rate"][1]
