import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from anogen.tuning import threshold_curve, tune_threshold


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
