"""sampler=inject: typed anomalies, labels, counts, determinism, per-kind statistics, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from anogen.placement import allocate, apply_edits, check_injected
from anogen.samplers.base import SampleContext
from anogen.samplers.inject import KINDS, Inject, _dominant_period
from anogen.types import AnogenError, Fold

PERIOD = 40


def make_fold(n_train: int = 1500, n_test: int = 1000, noise: float = 0.01, d: int = 2,
              quantum: float | None = None, seed: int = 0) -> Fold:
    """Sine of period 40 (+ a strongly correlated second channel), small noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_train + n_test, dtype=np.float64)
    a = np.sin(2 * np.pi * t / PERIOD) + 3.0
    cols = [a, 0.5 * a + 1.0][:d]
    x = np.stack(cols, axis=1) + noise * rng.standard_normal((t.size, d))
    if quantum:
        x = np.round(x / quantum) * quantum
    names = ("a", "b")[:d]
    return Fold(0, names, x[:n_train].copy(), x[n_train:].copy(), np.arange(n_train),
                np.arange(n_train, n_train + n_test), np.array([[0, n_train]]))


def run(sampler: Inject, fold: Fold, seed: int = 0, min_gap: int = 1):
    ctx = SampleContext.from_fold(fold)
    rng = np.random.default_rng(seed)
    reqs = sampler.plan(ctx, rng)
    slots = allocate(reqs, ctx.n_test, rng, min_gap=min_gap)
    edits = sampler.fill(ctx, slots, rng)
    inj = apply_edits(fold, edits)
    check_injected(inj)
    return inj, edits, ctx


@pytest.fixture(scope="module")
def fold() -> Fold:
    return make_fold()


def segments(inj, edits):
    """(clean, new, column index, edit) for every edit."""
    out = []
    for e in edits:
        j = inj.columns.index(e.columns[0])
        clean = inj.clean[e.start:e.start + e.length, j]
        new = inj.values[e.start:e.start + e.length, j]
        out.append((clean, new, j, e))
    return out


# ------------------------------------------------------------------ labels, counts, determinism
@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_labels_exactly_where_data_changed(fold, kind):
    inj, edits, _ = run(Inject(count=12, kinds=[kind]), fold, seed=3)
    assert len(inj.events) == 12
    assert all(ev.kind == kind and ev.source == "inject" for ev in inj.events)
    assert int(inj.labels.sum()) == sum(e.length for e in edits)
    # every row of every event changed, only in the recorded column
    for e in edits:
        j = inj.columns.index(e.columns[0])
        seg = slice(e.start, e.start + e.length)
        assert (inj.values[seg, j] != inj.clean[seg, j]).all()
        others = [k for k in range(inj.values.shape[1]) if k != j]
        np.testing.assert_array_equal(inj.values[seg][:, others], inj.clean[seg][:, others])
        assert e.params["column"] == e.columns[0]
        json.dumps(e.params)  # JSON-able
    unl = ~inj.labels
    np.testing.assert_array_equal(inj.values[unl], fold.test[unl])
    assert set(inj.kinds[inj.labels]) == {kind}
    if kind == "spike":
        assert all(e.length == 1 for e in edits)
    else:
        assert all(5 <= e.length <= 20 for e in edits)


@pytest.mark.parametrize("ratio", [0.01, 0.05, 0.137, 0.3])
def test_ratio_gives_the_number_of_anomalous_rows(fold, ratio):
    target = int(fold.test.shape[0] * ratio)
    inj, _, _ = run(Inject(ratio=ratio), fold, seed=1)  # spikes included: exact
    assert int(inj.labels.sum()) == target
    inj, edits, _ = run(Inject(ratio=ratio, kinds=["level_shift", "trend"], min_length=6, max_length=9), fold, seed=2)
    assert abs(int(inj.labels.sum()) - target) <= 3  # without spikes: within min_length / 2
    assert all(6 <= e.length <= 9 for e in edits)


def test_default_ratio_and_count(fold):
    inj, _, _ = run(Inject(), fold)
    assert int(inj.labels.sum()) == 10  # 0.01 * 1000
    inj, edits, _ = run(Inject(count=33, min_length=3, max_length=3), fold)
    assert len(inj.events) == len(edits) == 33


def test_kind_weights(fold):
    _, edits, _ = run(Inject(count=200, kinds={"spike": 3.0, "trend": 1.0, "flatline": 0.0},
                             min_length=2, max_length=2), fold, seed=5)
    kinds = [e.kind for e in edits]
    assert "flatline" not in kinds
    assert 0.65 < kinds.count("spike") / 200 < 0.85


def test_deterministic(fold):
    a, ea, _ = run(Inject(count=30), fold, seed=7)
    b, eb, _ = run(Inject(count=30), fold, seed=7)
    c, _, _ = run(Inject(count=30), fold, seed=8)
    np.testing.assert_array_equal(a.values, b.values)
    assert [ev.to_dict() for ev in a.events] == [ev.to_dict() for ev in b.events]
    assert not np.array_equal(a.values, c.values)


def test_columns_restrict_changes(fold):
    inj, edits, _ = run(Inject(count=20, columns=["b"]), fold)
    assert {e.columns for e in edits} == {("b",)}
    np.testing.assert_array_equal(inj.values[:, 0], fold.test[:, 0])


def test_every_kind_on_quantised_data_is_never_a_noop():
    # coarse quantisation makes equal values (and flat stretches) common
    fold = make_fold(noise=0.05, quantum=0.25)
    for seed in range(3):
        inj, edits, _ = run(Inject(count=40, min_length=3, max_length=12), fold, seed=seed)
        assert len(inj.events) == 40
        assert int(inj.labels.sum()) == sum(e.length for e in edits)
    # the flat-line value never equals a value of its segment, so it stays flat
    _, edits, _ = run(Inject(count=40, kinds=["flatline"], min_length=3, max_length=12), fold)
    for e in edits:
        j = fold.columns.index(e.columns[0])
        assert np.unique(e.values[:, j]).size == 1


def test_univariate_default_kinds_skip_correlation_break():
    fold = make_fold(d=1)
    _, edits, _ = run(Inject(count=50), fold)
    kinds = {e.kind for e in edits}
    assert "correlation_break" not in kinds and len(kinds) >= 6


# ------------------------------------------------------------------ each kind moves its statistic
def test_spike(fold):
    inj, edits, ctx = run(Inject(count=10, kinds=["spike"], params={"spike": {"magnitude": 4, "direction": "up"}}),
                          fold)
    for clean, new, j, _ in segments(inj, edits):
        np.testing.assert_allclose(new - clean, 4 * ctx.std[j])
        assert new[0] > fold.train[:, j].max() + ctx.std[j]  # beyond anything normal


@pytest.mark.parametrize("direction,sign", [("up", 1), ("down", -1)])
def test_level_shift(fold, direction, sign):
    inj, edits, ctx = run(Inject(count=10, kinds=["level_shift"],
                                 params={"level_shift": {"offset": 2.5, "direction": direction}}), fold)
    for clean, new, j, _ in segments(inj, edits):
        assert new.mean() - clean.mean() == pytest.approx(sign * 2.5 * ctx.std[j])


@pytest.mark.parametrize("direction,factor", [("up", 3.0), ("down", 1 / 3.0)])
def test_amplitude(fold, direction, factor):
    inj, edits, _ = run(Inject(count=10, kinds=["amplitude"], min_length=10, max_length=20,
                               params={"amplitude": {"factor": 3.0, "direction": direction}}), fold)
    for clean, new, j, e in segments(inj, edits):
        assert new.std() == pytest.approx(factor * clean.std(), rel=1e-9)
        assert e.params["context"] % PERIOD == 0  # whole cycles of the detected period
        assert abs(e.params["baseline"] - fold.train[:, j].mean()) < 0.05  # the cycle's centre line


def test_dominant_period():
    t = np.arange(4000.0)
    assert _dominant_period(np.sin(2 * np.pi * t / 37)) in (36, 37, 38)
    rw = np.cumsum(np.random.default_rng(0).standard_normal(4000))
    assert _dominant_period(rw) is None
    assert _dominant_period(np.ones(100)) is None


@pytest.mark.parametrize("direction,sign", [("up", 1), ("down", -1)])
def test_trend(fold, direction, sign):
    inj, edits, ctx = run(Inject(count=10, kinds=["trend"], min_length=10,
                                 params={"trend": {"slope": 3.0, "direction": direction}}), fold)
    for clean, new, j, e in segments(inj, edits):
        t = np.arange(e.length)
        ds = np.polyfit(t, new, 1)[0] - np.polyfit(t, clean, 1)[0]
        assert ds == pytest.approx(sign * 3.0 * ctx.std[j] / e.length, rel=1e-6)
        assert new[-1] - clean[-1] == pytest.approx(sign * 3.0 * ctx.std[j])


def test_variance_raises_local_std(fold):
    inj, edits, _ = run(Inject(count=15, kinds=["variance"], min_length=10), fold)
    for clean, new, _, _ in segments(inj, edits):
        assert np.diff(new).std() > 3 * np.diff(clean).std()


@pytest.mark.parametrize("direction", ["up", "down"])
def test_frequency(fold, direction):
    def crossings(x):
        y = x - x.mean()
        return int((np.sign(y[1:]) != np.sign(y[:-1])).sum())

    inj, edits, _ = run(Inject(count=8, kinds=["frequency"], min_length=80, max_length=80,
                               params={"frequency": {"factor": 2.0, "direction": direction}}), fold)
    before = sum(crossings(c) for c, _, _, _ in segments(inj, edits))
    after = sum(crossings(n) for _, n, _, _ in segments(inj, edits))
    assert before == pytest.approx(8 * 4, abs=4)  # 2 periods -> 4 crossings each
    if direction == "up":
        assert after >= 1.7 * before
    else:
        assert after <= 0.65 * before
    for clean, new, _, _ in segments(inj, edits):  # around the local mean
        assert new.mean() == pytest.approx(clean.mean())


@pytest.mark.parametrize("style", ["warp", "reverse", "flip"])
def test_pattern_distorts_the_shape(fold, style):
    inj, edits, ctx = run(Inject(count=10, kinds=["pattern"], min_length=20, max_length=30,
                                 params={"pattern": {"style": style}}), fold)
    corrs = []
    for clean, new, j, e in segments(inj, edits):
        corrs.append(np.corrcoef(clean, new)[0, 1])
        if style != "reverse":  # reversal is weak on a nearly symmetric stretch (a peak, a trough)
            assert corrs[-1] < 0.9
            assert np.abs(new - clean).max() > ctx.std[j]
        if style == "warp":  # re-timed values: within the range of the segment and its neighbours
            around = fold.test[max(0, e.start - 1):e.start + e.length + 1, j]
            assert around.min() - 1e-12 <= new.min() and new.max() <= around.max() + 1e-12
        if style == "reverse":
            moved = new != clean[::-1]
            assert moved.sum() <= 1  # only a centre row that reversal leaves in place is nudged
    assert np.mean(corrs) < 0.5


def test_flatline_zeroes_local_std(fold):
    inj, edits, ctx = run(Inject(count=12, kinds=["flatline"]), fold)
    for clean, new, j, e in segments(inj, edits):
        assert clean.std() > 0.05 and np.ptp(new) == 0
        assert e.start > 0 and new[0] == pytest.approx(fold.test[e.start - 1, j], abs=0.01 * ctx.std[j])  # holds


def test_flatline_fixed_value(fold):
    _, edits, _ = run(Inject(count=5, kinds=["flatline"], params={"flatline": {"value": 0.0}}), fold)
    assert all(e.params["value"] == 0.0 and (e.values[:, fold.columns.index(e.columns[0])] == 0).all() for e in edits)


def test_correlation_break_decouples_one_channel(fold):
    inj, edits, _ = run(Inject(count=10, kinds=["correlation_break"], min_length=15, max_length=20), fold)
    corrs = []
    for _, _, j, e in segments(inj, edits):
        seg = slice(e.start, e.start + e.length)
        before = np.corrcoef(inj.clean[seg, 0], inj.clean[seg, 1])[0, 1]
        after = np.corrcoef(inj.values[seg, 0], inj.values[seg, 1])[0, 1]
        assert before > 0.95
        corrs.append(abs(after))
        # same local level and spread: only the coupling is broken
        assert inj.values[seg, j].mean() == pytest.approx(inj.clean[seg, j].mean())
        assert inj.values[seg, j].std() == pytest.approx(inj.clean[seg, j].std())
    assert max(corrs) < 0.9 and np.mean(corrs) < 0.5


def test_correlation_break_needs_two_columns():
    fold = make_fold(d=1)
    with pytest.raises(AnogenError, match="correlation_break.*at least 2 data columns"):
        run(Inject(count=3, kinds=["correlation_break"]), fold)


def test_contextual_copies_normal_values_out_of_place(fold):
    inj, edits, ctx = run(Inject(count=10, kinds=["contextual"], min_length=8, max_length=12), fold)
    for clean, new, j, e in segments(inj, edits):
        src = e.params["source_start"]
        np.testing.assert_array_equal(new, fold.train[src:src + e.length, j])  # normal elsewhere
        assert np.abs(new - clean).mean() > 1.0 * ctx.std[j]  # but out of place here (opposite phase)


# ------------------------------------------------------------------ config and bad input
def test_yaml_builds():
    from omegaconf import OmegaConf

    from anogen.config import build

    path = Path(__file__).resolve().parents[1] / "anogen" / "conf" / "sampler" / "inject.yaml"
    s = build(OmegaConf.load(path), "sampler")
    assert isinstance(s, Inject) and s.ratio == 0.01 and s.kinds is None
    s = build(OmegaConf.merge(OmegaConf.load(path), {"count": 4, "kinds": {"spike": 2, "trend": 1}}), "sampler")
    assert s.count == 4 and s.kinds == {"spike": 2.0, "trend": 1.0}


@pytest.mark.parametrize("kwargs,match", [
    ({"kinds": ["spike", "spikes"]}, r"unknown kind 'spikes'; valid kinds: \['spike'"),
    ({"kinds": []}, "sampler.kinds is empty"),
    ({"kinds": ["trend", "trend"]}, "listed twice"),
    ({"kinds": {"spike": -1.0}}, r"sampler.kinds.spike: weight must be >= 0"),
    ({"kinds": {"spike": 0.0}}, "at least one weight"),
    ({"min_length": 10, "max_length": 5}, r"min_length \(10\) is greater than sampler.max_length \(5\)"),
    ({"min_length": 1}, "min_length must be >= 2"),
    ({"max_length": 0}, "max_length must be an integer >= 1"),
    ({"ratio": 0.1, "count": 3}, "exclusive"),
    ({"ratio": 0.7}, r"sampler.ratio must be in \(0, 0.5\]"),
    ({"count": 0}, "sampler.count must be an integer >= 1"),
    ({"mode": "insert"}, "only 'replace'"),
    ({"params": {"spiky": {}}}, "sampler.params: unknown kind 'spiky'"),
    ({"params": {"spike": {"size": 3}}}, r"unknown parameter 'size'; valid: \['magnitude', 'direction'\]"),
    ({"params": {"spike": {"direction": "sideways"}}}, "direction must be one of"),
    ({"params": {"spike": {"magnitude": -2}}}, "magnitude must be > 0"),
    ({"params": {"level_shift": {"offset": [3, 1]}}}, "range low 3.0 is greater than high 1.0"),
    ({"params": {"amplitude": {"factor": 1.0}}}, "factor must be > 1"),
    ({"params": {"pattern": {"style": "zigzag"}}}, "style must be one of"),
    ({"params": {"flatline": {"value": "median"}}}, "'hold', 'mean' or a number"),
    ({"params": {"contextual": {"candidates": 0}}}, "candidates must be an integer >= 1"),
    ({"columns": "a"}, "list of column names"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(AnogenError, match=match):
        Inject(**kwargs)


def test_bad_input_at_plan_time(fold):
    with pytest.raises(AnogenError, match=r"unknown column 'zz'; valid columns: \['a', 'b'\]"):
        run(Inject(count=2, columns=["zz"]), fold)
    with pytest.raises(AnogenError, match="longer than the test fold"):
        run(Inject(count=1, kinds=["trend"], min_length=2000, max_length=2000), fold)
    flat = Fold(0, ("a",), np.ones((100, 1)), np.ones((50, 1)), np.arange(100), np.arange(100, 150),
                np.array([[0, 100]]))
    with pytest.raises(AnogenError, match="'flatline' needs a 5-row segment that is not constant"):
        run(Inject(count=1, kinds=["flatline"], min_length=5, max_length=5), flat)
    with pytest.raises(AnogenError, match="no contiguous train segment has 30 rows"):
        short = Fold(0, ("a",), fold.train[:20, :1], fold.test[:, :1], np.arange(20), np.arange(20, 1020),
                     np.array([[0, 20]]))
        run(Inject(count=1, kinds=["contextual"], min_length=30, max_length=30), short)
    # level shifts and spikes work on flat data
    inj, _, _ = run(Inject(count=2, kinds=["level_shift", "spike"]), flat)
    assert inj.labels.any()


def test_fill_must_follow_plan(fold):
    s = Inject(count=3, kinds=["trend"])
    ctx = SampleContext.from_fold(fold)
    rng = np.random.default_rng(0)
    slots = allocate(s.plan(ctx, rng), ctx.n_test, rng)
    with pytest.raises(AnogenError, match="do not match its last plan"):
        s.fill(ctx, slots[:2], rng)
