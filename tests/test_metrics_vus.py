"""VUS: both variants against naive per-threshold loops written from their definitions.

The golden fixtures compare with the real reference packages; these loops add many small
random layouts (ranges at the edges, buffers of two or three ranges overlapping).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import anogen.metrics as M
from anogen.types import AnogenError


def _ranges(t):
    out, i, n = [], 0, len(t)
    while i < n:
        if t[i]:
            j = i
            while j + 1 < n and t[j + 1]:
                j += 1
            out.append((i, j))
            i = j + 1
        else:
            i += 1
    return out


def _thresholds(s, T):
    srt = sorted(s, reverse=True)
    return [srt[int(x)] for x in np.linspace(0, len(s) - 1, T)]


def naive_vus(t, s, W, variant, T=250):
    t = np.asarray(t)
    s = np.asarray(s, dtype=float)
    n, P = len(t), float(t.sum())
    rs = _ranges(t)
    thr = _thresholds(s, T)
    rocs, prs = [], []
    for w in range(W + 1):
        lab = t.astype(float)
        if variant == "reference":
            before = after = w // 2
        else:
            before = w // 2 if w > 1 else 0
            after = before - 1
        for a, b in rs:
            for d in range(1, after + 1):
                if b + d < n:
                    lab[b + d] += math.sqrt(1 - d / w)
            for d in range(1, before + 1):
                if a - d >= 0:
                    lab[a - d] += math.sqrt(1 - d / w)
        lab = np.minimum(lab, 1.0)
        if variant == "reference":
            segs = []
            for a, b in rs:
                a2, b2 = max(a - before, 0), min(b + after, n - 1)
                if segs and not (segs[-1][2] + after < a - before):
                    segs[-1][1] = b2
                    segs[-1][2] = b
                else:
                    segs.append([a2, b2, b])
            segs = [(a, b) for a, b, _ in segs]
        else:
            segs = _ranges((lab > 0).astype(int))
        p_const = (P + lab.sum()) / 2
        tpr, fpr, prec = [0.0], [0.0], [1.0]
        for th in thr:
            pred = (s >= th).astype(float)
            tp = float(np.sum(lab * pred))
            npred = pred.sum()
            exist = sum(1 for a, b in segs if pred[a : b + 1].any()) / len(segs)
            if variant == "reference":
                pn = P + float(np.sum((lab * pred)[t == 0])) / 2
                tpr.append(min(tp / pn, 1) * exist)
                fpr.append((npred - tp) / (n - pn))
            else:
                tpr.append(min(tp / p_const, 1) * exist)
                fpr.append(min((npred - tp) / (n - p_const), 1))
            prec.append(tp / npred)
        tpr.append(1.0)
        fpr.append(1.0)
        roc = sum((fpr[j + 1] - fpr[j]) * (tpr[j + 1] + tpr[j]) / 2 for j in range(len(fpr) - 1))
        if variant == "reference":
            pr = sum((tpr[j] - tpr[j - 1]) * prec[j] for j in range(1, T + 1))
        else:
            pr = sum((tpr[j] - tpr[j - 1]) * (prec[j] + prec[j - 1]) / 2 for j in range(1, T + 1))
        rocs.append(roc)
        prs.append(pr)
    return float(np.mean(rocs)), float(np.mean(prs))


@st.composite
def series(draw):
    n = draw(st.integers(3, 40))
    t = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n).filter(lambda x: 0 < sum(x) < len(x)))
    s = draw(st.lists(st.integers(0, 9), min_size=n, max_size=n))
    return np.array(t), np.array(s, dtype=float) / 9


@settings(max_examples=40, deadline=None)
@given(series(), st.integers(0, 12), st.sampled_from(["reference", "timeeval"]), st.sampled_from([2, 7, 250]))
def test_vus_equals_naive_loops(ts, window, variant, n_thr):
    t, s = ts
    if variant == "timeeval" and np.all(s == s[0]):
        assert M.vus(t, s, window=window, variant=variant) == {"vus_roc": 0.0, "vus_pr": 0.0}
        return
    roc, pr = naive_vus(t, s, window, variant, n_thr)
    got = M.vus(t, s, window=window, variant=variant, thresholds=n_thr)
    assert got["vus_roc"] == pytest.approx(roc, rel=1e-9, abs=1e-12)
    assert got["vus_pr"] == pytest.approx(pr, rel=1e-9, abs=1e-12)


def test_three_overlapping_buffers():
    # three point anomalies two apart: buffers of w=8 reach across two neighbours
    t = np.zeros(30, dtype=int)
    t[[10, 12, 14]] = 1
    s = np.linspace(0, 1, 30)[::-1].copy()
    s[[9, 13]] = 2.0
    for variant in ("reference", "timeeval"):
        roc, pr = naive_vus(t, s, 8, variant)
        assert M.vus_roc(t, s, window=8, variant=variant) == pytest.approx(roc, rel=1e-12)
        assert M.vus_pr(t, s, window=8, variant=variant) == pytest.approx(pr, rel=1e-12)


def test_perfect_score_and_aliases():
    t = np.zeros(200, dtype=int)
    t[50:60] = 1
    t[150:155] = 1
    s = t.astype(float)
    assert M.vus_roc(t, s, window=0) == pytest.approx(1.0)
    assert M.vus_pr(t, s, window=0) == pytest.approx(1.0)
    a = M.vus(t, s + 0.01 * np.arange(200) / 200, window=20, variant="tsb_ad")
    b = M.vus(t, s + 0.01 * np.arange(200) / 200, window=20, variant="reference")
    assert a == b
    assert M.vus(t, s, window=5, variant="aeon") == M.vus(t, s, window=5, variant="timeeval")


def test_vus_bad_arguments():
    t, s = [0, 1, 0], [0.1, 0.9, 0.2]
    with pytest.raises(AnogenError, match="variant must be one of"):
        M.vus_roc(t, s, variant="tsb")
    with pytest.raises(AnogenError, match="window must be a non-negative integer"):
        M.vus_roc(t, s, window=-1)
    with pytest.raises(AnogenError, match="thresholds must be an integer >= 2"):
        M.vus_pr(t, s, thresholds=1)
    with pytest.raises(AnogenError, match="vus needs at least one anomalous point"):
        M.vus_pr([0, 0, 0], s)
    with pytest.raises(AnogenError, match="vus needs at least one normal point"):
        M.vus_pr([1, 1, 1], s)


@pytest.mark.parametrize("variant", ["reference", "timeeval"])
def test_vus_is_the_same_whatever_the_block_of_widths_computed_at_once(monkeypatch, variant):
    """The widths are computed together in blocks (memory bound); any block size gives the same volume."""
    import anogen.metrics.curves as curves

    rng = np.random.default_rng(3)
    t = np.zeros(400, bool)
    t[50:60] = t[200:203] = t[390:] = True
    s = rng.random(400) + 0.6 * t
    whole = M.vus(t, s, window=40, variant=variant)
    monkeypatch.setattr(curves, "_BLOCK_ELEMENTS", 7)    # one width per block
    assert M.vus(t, s, window=40, variant=variant) == pytest.approx(whole, rel=1e-12)
