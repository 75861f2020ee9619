"""Kovács et al. metrics: the worked examples of REFERENCE.md, naive loops, edge cases."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import anogen.metrics as M
from anogen.types import AnogenError

# ---- worked examples (shared/REFERENCE.md, seed 000) ----


def test_reference_example_1():
    t, c = [0, 0, 0, 0, 1], [1, 0, 0, 1, 0]
    assert M.detection_counts(t, c, k=3) == {"EM": 0, "DA": 1, "MA": 0, "FA": 2}
    assert M.tdir(t, c, k=3) == 1.0
    assert M.dair(t, c, k=3) == pytest.approx(1 / 3)
    assert M.temporal_distance(t, c) == 6


def test_reference_example_2():
    assert M.temporal_distance([0, 1, 0, 0, 0], [0, 0, 1, 1, 0]) == 4


def test_reference_example_3():
    y = [0, 0, 1, 1, 0, 0, 0, 1, 0, 0]
    p = [0, 1, 1, 0, 0, 0, 0, 0, 1, 0]
    assert M.detection_counts(y, p, k=1) == {"EM": 1, "DA": 2, "MA": 0, "FA": 2}
    assert M.tdir(y, p, k=1) == 1.0
    assert M.dair(y, p, k=1) == pytest.approx(0.6)
    assert M.temporal_distance(y, p) == 4


# ---- naive definitions, written as loops over time steps ----


def naive_counts(t, p, k):
    n = len(t)
    em = da = ma = 0
    for i in range(n):
        if not t[i]:
            continue
        if p[i]:
            em += 1
        elif any(p[j] for j in range(max(0, i - k), min(n, i + k + 1))):
            da += 1
        else:
            ma += 1
    fa = sum(1 for i in range(n) if p[i] and not t[i])
    return {"EM": em, "DA": da, "MA": ma, "FA": fa}


def naive_td(t, p):
    n = len(t)
    ti = [i for i in range(n) if t[i]]
    pi = [i for i in range(n) if p[i]]
    if not ti or not pi:
        return (len(ti) + len(pi)) * n
    return sum(min(abs(i - j) for j in pi) for i in ti) + sum(min(abs(i - j) for j in ti) for i in pi)


def naive_wdd(t, p, k, sigma=None, w_f=1.0):
    n = len(t)
    ti = [i for i in range(n) if t[i]]
    pi = [i for i in range(n) if p[i]]
    if not pi:
        return 0.0
    if not ti:
        return -w_f * len(pi)
    sigma = sigma if sigma is not None else (k / 3 if k > 0 else 1.0)
    reward = 0.0
    for i in ti:
        d = min(abs(i - j) for j in pi)
        if d <= k:
            reward += math.exp(-d * d / (2 * sigma * sigma))
    fa = sum(1 for j in pi if min(abs(i - j) for i in ti) > k)
    return reward - w_f * fa


binary = st.lists(st.integers(0, 1), min_size=1, max_size=60)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_vectorised_equals_naive(data):
    t = data.draw(binary)
    p = data.draw(st.lists(st.integers(0, 1), min_size=len(t), max_size=len(t)))
    k = data.draw(st.integers(0, 8))
    counts = naive_counts(t, p, k)
    assert M.detection_counts(t, p, k=k) == counts
    assert M.temporal_distance(t, p) == naive_td(t, p)
    assert M.wdd(t, p, k=k) == pytest.approx(naive_wdd(t, p, k), abs=1e-12)
    em, da, ma, fa = counts["EM"], counts["DA"], counts["MA"], counts["FA"]
    if em + da + ma:
        assert M.tdir(t, p, k=k) == pytest.approx((em + da) / (em + da + ma))
    if em + da + fa:
        assert M.dair(t, p, k=k) == pytest.approx((em + da) / (em + da + fa))


@settings(max_examples=60, deadline=None)
@given(binary, st.integers(0, 5))
def test_perfect_prediction_is_best(t, k):
    assert M.temporal_distance(t, t) == 0
    if any(t):
        assert M.tdir(t, t, k=k) == 1.0
        assert M.dair(t, t, k=k) == 1.0
        assert M.wdd(t, t, k=k) == sum(t)


# ---- edge cases ----


def test_edges_first_and_last_index():
    t = [1, 0, 0, 0, 0, 0, 1]
    assert M.detection_counts(t, [0, 1, 0, 0, 0, 1, 0], k=1) == {"EM": 0, "DA": 2, "MA": 0, "FA": 2}
    assert M.detection_counts(t, [0, 0, 1, 0, 1, 0, 0], k=1) == {"EM": 0, "DA": 0, "MA": 2, "FA": 2}
    assert M.temporal_distance(t, [1, 0, 0, 0, 0, 0, 1]) == 0


def test_undefined_cases():
    n0, n1 = [0, 0, 0, 0], [0, 1, 1, 0]
    assert M.tdir(n0, n0, k=1) == 1.0 and M.dair(n0, n0, k=1) == 1.0
    assert M.tdir(n0, n1, k=1) == 0.0 and M.dair(n0, n1, k=1) == 0.0
    assert M.tdir(n1, n0, k=1) == 0.0 and M.dair(n1, n0, k=1) == 0.0
    # one side empty: each point of the other side costs the series length
    assert M.temporal_distance(n1, n0) == 2 * 4
    assert M.temporal_distance(n0, n1) == 2 * 4
    assert M.temporal_distance(n0, n0) == 0
    assert M.wdd(n1, n0, k=2) == 0.0
    assert M.wdd(n0, n1, k=2) == -2.0
    assert M.wdd(n0, n1, k=2, w_f=0.5) == -1.0


def test_wdd_exact_form():
    # targets 3..4, one exact match at 3, a detection at distance 2 of target 4 is not needed:
    t = [0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1]
    p = [0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0]
    # target 3: d=0 -> 1; target 4: d=1 -> exp(-1/(2 (2/3)^2)); target 11: d=2 -> exp(-4/(2 (2/3)^2))
    s = 2 / 3
    expected = 1 + math.exp(-1 / (2 * s * s)) + math.exp(-4 / (2 * s * s))
    assert M.wdd(t, p, k=2) == pytest.approx(expected)  # candidate 9 is within k of 11: no FA
    assert M.wdd(t, p, k=1) == pytest.approx(1 + math.exp(-1 / (2 * (1 / 3) ** 2)) - 1.0)
    assert M.wdd(t, p, k=2, sigma=1.0) == pytest.approx(1 + math.exp(-0.5) + math.exp(-2))


@pytest.mark.parametrize("k", [-1, 1.5, "3", None, True])
def test_bad_range(k):
    with pytest.raises(AnogenError, match="k must be a non-negative integer"):
        M.tdir([0, 1], [0, 1], k=k)


def test_bad_inputs():
    with pytest.raises(AnogenError, match="same length"):
        M.temporal_distance([0, 1, 0], [0, 1])
    with pytest.raises(AnogenError, match="0/1 values; found 2 at index 1"):
        M.detection_counts([0, 2, 0], [0, 1, 0], k=1)
    with pytest.raises(AnogenError, match="empty"):
        M.tdir([], [], k=1)
    with pytest.raises(AnogenError, match="sigma"):
        M.wdd([0, 1], [0, 1], k=1, sigma=0)
