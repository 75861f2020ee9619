"""Edge cases with hand-derived values: series ends, adjacent ranges, empty/all-anomalous input."""

from __future__ import annotations

import numpy as np
import pytest

import anogen.metrics as M
from anogen.types import AnogenError

BOUNDED = {
    "precision": M.precision,
    "recall": M.recall,
    "f1": M.f1,
    "range_precision": M.range_precision,
    "range_recall": M.range_recall,
    "range_f1": M.range_fbeta,
    "pa_f1": M.point_adjusted_f1,
    "pak_auc": M.pak_auc,
    "affiliation_precision": M.affiliation_precision,
    "affiliation_recall": M.affiliation_recall,
    "composite_f1": M.composite_f1,
    "tdir": lambda t, p: M.tdir(t, p, k=1),
    "dair": lambda t, p: M.dair(t, p, k=1),
}


def test_anomalies_at_first_and_last_index():
    t = [1, 1, 0, 0, 0, 0, 0, 0, 1, 1]
    p = [1, 0, 0, 0, 0, 0, 0, 0, 1, 0]
    assert M.f1(t, p) == pytest.approx(2 / 3)
    assert M.range_precision(t, p) == 1.0
    assert M.range_recall(t, p) == 0.5
    assert M.range_recall(t, p, bias="front") == pytest.approx(2 / 3)  # first point of each range
    assert M.range_recall(t, p, bias="back") == pytest.approx(1 / 3)
    assert M.range_recall(t, p, alpha=1.0) == 1.0
    assert M.point_adjusted_f1(t, p) == 1.0  # the range at index 0 is adjusted too
    assert M.pak_f1(t, p, k=50) == pytest.approx(2 / 3)  # exactly 50% is not "more than 50%"
    assert M.pak_f1(t, p, k=49) == 1.0
    assert M.point_adjust(t, p, k=0).astype(int).tolist() == t
    assert M.composite_f1(t, p) == 1.0
    assert M.detection_counts(t, p, k=0) == {"EM": 2, "DA": 0, "MA": 2, "FA": 0}
    assert M.detection_counts(t, p, k=1) == {"EM": 2, "DA": 2, "MA": 0, "FA": 0}
    assert M.temporal_distance(t, p) == 2
    assert M.affiliation_precision(t, p) == 1.0
    assert 0.5 < M.affiliation_recall(t, p) < 1.0
    assert M.nab_score(t, p, window_fraction=0.0) == pytest.approx(100.0)


def test_adjacent_ranges_and_cardinality():
    t = [0, 1, 1, 0, 1, 1, 0]
    p = [0, 1, 1, 1, 1, 1, 0]  # one predicted range spanning both true ranges
    assert M.range_precision(t, p) == pytest.approx(0.8)
    assert M.range_precision(t, p, cardinality="reciprocal") == pytest.approx(0.4)
    assert M.range_recall(t, p) == 1.0
    assert M.range_recall(t, p, cardinality="reciprocal") == 1.0
    assert M.composite_f1(t, p) == pytest.approx(8 / 9)
    assert M.point_adjusted_f1(t, p) == pytest.approx(8 / 9)
    assert M.detection_counts(t, p, k=0) == {"EM": 4, "DA": 0, "MA": 0, "FA": 1}
    # two predicted ranges inside one true range
    t2 = [0, 1, 1, 1, 1, 1, 0]
    p2 = [0, 1, 1, 0, 1, 1, 0]
    assert M.range_recall(t2, p2) == pytest.approx(0.8)
    assert M.range_recall(t2, p2, cardinality="reciprocal") == pytest.approx(0.4)
    assert M.range_recall(t2, p2, bias="middle") == pytest.approx(6 / 9)  # deltas 1,2,3,2,1


ALL0 = [0, 0, 0, 0, 0, 0]
SOME = [0, 0, 1, 1, 0, 0]
ALL1 = [1, 1, 1, 1, 1, 1]


@pytest.mark.parametrize(
    "t,p,value",
    [
        (ALL0, ALL0, 1.0),  # nothing to find, nothing claimed: agreement
        (ALL0, SOME, 0.0),  # false alarms only
        (SOME, ALL0, 0.0),  # everything missed
        (ALL1, ALL1, 1.0),  # all anomalous, all found
    ],
)
def test_documented_undefined_values(t, p, value):
    for name, fn in BOUNDED.items():
        assert fn(t, p) == value, name


def test_undefined_distances_and_scores():
    assert M.temporal_distance(ALL0, ALL0) == 0.0
    assert M.temporal_distance(ALL0, SOME) == 2 * 6
    assert M.temporal_distance(SOME, ALL0) == 2 * 6
    assert M.wdd(ALL0, ALL0, k=1) == 0.0
    assert M.wdd(SOME, ALL0, k=1) == 0.0
    assert M.wdd(ALL0, SOME, k=1) == -2.0
    assert M.nab_score(SOME, ALL0) == 0.0
    assert M.nab_score(ALL1, ALL1, window_fraction=0.0) == 100.0
    for fn in (M.nab_score, lambda t, p: M.nab_score(t, p, window_fraction=0)):
        with pytest.raises(AnogenError, match="at least one anomalous point"):
            fn(ALL0, SOME)
    s = np.linspace(0, 1, 6)
    for fn in (M.roc_auc, M.vus_roc, M.vus_pr):
        with pytest.raises(AnogenError, match="at least one"):
            fn(ALL1, s)
        with pytest.raises(AnogenError, match="at least one"):
            fn(ALL0, s)


def test_all_anomalous_partial_prediction():
    p = [0, 1, 1, 0, 0, 0]
    assert M.recall(ALL1, p) == pytest.approx(1 / 3)
    assert M.range_recall(ALL1, p) == pytest.approx(1 / 3)
    assert M.point_adjusted_f1(ALL1, p) == 1.0
    assert M.affiliation_precision(ALL1, p) == 1.0
    assert M.detection_counts(ALL1, p, k=1) == {"EM": 2, "DA": 2, "MA": 2, "FA": 0}
    assert M.fpr(ALL1, p) == 0.0 and M.specificity(ALL1, p) == 1.0


def test_single_point_series():
    assert M.f1([1], [1]) == 1.0
    assert M.affiliation_recall([1], [1]) == 1.0
    assert M.range_fbeta([1], [0]) == 0.0
    assert M.tdir([1], [0], k=5) == 0.0


def test_affiliation_hand_value():
    # one true event [4, 6) in [0, 10); prediction [0, 1): distance 3..4 from J, zone = whole series
    t = [0, 0, 0, 0, 1, 1, 0, 0, 0, 0]
    p = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    # precision: int_3^4 P(dist(X, J) >= d) dd with X ~ U(0, 10), |J| = 2, room 4 left, 4 right
    # P = (max(0, 4 - d) + max(0, 4 - d)) / 10 -> int_3^4 (8 - 2d) / 10 dd = 0.1
    assert M.affiliation_precision(t, p) == pytest.approx(0.1)
    # recall: for y in [4, 6), the prediction ends at 1: d = y - 1; P(|X - y| >= d) with
    # X ~ U(0, 10) = (max(0, y - d) + max(0, 10 - y - d)) / 10 = (1 + max(0, 11 - 2y)) / 10
    # mean over y in [4, 6): (1/2) int_4^6 ... = (1/2) (0.2 + int_4^5.5 (11 - 2y)/10 dy) = 0.2125
    assert M.affiliation_recall(t, p) == pytest.approx(0.2125)
