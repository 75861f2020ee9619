"""sampler=inject: typed anomalies, labels, counts, determinism, per-kind statistics, bad input,
kinds as plug-ins (one class + one catalog entry), no state between plan and fill."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from anogen.params import PositiveFloat
from anogen.placement import allocate, apply_edits, check_injected
from anogen.samplers.base import SampleContext
from anogen.samplers.inject import Inject, packaged_catalog
from anogen.samplers.kinds.base import AnomalyKind, Segment
from anogen.samplers.kinds.signal import dominant_period
from anogen.samplers.kinds.spike import Spike
from anogen.types import AnogenError, Fold

KINDS = tuple(packaged_catalog())
#: kinds that change only some rows of their event on purpose (labels = those rows)
SPARSE = ("stuck", "noise_burst", "outlier_cluster")
FIXED_LENGTH = {k for k, v in packaged_catalog().items() if v.length is not None}
CONF = Path(__file__).resolve().parents[1] / "anogen" / "conf"

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
    sampler = Inject(count=12, kinds=[kind])
    inj, edits, _ = run(sampler, fold, seed=3)
    label = sampler.catalog[kind].event_kind(kind)  # combine: its parts' labels
    assert all(ev.kind == label and ev.source == "inject" for ev in inj.events)
    if kind in SPARSE:  # labels are exactly the rows it changed, one event per run
        changed = (inj.values != inj.clean).any(axis=1)
        np.testing.assert_array_equal(inj.labels, changed)
        inside = np.zeros_like(inj.labels)
        for e in edits:
            inside[e.start:e.start + e.length] = True
            assert changed[e.start:e.start + e.length].any()  # never a no-op
        assert not (inj.labels & ~inside).any() and len(inj.events) >= 12
        return
    assert len(inj.events) == 12
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
    assert set(inj.kinds[inj.labels]) == {label}
    if kind in FIXED_LENGTH:
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
    inj, edits, ctx = run(Inject(count=10, kinds=["spike"], catalog={"spike": {"magnitude": 4, "direction": "up"}}),
                          fold)
    for clean, new, j, _ in segments(inj, edits):
        np.testing.assert_allclose(new - clean, 4 * ctx.std[j])
        assert new[0] > fold.train[:, j].max() + ctx.std[j]  # beyond anything normal


@pytest.mark.parametrize("direction,sign", [("up", 1), ("down", -1)])
def test_level_shift(fold, direction, sign):
    inj, edits, ctx = run(Inject(count=10, kinds=["level_shift"],
                                 catalog={"level_shift": {"offset": 2.5, "direction": direction}}), fold)
    for clean, new, j, _ in segments(inj, edits):
        assert new.mean() - clean.mean() == pytest.approx(sign * 2.5 * ctx.std[j])


@pytest.mark.parametrize("direction,factor", [("up", 3.0), ("down", 1 / 3.0)])
def test_amplitude(fold, direction, factor):
    inj, edits, _ = run(Inject(count=10, kinds=["amplitude"], min_length=10, max_length=20,
                               catalog={"amplitude": {"factor": 3.0, "direction": direction}}), fold)
    for clean, new, j, e in segments(inj, edits):
        assert new.std() == pytest.approx(factor * clean.std(), rel=1e-9)
        assert e.params["context"] % PERIOD == 0  # whole cycles of the detected period
        assert abs(e.params["baseline"] - fold.train[:, j].mean()) < 0.05  # the cycle's centre line


def testdominant_period():
    t = np.arange(4000.0)
    assert dominant_period(np.sin(2 * np.pi * t / 37)) in (36, 37, 38)
    rw = np.cumsum(np.random.default_rng(0).standard_normal(4000))
    assert dominant_period(rw) is None
    assert dominant_period(np.ones(100)) is None


@pytest.mark.parametrize("direction,sign", [("up", 1), ("down", -1)])
def test_trend(fold, direction, sign):
    inj, edits, ctx = run(Inject(count=10, kinds=["trend"], min_length=10,
                                 catalog={"trend": {"slope": 3.0, "direction": direction}}), fold)
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
                               catalog={"frequency": {"factor": 2.0, "direction": direction}}), fold)
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
                                 catalog={"pattern": {"style": style}}), fold)
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
    _, edits, _ = run(Inject(count=5, kinds=["flatline"], catalog={"flatline": {"value": 0.0}}), fold)
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
def _yaml():
    from omegaconf import OmegaConf

    return OmegaConf.load(CONF / "sampler" / "inject.yaml")


def test_yaml_builds():
    from omegaconf import OmegaConf

    from anogen.config import build

    s = build(_yaml(), "sampler")
    assert isinstance(s, Inject) and s.ratio == 0.01 and s.kinds is None
    s = build(OmegaConf.merge(_yaml(), {"count": 4, "kinds": {"spike": 2, "trend": 1}}), "sampler")
    assert s.count == 4 and s.kinds == {"spike": 2.0, "trend": 1.0}


def test_every_kind_is_one_class_built_from_its_yaml_entry():
    from anogen.config import build

    from anogen.samplers.kinds.base import PLACEMENT

    nodes = _yaml().catalog
    assert list(nodes) == list(KINDS) and len(KINDS) == 18
    for label, node in nodes.items():
        kind = build(node, f"sampler.catalog.{label}")
        assert isinstance(kind, AnomalyKind) and dataclasses.is_dataclass(kind)
        assert type(kind).__module__ == f"anogen.samplers.kinds.{label}"  # one module per kind
        assert type(kind).name == label
        assert kind == packaged_catalog()[label]  # Python use gets the YAML's defaults
        # every YAML parameter is a typed constructor parameter (nothing hand-validated); the
        # placement controls are the base class's, set per kind only when wanted
        fields = {f.name for f in dataclasses.fields(kind)}
        assert set(node) - {"_target_"} == fields - set(PLACEMENT)


@pytest.mark.parametrize("override,match", [
    ("sampler.catalog.spike.magnitude=-1", r"^sampler\.catalog\.spike\.magnitude: must be > 0, got -1$"),
    ("sampler.catalog.amplitude.factor=[3,2]", r"^sampler\.catalog\.amplitude\.factor: range low 3 is greater"),
    ("sampler.catalog.pattern.style=zigzag",
     r"^sampler\.catalog\.pattern\.style: must be 'warp', 'reverse' or 'flip', got 'zigzag'$"),
    ("sampler.catalog.contextual.candidates=0", r"^sampler\.catalog\.contextual\.candidates: must be > 0, got 0$"),
    ("+sampler.catalog.trend.size=3", r"^sampler\.catalog\.trend: unknown parameter 'size'"),
    ("sampler.count=0", r"^sampler\.count: must be > 0, got 0$"),
])
def test_typed_param_errors_name_the_key(override, match):
    from anogen.config import build
    from conftest import compose

    with pytest.raises(AnogenError, match=match):
        build(compose(["sampler=inject", override]).sampler, "sampler")


def test_cli_overrides_select_kinds_and_set_parameters():
    from anogen.config import build
    from conftest import compose

    cfg = compose(["sampler=inject", "sampler.kinds=[spike,level_shift]", "sampler.catalog.spike.magnitude=[4,8]"])
    s = build(cfg.sampler, "sampler")
    assert s.kinds == {"spike": 1.0, "level_shift": 1.0}
    assert s.catalog["spike"] == Spike(magnitude=(4.0, 8.0))


@pytest.mark.parametrize("kwargs,match", [
    ({"kinds": ["spike", "spikes"]}, r"unknown kind 'spikes'; valid kinds: \['spike'"),
    ({"kinds": []}, "sampler.kinds is empty"),
    ({"kinds": ["trend", "trend"]}, "listed twice"),
    ({"kinds": {"spike": -1.0}}, r"sampler.kinds.spike: must be >= 0"),
    ({"kinds": {"spike": 0.0}}, "at least one weight"),
    ({"kinds": 3}, "must be a list of kinds"),
    ({"min_length": 10, "max_length": 5}, r"min_length \(10\) is greater than sampler.max_length \(5\)"),
    ({"min_length": 1}, "min_length must be >= 2"),
    ({"max_length": 0}, "sampler.max_length: must be > 0, got 0"),
    ({"ratio": 0.1, "count": 3}, "exclusive"),
    ({"ratio": 0.7}, r"sampler.ratio: must be <= 0.5, got 0.7"),
    ({"count": 0}, "sampler.count: must be > 0, got 0"),
    ({"mode": "insert"}, "sampler.mode: must be 'replace', got 'insert'"),
    ({"catalog": {"spiky": {}}}, "sampler.catalog.spiky: a new kind needs a _target_"),
    ({"catalog": {"spike": 5}}, "sampler.catalog.spike: expected an anomaly kind"),
    ({"catalog": {"x": {"_target_": "anogen.samplers.inject.Inject"}}}, "sampler.catalog.x: expected an anomaly kind"),
    ({"catalog": {"spike": {"size": 3}}},
     r"sampler.catalog.spike: unknown parameter 'size'; valid parameters: \['magnitude', 'direction', 'position', "),
    ({"catalog": {"spike": {"direction": "sideways"}}}, "sampler.catalog.spike.direction: must be 'up', 'down' or"),
    ({"catalog": {"spike": {"magnitude": -2}}}, "sampler.catalog.spike.magnitude: must be > 0"),
    ({"catalog": {"spike": {"magnitude": [1, 2, 3]}}}, r"magnitude: must be a number or a range \[low, high\]"),
    ({"catalog": {"level_shift": {"offset": [3, 1]}}}, "offset: range low 3 is greater than high 1"),
    ({"catalog": {"amplitude": {"factor": 1.0}}}, "sampler.catalog.amplitude.factor: must be > 1"),
    ({"catalog": {"amplitude": {"context": 0}}}, "sampler.catalog.amplitude.context: must be > 0"),
    ({"catalog": {"pattern": {"style": "zigzag"}}}, "style: must be 'warp', 'reverse' or 'flip'"),
    ({"catalog": {"flatline": {"value": "median"}}}, "value: must be 'hold', 'mean' or a finite number"),
    ({"catalog": {"contextual": {"candidates": 0}}}, "sampler.catalog.contextual.candidates: must be > 0"),
    ({"columns": "a"}, "sampler.columns: must be a valid list"),
    ({"columns": ["a", "a"]}, "lists a column twice"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(AnogenError, match=match):
        Inject(**kwargs)


def test_kind_objects_are_validated_when_built_in_python():
    with pytest.raises(AnogenError, match=r"^sampler\.catalog\.spike\.magnitude: must be > 0, got -1$"):
        Spike(magnitude=-1)
    assert Spike(magnitude=[2, 3]).magnitude == (2.0, 3.0)  # coerced like a config value
    with pytest.raises(dataclasses.FrozenInstanceError):
        Spike().magnitude = 3.0


def test_bad_input_at_plan_time(fold):
    with pytest.raises(AnogenError, match=r"unknown column 'zz'; valid columns: \['a', 'b'\]"):
        run(Inject(count=2, columns=["zz"]), fold)
    with pytest.raises(AnogenError, match="longer than the test fold"):
        run(Inject(count=1, kinds=["trend"], min_length=2000, max_length=2000), fold)
    flat = Fold(0, ("a",), np.ones((100, 1)), np.ones((50, 1)), np.arange(100), np.arange(100, 150),
                np.array([[0, 100]]))
    with pytest.raises(AnogenError, match="'flatline' needs a 5-row segment that is not constant"):
        run(Inject(count=1, kinds=["flatline"], min_length=5, max_length=5), flat)
    with pytest.raises(AnogenError, match="'flatline' needs a 5-row segment that never equals the flat-line value 1.0"):
        run(Inject(count=1, kinds=["flatline"], min_length=5, max_length=5, catalog={"flatline": {"value": 1}}), flat)
    with pytest.raises(AnogenError, match="no contiguous train segment has 30 rows"):
        short = Fold(0, ("a",), fold.train[:20, :1], fold.test[:, :1], np.arange(20), np.arange(20, 1020),
                     np.array([[0, 20]]))
        run(Inject(count=1, kinds=["contextual"], min_length=30, max_length=30), short)
    # level shifts and spikes work on flat data
    inj, _, _ = run(Inject(count=2, kinds=["level_shift", "spike"]), flat)
    assert inj.labels.any()


# ------------------------------------------------------------------ plug-ins and the catalog
@dataclass(frozen=True)
class Square(AnomalyKind):
    """A test plug-in outside the package: ``x + sign * height * s * (-1) ** i``, only where the
    segment varies, never on a column named ``b``."""

    name: ClassVar[str] = "square"
    needs_variation: ClassVar[bool] = True
    height: PositiveFloat = 2.0

    def apply(self, seg: Segment, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Any]]:
        sgn = float(rng.choice([-1.0, 1.0]))
        wave = (-1.0) ** np.arange(seg.length)
        return seg.values + sgn * self.height * seg.std * wave, {"height": self.height, "sign": sgn}

    def eligible(self, scan, length):
        ok = super().eligible(scan, length).copy()
        ok[:, scan.x.shape[1] - 1] &= scan.x.shape[1] == 1  # the last allowed column never (if several)
        return ok


def test_a_kind_defined_outside_the_package_plugs_in_by_target(fold):
    from omegaconf import OmegaConf

    from anogen.config import build

    target = f"{__name__}.Square"
    cfg = OmegaConf.merge(_yaml(), {"count": 12, "kinds": {"square": 3, "spike": 1},
                                    "catalog": {"square": {"_target_": target, "height": 4.0}}})
    s = build(cfg, "sampler")
    assert s.catalog["square"] == Square(height=4.0)
    inj, edits, ctx = run(s, fold, seed=2)
    squares = [e for e in edits if e.kind == "square"]
    assert squares and {e.kind for e in inj.events} <= {"square", "spike"}
    for clean, new, j, e in segments(inj, [*squares]):
        assert e.columns == ("a",)  # its eligibility rule was honoured
        np.testing.assert_allclose(np.abs(new - clean), 4.0 * ctx.std[j])
        assert e.params["height"] == 4.0
    # a typed parameter of a plug-in is checked with its key, before any data
    bad = OmegaConf.merge(cfg, {"catalog": {"square": {"height": 0}}})
    with pytest.raises(AnogenError, match=r"^sampler\.catalog\.square\.height: must be > 0, got 0$"):
        build(bad, "sampler")


def test_catalog_labels_kind_objects_and_overrides(fold):
    # two variants of one class under their own labels
    s = Inject(count=20, kinds=["spike", "big_spike"],
               catalog={"big_spike": {"_target_": "anogen.samplers.kinds.spike.Spike", "magnitude": 20,
                                      "direction": "up"}})
    _, edits, ctx = run(s, fold, seed=4)
    assert {e.kind for e in edits} == {"spike", "big_spike"}
    for e in edits:
        if e.kind == "big_spike":
            assert e.params["magnitude"] == 20.0 and e.params["sign"] == 1.0
    # a kind object in the list, and a catalog entry removed
    s = Inject(count=5, kinds=[Spike(magnitude=7, direction="down")], catalog={"trend": None})
    assert "trend" not in s.catalog and s.kinds == {"spike": 1.0}
    _, edits, _ = run(s, fold)
    assert all(e.params["magnitude"] == 7.0 and e.params["sign"] == -1.0 for e in edits)


# ------------------------------------------------------------------ no state between plan and fill
class _Frozen(Inject):
    """Inject that refuses any attribute change once built."""

    def __setattr__(self, key, value):
        if getattr(self, "_frozen", False):
            raise AttributeError(f"Inject changed {key} after construction")
        super().__setattr__(key, value)


def test_plan_and_fill_keep_no_state(fold):
    s = _Frozen(count=25, min_length=3, max_length=12)
    s._frozen = True
    ctx = SampleContext.from_fold(fold)
    expected = []
    for seed in (0, 1):  # plan, allocate, fill in sequence
        rng = np.random.default_rng(seed)
        slots = allocate(s.plan(ctx, rng), ctx.n_test, rng)
        expected.append([(e.start, e.kind, e.params) for e in s.fill(ctx, slots, rng)])
    rngs = [np.random.default_rng(seed) for seed in (0, 1)]  # two plans, then fills in swapped order
    slots = [allocate(s.plan(ctx, r), ctx.n_test, r) for r in rngs]
    got = {i: [(e.start, e.kind, e.params) for e in s.fill(ctx, slots[i], rngs[i])] for i in (1, 0)}
    assert got[0] == expected[0] and got[1] == expected[1]
    assert expected[0] != expected[1]


def test_fill_needs_the_planned_slots(fold):
    from anogen.samplers.base import Slot

    s = Inject(count=3, kinds=["trend"])
    ctx = SampleContext.from_fold(fold)
    rng = np.random.default_rng(0)
    slots = allocate(s.plan(ctx, rng), ctx.n_test, rng)
    assert len(s.fill(ctx, slots[:2], rng)) == 2  # any subset of its own slots
    with pytest.raises(AnogenError, match="slot without a planned kind"):
        s.fill(ctx, [Slot(slots[0].start, slots[0].length)], rng)


def test_compose_routes_inject_slots(fold):
    from anogen.samplers.compose import Compose

    comp = Compose({"a": Inject(count=4, kinds=["spike"]), "b": Inject(count=3, kinds=["trend"])})
    ctx = SampleContext.from_fold(fold)
    rng = np.random.default_rng(0)
    edits = comp.fill(ctx, allocate(comp.plan(ctx, rng), ctx.n_test, rng), rng)
    assert sorted(e.kind for e in edits) == ["spike"] * 4 + ["trend"] * 3
