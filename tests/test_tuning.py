import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anogen.tuning import threshold_curve, tune_threshold
from anogen.types import AnogenError


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 5)), min_size=1, max_size=40))
def test_curve_matches_brute_force(pairs):
    y = np.array([p[0] for p in pairs])
    s = np.array([p[1] for p in pairs], dtype=float)
    c = threshold_curve(y, s)
    for thr, tp, fp in zip(c["thr"], c["tp"], c["fp"]):
        pred = s >= thr
        assert tp == (pred & y).sum() and fp == (pred & ~y).sum()
    # the best F1 found equals the brute-force best over all thresholds
    t = tune_threshold(y, s, "f1")
    def f1(th):
        p = s >= th
        tp = (p & y).sum(); d = 2 * tp + (p & ~y).sum() + (~p & y).sum()
        return 2 * tp / d if d else 0.0
    cands = np.concatenate([np.unique(s), [np.inf]])
    assert np.isclose(f1(t), max(f1(c_) for c_ in cands))


def test_recall_at_fpr_respects_budget():
    rng = np.random.default_rng(0)
    y = rng.random(2000) < 0.1
    s = rng.normal(size=2000) + 2 * y
    t = tune_threshold(y, s, "recall_at_fpr", max_fpr=0.05)
    p = s >= t
    assert (p & ~y).sum() / (~y).sum() <= 0.05
    assert (p & y).sum() / y.sum() > 0.5


@pytest.mark.parametrize("kw, match", [
    (dict(objective="auc"), r"^tuning\.objective: must be 'f1' or 'recall_at_fpr', got 'auc'$"),
    (dict(max_fpr=1.5), r"^tuning\.max_fpr: must be .*<= 1(\.0)?, got 1\.5$"),
    (dict(max_fpr=-0.1), r"^tuning\.max_fpr: must be >= 0.*, got -0\.1$"),
])
def test_bad_options_name_the_key(kw, match):
    with pytest.raises(AnogenError, match=match):
        tune_threshold(np.array([0, 1]), np.array([0.1, 0.9]), **kw)


def test_fpr_budget_ends_are_valid():
    y, s = np.array([0, 0, 1, 1]), np.array([0.1, 0.5, 0.4, 0.9])
    assert tune_threshold(y, s, "recall_at_fpr", max_fpr=0.0) == 0.9   # no false positive allowed
    assert tune_threshold(y, s, "recall_at_fpr", max_fpr=1.0) == 0.4   # every positive, FPR 0.5
