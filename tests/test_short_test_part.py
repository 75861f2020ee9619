"""A labelled test part shorter than a detector's window (a period-long window on a short series).

Before: every period-window candidate, POLY and the matrix profile failed on such a series (e.g. the
corpus' ``nasa_msl_f_5``: a 500-row period, 372 test rows) and ranked last. Now the evaluation scores
the test part after the train rows that precede it and keeps the test rows' scores.
"""

from __future__ import annotations

import numpy as np
import pytest

import anogen
from anogen.detectors import Estimator
from anogen.evaluation import Case, context_rows, scores_of
from anogen.selection.cases import CONTEXT_ROWS, preceding_train_rows
from anogen.types import Fold

def _series(period=200, n_train=2000, n_test=150, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n_train + n_test)
    x = (np.sin(2 * np.pi * t / period) + 0.05 * rng.normal(size=t.size))[:, None]
    y = np.zeros(n_test, int)
    y[70:74] = 1
    x[n_train + 70:n_train + 74] += 3.0
    return x[:n_train], x[n_train:], y

def test_a_period_window_longer_than_the_test_part_is_scored_not_failed():
    train, test, y = _series()
    res = anogen.evaluate_detectors(train, test, y, detectors=["knn", "knn@period", "poly"])
    assert res["error"].isna().all(), res[["detector", "error"]]
    # the 200-row window covers the whole 150-row test part, yet the spike still stands out
    assert res.set_index("detector").loc["knn@period", "vus_pr"] > 0.3

def _fitted(window=50):
    from sklearn.neighbors import LocalOutlierFactor

    train, test, _ = _series(period=50)
    det = Estimator(estimator=LocalOutlierFactor(n_neighbors=5, novelty=True), window=window, name="lofw")
    return det.fit(train), train, test

def test_context_is_used_only_when_the_part_is_too_short():
    det, train, test = _fitted(window=50)
    assert det.min_rows_ == 50 and det.receptive_field_ == (49, 49)
    assert context_rows(det, 150, train) == 0          # long enough: scored alone, as before
    assert context_rows(det, 30, None) == 0            # nothing to prepend: the detector's own error
    assert context_rows(det, 30, train) == 49          # a whole left receptive field
    assert context_rows(det, 30, train[:10]) == 10     # at most what there is

def test_short_part_scores_equal_the_tail_of_scoring_context_and_part_together():
    det, train, test = _fitted(window=50)
    short = test[:30]
    got = scores_of(det, short, context=train)
    whole = det.decision_function(np.concatenate([train[-49:], short]))
    np.testing.assert_array_equal(got, whole[49:])
    with pytest.raises(anogen.AnogenError, match="longer than the data"):
        scores_of(det, short)  # without context: the detector's one-line error, as before

def _fold(train_segments, train_index, test_index):
    train = np.arange(len(train_index), dtype=float)[:, None]
    return Fold(0, ("v",), train, np.zeros((len(test_index), 1)), np.asarray(train_index), np.asarray(test_index),
                np.asarray(train_segments), None)

def test_the_context_is_the_train_segment_just_before_the_test_part():
    # train: rest -> rows before (0..99) and after (150..199) the test period 100..149
    idx = np.r_[np.arange(100), np.arange(150, 200)]
    fold = _fold([[0, 100], [100, 150]], idx, np.arange(100, 150))
    np.testing.assert_array_equal(preceding_train_rows(fold)[:, 0], np.arange(100))
    # one segment, longer than the limit: its last CONTEXT_ROWS rows
    n = CONTEXT_ROWS + 300
    fold = _fold([[0, n]], np.arange(n), np.arange(n, n + 10))
    ctx = preceding_train_rows(fold)
    assert ctx.shape[0] == CONTEXT_ROWS and ctx[-1, 0] == n - 1

def test_an_ensemble_needs_as_many_rows_as_its_longest_member():
    from anogen.detectors import Ensemble

    train, test, _ = _series(period=50)
    ens = Ensemble(members=["zscore", "knn@50"]).fit(train)
    assert ens.min_rows_ == 50
    case_x = test[:20]
    s = scores_of(ens, case_x, context=train)
    assert s.shape == (20,) and np.isfinite(s).all()
