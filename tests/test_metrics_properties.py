"""Property tests (hypothesis): bounds, perfect prediction, order invariance; NAB by loops."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import anogen.metrics as M
from anogen.types import AnogenError

BIASES = ["flat", "front", "middle", "back"]
CARDS = ["one", "reciprocal"]


@st.composite
def pairs(draw, min_size=1, max_size=80):
    n = draw(st.integers(min_size, max_size))

    # runs make realistic ranges: draw run lengths for both series
    def series():
        out, v = [], draw(st.integers(0, 1))
        while len(out) < n:
            out += [v] * draw(st.integers(1, 8))
            v = 1 - v
        return np.array(out[:n], dtype=np.int64)

    return series(), series()


def unit_metrics(t, p, data):
    """Every 0/1-prediction metric that is bounded in [0, 1], with sampled parameters."""
    k = data.draw(st.integers(0, 4), label="k")
    pct = data.draw(st.sampled_from([0, 10, 50, 99.5, 100]), label="pct")
    alpha = data.draw(st.sampled_from([0.0, 0.4, 1.0]), label="alpha")
    card = data.draw(st.sampled_from(CARDS), label="card")
    bias = data.draw(st.sampled_from(BIASES), label="bias")
    return {
        "precision": M.precision(t, p),
        "recall": M.recall(t, p),
        "f1": M.f1(t, p),
        "fbeta": M.fbeta(t, p, beta=0.5),
        "specificity": M.specificity(t, p),
        "accuracy": M.accuracy(t, p),
        "balanced_accuracy": M.balanced_accuracy(t, p),
        "tdir": M.tdir(t, p, k=k),
        "dair": M.dair(t, p, k=k),
        "range_precision": M.range_precision(t, p, alpha=alpha, cardinality=card, bias=bias),
        "range_recall": M.range_recall(t, p, alpha=alpha, cardinality=card, bias=bias),
        "range_fbeta": M.range_fbeta(
            t, p, beta=2.0, r_alpha=alpha, cardinality=card, p_bias=bias, r_bias=bias
        ),
        "pa_f1": M.point_adjusted_f1(t, p),
        "pak_f1": M.pak_f1(t, p, k=pct),
        "pak_auc": M.pak_auc(t, p),
        "affiliation_precision": M.affiliation_precision(t, p),
        "affiliation_recall": M.affiliation_recall(t, p),
        "composite_f1": M.composite_f1(t, p),
        "event_recall": M.event_recall(t, p),
    }


@settings(max_examples=120, deadline=None)
@given(pairs(), st.data())
def test_bounds(tp, data):
    t, p = tp
    for name, v in unit_metrics(t, p, data).items():
        assert 0.0 <= v <= 1.0 + 1e-12, (name, v)
        assert math.isfinite(v)
    assert M.temporal_distance(t, p) >= 0
    assert M.wdd(t, p, k=2) <= t.sum() + 1e-12
    if t.any():
        for prof in M.NAB_PROFILES:
            assert M.nab_score(t, p, profile=prof) <= 100.0 + 1e-9


@settings(max_examples=120, deadline=None)
@given(pairs(), st.data())
def test_perfect_prediction_scores_best(tp, data):
    t, _ = tp
    for name, v in unit_metrics(t, t, data).items():
        assert v == pytest.approx(1.0), name
    assert M.temporal_distance(t, t) == 0
    if t.any():
        assert M.nab_score(t, t, window_fraction=0.0) == pytest.approx(100.0)
        # NAB with wide windows rewards detecting at the window start, before the label
        assert M.nab_score(t, t) <= 100.0 + 1e-9
        if not t.all():
            s = t.astype(float)
            assert M.roc_auc(t, s) == 1.0
            assert M.pr_auc(t, s) == 1.0
            assert M.best_f1(t, s) == 1.0


@st.composite
def blocks(draw):
    """Separated blocks: each a short (labels, prediction) pair padded with 6 zeros."""
    out = []
    for _ in range(draw(st.integers(2, 5))):
        m = draw(st.integers(1, 12))
        bt = draw(st.lists(st.integers(0, 1), min_size=m, max_size=m))
        bp = draw(st.lists(st.integers(0, 1), min_size=m, max_size=m))
        z = [0] * 6
        out.append((z + bt + z, z + bp + z))
    return out


@settings(max_examples=100, deadline=None)
@given(blocks(), st.randoms(use_true_random=False), st.data())
def test_order_of_ranges_does_not_matter(bl, rnd, data):
    """Metrics that judge each range on its own ignore the order of the (separated) ranges."""
    perm = list(bl)
    rnd.shuffle(perm)
    t1 = np.concatenate([b[0] for b in bl])
    p1 = np.concatenate([b[1] for b in bl])
    t2 = np.concatenate([b[0] for b in perm])
    p2 = np.concatenate([b[1] for b in perm])
    k = data.draw(st.integers(0, 5))
    card = data.draw(st.sampled_from(CARDS))
    bias = data.draw(st.sampled_from(BIASES))
    for fn in (
        M.precision,
        M.recall,
        M.f1,
        M.accuracy,
        M.point_adjusted_f1,
        M.pak_auc,
        M.composite_f1,
        M.event_recall,
        lambda a, b: M.pak_f1(a, b, k=30),
        lambda a, b: M.detection_counts(a, b, k=k),
        lambda a, b: M.tdir(a, b, k=k),
        lambda a, b: M.dair(a, b, k=k),
        lambda a, b: M.wdd(a, b, k=k),
        lambda a, b: M.range_precision(a, b, alpha=0.3, cardinality=card, bias=bias),
        lambda a, b: M.range_recall(a, b, alpha=0.3, cardinality=card, bias=bias),
    ):
        v1, v2 = fn(t1, p1), fn(t2, p2)
        if isinstance(v1, dict):
            assert v1 == v2
        else:
            assert v1 == pytest.approx(v2, rel=1e-12, abs=1e-12)


# ---- NAB against a loop over time steps written from Numenta's sweeper ----


def naive_nab(t, p, profile="standard", window_fraction=0.1):
    a = M.NAB_PROFILES[profile]
    n = len(t)
    rs = []
    i = 0
    while i < n:
        if t[i]:
            j = i
            while j + 1 < n and t[j + 1]:
                j += 1
            rs.append([i, j])
            i = j + 1
        else:
            i += 1
    W = int(math.floor(window_fraction * n / len(rs)))
    wins = []
    for s, e in rs:
        extra = max(W - (e - s + 1), 0)
        ws, we = max(s - extra // 2, 0), min(e + extra - extra // 2, n - 1)
        if wins and ws <= wins[-1][1]:
            wins[-1][1] = max(wins[-1][1], we)
        else:
            wins.append([ws, we])

    def sig(x):
        return -1.0 if x > 3 else 2 / (1 + math.exp(5 * x)) - 1

    raw, prev, cur = 0.0, None, None
    best = {}
    for i in range(n):
        for wi, (ws, we) in enumerate(wins):
            if ws <= i <= we:
                cur = wi
                break
        else:
            cur = None
        if p[i]:
            if cur is not None:
                ws, we = wins[cur]
                sc = a["tp"] * sig(-(we - i + 1) / (we - ws + 1)) / sig(-1.0)
                best[cur] = max(best.get(cur, -1e9), sc)
            elif prev is None:
                raw -= a["fp"]
            else:
                ws, we = wins[prev]
                raw += a["fp"] * sig((i - we) / max(we - ws, 1))
        if cur is not None and i == wins[cur][1]:
            prev = cur
    raw += sum(best.values()) - a["fn"] * (len(wins) - len(best))
    null, perfect = -a["fn"] * len(wins), a["tp"] * len(wins)
    return 100 * (raw - null) / (perfect - null)


@settings(max_examples=120, deadline=None)
@given(
    pairs(min_size=2, max_size=120),
    st.sampled_from(sorted(M.NAB_PROFILES)),
    st.sampled_from([0.0, 0.1, 0.3, 1.0]),
)
def test_nab_equals_naive_loop(tp, profile, wf):
    t, p = tp
    if not t.any():
        with pytest.raises(AnogenError, match="nab_score needs at least one anomalous point"):
            M.nab_score(t, p, profile=profile, window_fraction=wf)
        return
    assert M.nab_score(t, p, profile=profile, window_fraction=wf) == pytest.approx(
        naive_nab(t, p, profile, wf), rel=1e-9, abs=1e-9
    )


def test_nab_known_values():
    t = np.zeros(100, dtype=int)
    t[40:45] = 1  # one range of 5; window of 10 points centred on it: 38..47
    p = np.zeros(100, dtype=int)
    assert M.nab_score(t, p) == 0.0
    p[37] = 1  # just before the window: a false positive with no window before it
    assert M.nab_score(t, p) == pytest.approx(100 * (-1 - 0.11 + 1) / 2)
    p[37] = 0
    p[38] = 1  # first point of the window: full reward
    assert M.nab_score(t, p) == pytest.approx(100.0)
    p[0] = 1  # false positive before any window: -A_fp = -0.11 of one window's 2-point span
    assert M.nab_score(t, p) == pytest.approx(100 * (1 - 0.11 + 1) / 2)
    assert M.nab_score(t, p, profile="reward_low_fp") == pytest.approx(100 * (1 - 0.22 + 1) / 2)
    with pytest.raises(AnogenError, match="profile must be one of"):
        M.nab_score(t, p, profile="strict")
