"""One sort shared by the threshold-free metrics of one score vector (issue 14)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

import anogen.metrics.curves as curves
from anogen.metrics.suite import Metric, compute_metrics


def _data(n: int = 5000, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = np.zeros(n, dtype=int)
    for s in rng.choice(n - 20, 15, replace=False):
        y[s : s + 10] = 1
    score = rng.random(n) + 0.6 * y
    return y, np.round(score, 2)  # ties


@pytest.fixture
def count_sorts(monkeypatch):
    calls = []
    real = curves._argsort_desc

    def counting(s):
        calls.append(s.shape[0])
        return real(s)

    monkeypatch.setattr(curves, "_argsort_desc", counting)
    curves._LAST_SORT.entry = None
    return calls


def test_threshold_free_metrics_of_one_vector_sort_once(count_sorts):
    y, s = _data()
    metrics = {k: Metric(k) for k in ("roc_auc", "pr_auc", "best_f1")}
    metrics["vus"] = Metric("vus", window=20)
    out = compute_metrics(metrics, y, y_score=s)
    assert count_sorts == [y.shape[0]]
    assert out["roc_auc"] == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert out["pr_auc"] == pytest.approx(average_precision_score(y, s), abs=1e-12)
    curves._LAST_SORT.entry = None  # the same values without the shared sort
    assert curves.vus(y, s, window=20)["vus_roc"] == pytest.approx(out["vus/vus_roc"], abs=1e-15)


def test_a_changed_or_new_vector_is_sorted_again(count_sorts):
    y, s = _data()
    first = curves.roc_auc(y, s)
    s[y == 1] -= 0.6  # the caller changes its array in place: the kept copy is not fooled
    second = curves.roc_auc(y, s)
    assert count_sorts == [s.shape[0], s.shape[0]]
    assert second == pytest.approx(roc_auc_score(y, s), abs=1e-12) and second < first
    other = curves.roc_auc(y[:100], s[:100])  # another length
    assert len(count_sorts) == 3 and 0.0 <= other <= 1.0
    assert curves.best_f1(y[:100], s[:100]) == curves.best_f1_threshold(y[:100], s[:100])[0]
    assert len(count_sorts) == 3
