"""Point-wise and threshold-free metrics: scikit-learn equality, edge cases, validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

import anogen.metrics as M
from anogen.types import AnogenError


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_pointwise_equals_sklearn_when_defined(data):
    n = data.draw(st.integers(2, 50))
    t = np.array(data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    p = np.array(data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    if t.any() and p.any():
        assert M.precision(t, p) == pytest.approx(skm.precision_score(t, p))
        assert M.recall(t, p) == pytest.approx(skm.recall_score(t, p))
        assert M.f1(t, p) == pytest.approx(skm.f1_score(t, p))
        assert M.fbeta(t, p, beta=2.0) == pytest.approx(skm.fbeta_score(t, p, beta=2.0))
    if t.any() and not t.all():
        assert M.balanced_accuracy(t, p) == pytest.approx(skm.balanced_accuracy_score(t, p))
        tn, fp, fn, tp = skm.confusion_matrix(t, p, labels=[0, 1]).ravel()
        c = M.confusion(t, p)
        assert (c["TP"], c["TN"], c["FP"], c["FN"]) == (tp, tn, fp, fn)
        assert M.fpr(t, p) == pytest.approx(fp / (fp + tn))
        assert M.specificity(t, p) == pytest.approx(tn / (fp + tn))
    assert M.accuracy(t, p) == pytest.approx(skm.accuracy_score(t, p))


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_curves_equal_sklearn(data):
    n = data.draw(st.integers(2, 60))
    t = np.array(data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    # few distinct values -> many ties
    s = np.array(data.draw(st.lists(st.integers(0, 6), min_size=n, max_size=n)), dtype=float) / 3
    if t.any():
        assert M.pr_auc(t, s) == pytest.approx(skm.average_precision_score(t, s))
        pr, rc, thr = skm.precision_recall_curve(t, s)
        f = np.where(pr + rc > 0, 2 * pr * rc / np.where(pr + rc > 0, pr + rc, 1), 0)
        f1, th = M.best_f1_threshold(t, s)
        assert f1 == pytest.approx(f.max())
        assert M.f1(t, s >= th) == pytest.approx(f1)
    if t.any() and not t.all():
        assert M.roc_auc(t, s) == pytest.approx(skm.roc_auc_score(t, s))


def test_confusion_keys_and_rates():
    c = M.confusion([0, 1, 1, 0, 0, 1], [0, 1, 0, 1, 0, 1])
    assert c == {
        "TP": 2,
        "TN": 2,
        "FP": 1,
        "FN": 1,
        "TPR": pytest.approx(2 / 3),
        "TNR": pytest.approx(2 / 3),
        "PPV": pytest.approx(2 / 3),
        "NPV": pytest.approx(2 / 3),
        "FPR": pytest.approx(1 / 3),
        "FNR": pytest.approx(1 / 3),
        "FDR": pytest.approx(1 / 3),
    }


# undefined cases: the documented values (docs/metrics.md, "Undefined cases")
ALL0 = [0, 0, 0, 0]
ALL1 = [1, 1, 1, 1]
SOME = [0, 1, 1, 0]


@pytest.mark.parametrize(
    "t,p,expected",
    [
        # (y_true, y_pred, {metric: value})
        (
            ALL0,
            ALL0,
            {
                "precision": 1.0,
                "recall": 1.0,
                "f1": 1.0,
                "fpr": 0.0,
                "specificity": 1.0,
                "accuracy": 1.0,
                "balanced_accuracy": 1.0,
            },
        ),
        (
            ALL0,
            SOME,
            {
                "precision": 0.0,
                "recall": 0.0,
                "f1": 0.0,
                "fpr": 0.5,
                "specificity": 0.5,
                "accuracy": 0.5,
                "balanced_accuracy": 0.25,
            },
        ),
        (
            SOME,
            ALL0,
            {
                "precision": 0.0,
                "recall": 0.0,
                "f1": 0.0,
                "fpr": 0.0,
                "specificity": 1.0,
                "accuracy": 0.5,
                "balanced_accuracy": 0.5,
            },
        ),
        (
            ALL1,
            ALL1,
            {
                "precision": 1.0,
                "recall": 1.0,
                "f1": 1.0,
                "fpr": 0.0,
                "specificity": 1.0,
                "accuracy": 1.0,
                "balanced_accuracy": 1.0,
            },
        ),
        (
            ALL1,
            SOME,
            {
                "precision": 1.0,
                "recall": 0.5,
                "f1": pytest.approx(2 / 3),
                "fpr": 0.0,
                "specificity": 1.0,
                "accuracy": 0.5,
                "balanced_accuracy": 0.75,
            },
        ),
    ],
)
def test_undefined_cases(t, p, expected):
    for name, value in expected.items():
        assert getattr(M, name)(t, p) == value, name


def test_threshold_free_meaningless_cases_raise():
    with pytest.raises(AnogenError, match="roc_auc needs at least one normal point"):
        M.roc_auc([1, 1, 1], [0.1, 0.2, 0.3])
    with pytest.raises(AnogenError, match="roc_auc needs at least one anomalous point"):
        M.roc_auc([0, 0, 0], [0.1, 0.2, 0.3])
    with pytest.raises(AnogenError, match="pr_auc needs at least one anomalous point"):
        M.pr_auc([0, 0, 0], [0.1, 0.2, 0.3])
    with pytest.raises(AnogenError, match="best_f1 needs"):
        M.best_f1([0, 0, 0], [0.1, 0.2, 0.3])
    assert M.pr_auc([1, 1, 1], [0.1, 0.2, 0.3]) == 1.0  # all positive: defined


def test_validation_messages():
    with pytest.raises(AnogenError, match=r"y_pred must contain only 0/1 values; found 0.5 at index 2"):
        M.f1([0, 1, 1], [0, 1, 0.5])
    with pytest.raises(AnogenError, match="y_true and y_pred must have the same length, got 3 and 2"):
        M.f1([0, 1, 1], [0, 1])
    with pytest.raises(AnogenError, match="1-D"):
        M.f1(np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(AnogenError, match="y_score must be finite; found nan at index 1"):
        M.roc_auc([0, 1, 0], [0.1, np.nan, 0.2])
    with pytest.raises(AnogenError, match="y_score must be numeric"):
        M.roc_auc([0, 1, 0], ["a", "b", "c"])
    with pytest.raises(AnogenError, match="beta"):
        M.fbeta([0, 1], [0, 1], beta=0)
    # bool input and (n, 1) columns are accepted; the inputs are not modified
    t = np.array([[0], [1], [1]])
    p = np.array([False, True, False])
    assert M.recall(t, p) == 0.5
    assert t.tolist() == [[0], [1], [1]] and p.tolist() == [False, True, False]
