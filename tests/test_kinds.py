"""The kinds added for GutenTAG / MATLAB parity (pattern_shift, local_extremum, drift, bias, stuck,
noise_burst, outlier_cluster, combine) and the placement controls of every kind (position,
creeping, channels): each moves the statistic it names, and labels are exactly the changed rows."""

from __future__ import annotations

import numpy as np
import pytest

from anogen.placement import allocate, apply_edits, check_injected, start_mask
from anogen.samplers.base import SampleContext, SlotRequest
from anogen.samplers.compose import Compose
from anogen.samplers.inject import Inject
from anogen.samplers.kinds.combine import Combine
from anogen.samplers.kinds.level_shift import LevelShift
from anogen.samplers.kinds.signal import dominant_period
from anogen.samplers.kinds.variance import Variance
from anogen.types import AnogenError, Fold

PERIOD = 40


def make_fold(n_train: int = 800, n_test: int = 900, d: int = 2, quantum: float | None = None,
              seed: int = 0) -> Fold:
    """Sines of period 40 (channel j phase-shifted by j), small noise; optionally quantised."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_train + n_test, dtype=np.float64)
    x = np.stack([np.sin(2 * np.pi * t / PERIOD + j) + 3.0 + j for j in range(d)], axis=1)
    x += 0.01 * rng.standard_normal(x.shape)
    if quantum:
        x = np.round(x / quantum) * quantum
    names = tuple("abcdef"[:d])
    return Fold(0, names, x[:n_train].copy(), x[n_train:].copy(), np.arange(n_train),
                np.arange(n_train, n_train + n_test), np.array([[0, n_train]]))


def run(sampler, fold: Fold, seed: int = 0, min_gap: int = 1):
    ctx = SampleContext.from_fold(fold)
    rng = np.random.default_rng(seed)
    slots = allocate(sampler.plan(ctx, rng), ctx.n_test, rng, min_gap=min_gap)
    edits = sampler.fill(ctx, slots, rng)
    inj = apply_edits(fold, edits)
    check_injected(inj)  # labels = changed rows, events = labelled runs, event columns = changed columns
    return inj, edits, ctx


def diffs(inj, e):
    """(clean, new, column index) of the first column of an edit."""
    j = inj.columns.index(e.columns[0])
    seg = slice(e.start, e.start + e.length)
    return inj.clean[seg, j], inj.values[seg, j], j


def whole_events(inj, edits):
    """Every row of every edit changed and labelled, nothing else."""
    want = np.zeros_like(inj.labels)
    for e in edits:
        want[e.start:e.start + e.length] = True
    np.testing.assert_array_equal(inj.labels, want)


@pytest.fixture(scope="module")
def fold() -> Fold:
    return make_fold()


# ------------------------------------------------------------------ new kinds: the statistic each names
def test_pattern_shift_moves_the_pattern_by_shift_rows(fold):
    inj, edits, _ = run(Inject(count=8, kinds=["pattern_shift"], min_length=30, max_length=40,
                               catalog={"pattern_shift": {"shift": 5, "direction": "up"}}), fold)
    whole_events(inj, edits)
    for e in edits:
        clean, new, j = diffs(inj, e)
        a = e.params["transition_rows"]
        assert e.params["shift"] == 5 and a == round(0.25 * e.length)
        mid = np.arange(a, e.length - a)
        np.testing.assert_array_equal(new[mid], fold.test[e.start + mid - 5, j])  # the pattern 5 rows later
    # default: a quarter of the column's dominant period
    _, edits, _ = run(Inject(count=3, kinds=["pattern_shift"], min_length=30, max_length=30), fold)
    assert {abs(e.params["shift"]) for e in edits} == {dominant_period(fold.train[:, 0]) // 4}


@pytest.mark.parametrize("direction", ["up", "down"])
def test_local_extremum_is_the_extremum_of_its_neighbourhood(fold, direction):
    inj, edits, ctx = run(Inject(count=15, kinds=["local_extremum"], catalog={
        "local_extremum": {"direction": direction, "context": 8, "excess": 0.5}}), fold)
    whole_events(inj, edits)
    for e in edits:
        j = inj.columns.index(e.columns[0])
        s = e.start
        w = fold.test[max(0, s - 8):s + 9, j]
        v = inj.values[s, j]
        others = np.delete(inj.values[max(0, s - 8):s + 9, j], s - max(0, s - 8))
        r = max(np.ptp(w), 0.1 * ctx.std[j])
        if direction == "up":
            assert v == pytest.approx(w.max() + 0.5 * r) and v > others.max()
        else:
            assert v == pytest.approx(w.min() - 0.5 * r) and v < others.min()


@pytest.mark.parametrize("shape", ["linear", "quadratic", "exponential"])
def test_drift_shapes(fold, shape):
    inj, edits, ctx = run(Inject(count=6, kinds=["drift"], min_length=20, max_length=20,
                                 catalog={"drift": {"shape": shape, "magnitude": 2.0, "direction": "up"}}), fold)
    whole_events(inj, edits)
    for e in edits:
        clean, new, j = diffs(inj, e)
        d = (new - clean) / ctx.std[j]
        assert d[-1] == pytest.approx(2.0) and (np.diff(d) > 0).all()
        if shape == "linear":
            np.testing.assert_allclose(np.diff(d), 2.0 / 20, rtol=1e-6)
        elif shape == "quadratic":
            np.testing.assert_allclose(np.diff(d, 2), 2 * 2.0 / 400, rtol=1e-5)
        else:  # equal ratios of consecutive increments: e^(rate / L)
            np.testing.assert_allclose(np.diff(d)[1:] / np.diff(d)[:-1], np.exp(5.0 / 20), rtol=1e-5)


def test_bias_constant_proportional_and_negation(fold):
    inj, edits, ctx = run(Inject(count=6, kinds=["bias"], catalog={"bias": {"value": 1.5, "direction": "down"}}), fold)
    for e in edits:
        clean, new, j = diffs(inj, e)
        np.testing.assert_allclose(new - clean, -1.5 * ctx.std[j])
    inj, edits, _ = run(Inject(count=6, kinds=["bias"], catalog={
        "bias": {"mode": "proportional", "value": 0.5, "direction": "up"}}), fold)
    whole_events(inj, edits)
    for e in edits:
        clean, new, _ = diffs(inj, e)
        np.testing.assert_allclose(new / clean, 1.5)
    _, edits, _ = run(Inject(count=4, kinds=["bias"], catalog={  # GutenTAG's mode-correlation: x -> -x
        "bias": {"mode": "proportional", "value": 2, "direction": "down"}}), fold)
    for e in edits:
        clean, new, _ = diffs(inj, e)
        np.testing.assert_allclose(e.values[:, fold.columns.index(e.columns[0])], -fold.test[
            e.start:e.start + e.length, fold.columns.index(e.columns[0])])


def test_proportional_bias_never_starts_on_a_zero():
    f = make_fold(d=1)
    test = f.test.copy()
    test[::10, 0] = 0.0  # a zero every 10 rows: a 12-row window always holds one
    f = Fold(0, f.columns, f.train, test, f.train_index, f.test_index, f.train_segments)
    prop = {"bias": {"mode": "proportional", "value": 0.5}}
    inj, edits, _ = run(Inject(count=10, kinds=["bias"], min_length=5, max_length=8, catalog=prop), f)
    whole_events(inj, edits)
    with pytest.raises(AnogenError, match="'bias' needs a 12-row segment that has no zero"):
        run(Inject(count=1, kinds=["bias"], min_length=12, max_length=12, catalog=prop), f)


@pytest.mark.parametrize("value", ["last", 3.0])
def test_stuck_holds_a_value_and_labels_only_rows_that_differ(value):
    f = make_fold(d=1, quantum=0.25)  # equal values are common: some rows already equal the stuck value
    inj, edits, _ = run(Inject(count=25, kinds=["stuck"], min_length=4, max_length=12,
                               catalog={"stuck": {"value": value}}), f)
    unchanged_inside = 0
    for e in edits:
        v = f.test[e.start - 1, 0] if value == "last" else 3.0
        assert e.params["value"] == v
        np.testing.assert_array_equal(e.values[:, 0], v)  # exactly stuck (never nudged)
        seg = slice(e.start, e.start + e.length)
        np.testing.assert_array_equal(inj.labels[seg], f.test[seg, 0] != v)
        unchanged_inside += int((f.test[seg, 0] == v).sum())
    assert unchanged_inside > 0  # the case the rule is for


def test_noise_burst_white_and_bursts(fold):
    inj, edits, ctx = run(Inject(count=20, kinds=["noise_burst"], min_length=20, max_length=20,
                                 catalog={"noise_burst": {"mode": "white", "scale": 2.0, "mean": 1.0}}), fold)
    whole_events(inj, edits)
    d = np.concatenate([(n - c) / ctx.std[j] for c, n, j in (diffs(inj, e) for e in edits)])
    assert abs(d.mean() - 1.0) < 0.25 and abs(d.std() - 2.0) < 0.3
    inj, edits, _ = run(Inject(count=20, kinds=["noise_burst"], min_length=20, max_length=20,
                               catalog={"noise_burst": {"bursts": 3, "burst_length": 2}}), fold)
    for e in edits:
        clean, new, _ = diffs(inj, e)
        moved = new != clean
        assert moved[:2].all() and moved[-2:].all() and 4 <= moved.sum() <= 6  # 3 bursts of 2 rows
        np.testing.assert_array_equal(inj.labels[e.start:e.start + e.length], moved)


def test_outlier_cluster_moves_exactly_its_points(fold):
    inj, edits, ctx = run(Inject(count=15, kinds=["outlier_cluster"], min_length=10, max_length=16,
                                 catalog={"outlier_cluster": {"points": 4, "magnitude": 5, "direction": "up"}}), fold)
    for e in edits:
        clean, new, j = diffs(inj, e)
        moved = np.flatnonzero(new != clean)
        assert moved.tolist() == e.params["rows"] and len(moved) == 4 and moved[0] == 0 and moved[-1] == e.length - 1
        np.testing.assert_allclose(new[moved] - clean[moved], 5 * ctx.std[j])
        np.testing.assert_array_equal(inj.labels[e.start:e.start + e.length], new != clean)


def test_combine_stacks_kinds_and_labels_the_event_with_all_of_them(fold):
    s = Inject(count=8, kinds=["combine"], min_length=30, max_length=30,
               catalog={"level_shift": {"offset": 3.0, "direction": "up"}})  # the catalog's override is used
    inj, edits, ctx = run(s, fold)
    whole_events(inj, edits)
    assert {ev.kind for ev in inj.events} == {"level_shift+variance"}
    assert set(inj.kinds[inj.labels]) == {"level_shift+variance"}
    for e in edits:
        clean, new, j = diffs(inj, e)
        parts = e.params["parts"]
        assert [p["kind"] for p in parts] == ["level_shift", "variance"] and parts[0]["offset"] == 3.0
        assert e.params["label"] == "combine"
        d = (new - clean) / ctx.std[j]
        assert abs(d.mean() - 3.0) < 0.7 and d.std() > 0.5  # shifted and noisier
    # kind objects, custom labels, fixed lengths
    c = Combine(kinds=[LevelShift(offset=1.0), Variance()], labels=("shift", "noise"))
    _, edits, _ = run(Inject(count=3, kinds=[c]), fold)
    assert {e.kind for e in edits} == {"shift+noise"}
    _, edits, _ = run(Inject(count=3, kinds=["spiky"], catalog={"spiky": {
        "_target_": "anogen.samplers.kinds.combine.Combine", "kinds": ["spike", "level_shift"]}}), fold)
    assert {e.length for e in edits} == {1}


@pytest.mark.parametrize("catalog,match", [
    ({"combine": {"kinds": ["level_shift", "nope"]}}, r"sampler\.catalog\.combine\.kinds: unknown kind 'nope'"),
    ({"combine": {"kinds": ["level_shift"]}}, r"sampler\.catalog\.combine\.kinds: .*at least 2"),
    ({"c2": {"_target_": "anogen.samplers.kinds.combine.Combine", "kinds": ["combine", "spike"]}},
     "a combine cannot contain another combine"),
    ({"combine": {"labels": ["x"]}}, r"combine\.labels: 1 labels for 2 kinds"),
])
def test_combine_errors(catalog, match):
    with pytest.raises(AnogenError, match=match):
        Inject(kinds=list(catalog), catalog=catalog)


def test_removing_a_part_drops_the_packaged_combine_unless_it_is_selected():
    assert "combine" not in Inject(catalog={"variance": None}).catalog
    with pytest.raises(AnogenError, match="sampler.catalog.combine.kinds: unknown kind 'variance'"):
        Inject(kinds=["combine"], catalog={"variance": None})


# ------------------------------------------------------------------ placement controls
@pytest.mark.parametrize("position,third", [("beginning", 0), ("middle", 1), ("end", 2)])
def test_position_sections(fold, position, third):
    n = fold.test.shape[0]
    inj, edits, _ = run(Inject(count=6, kinds=["level_shift", "amplitude"], position=position, min_length=5,
                               max_length=10), fold)
    assert all(third * n // 3 <= e.start < (third + 1) * n // 3 for e in edits)
    whole_events(inj, edits)


def test_exact_starts_and_a_per_kind_position(fold):
    s = Inject(kinds=["trend"], position=[100, 400, 700], min_length=10, max_length=10)
    assert s.count == 3  # one event per start row
    _, edits, _ = run(s, fold)
    assert sorted(e.start for e in edits) == [100, 400, 700]
    # pinned events keep their rows next to many random ones (which move out of their way)
    busy = Compose({"pinned": s, "random": Inject(count=40, kinds=["level_shift"], min_length=8, max_length=8)})
    for seed in range(5):
        inj, edits, _ = run(busy, fold, seed=seed)
        assert sorted(e.start for e in edits if e.kind == "trend") == [100, 400, 700]
    # a kind's own position wins over the sampler's
    n = fold.test.shape[0]
    _, edits, _ = run(Inject(count=30, kinds=["spike", "level_shift"], catalog={"spike": {"position": "end"}}), fold)
    assert all(e.start >= 2 * n // 3 for e in edits if e.kind == "spike")
    assert any(e.start < 2 * n // 3 for e in edits if e.kind == "level_shift")


@pytest.mark.parametrize("kwargs,match", [
    ({"position": [890], "min_length": 20, "max_length": 20}, r"sampler\.position: a 20-row event cannot start at row 890"),
    ({"position": [10, 500], "count": 3}, r"sampler\.position lists 2 start row\(s\) but 3 events"),
    ({"position": "end", "min_length": 400, "max_length": 400}, "cannot start in the end third"),
    ({"position": "top"}, "sampler.position: must be 'random', 'beginning', 'middle', 'end' or a list"),
    ({"creeping": 2.5}, "sampler.creeping: must be 0, a fraction of the event in"),
    ({"channels": 3}, r"sampler\.channels: 3 columns per event, but only 2 columns may change"),
    ({"channels": 0}, "sampler.channels: must be a whole number of columns >= 1 or 'all'"),
])
def test_placement_control_errors(fold, kwargs, match):
    with pytest.raises(AnogenError, match=match):
        run(Inject(**{"kinds": ["level_shift"], **kwargs}), fold)


def test_start_mask():
    assert start_mask("random", 10, 3) is None
    np.testing.assert_array_equal(np.flatnonzero(start_mask("middle", 30, 5)), np.arange(10, 20))
    np.testing.assert_array_equal(np.flatnonzero(start_mask("end", 30, 5)), np.arange(20, 26))
    np.testing.assert_array_equal(np.flatnonzero(start_mask((0, 7), 30, 5)), [0, 7])


@pytest.mark.parametrize("creeping,rows", [(10, 10), (0.5, 10), (0.04, 1)])
def test_creeping_onset_ramps_in_and_is_labelled(fold, creeping, rows):
    inj, edits, ctx = run(Inject(count=8, kinds=["level_shift"], min_length=20, max_length=20, creeping=creeping,
                                 catalog={"level_shift": {"offset": 2.0, "direction": "up"}}), fold)
    whole_events(inj, edits)  # the faint first rows are labelled too
    w = np.ones(20)
    w[:rows] = np.arange(1, rows + 1) / (rows + 1)
    for e in edits:
        clean, new, j = diffs(inj, e)
        np.testing.assert_allclose((new - clean) / ctx.std[j], 2.0 * w)
        assert e.params["creeping"] == rows


@pytest.mark.parametrize("kind", ["amplitude", "drift", "pattern", "variance", "combine"])
def test_creeping_works_for_any_kind(fold, kind):
    inj, edits, _ = run(Inject(count=8, kinds=[kind], min_length=24, max_length=24, catalog={
        kind: {"creeping": 12}}), fold)
    whole_events(inj, edits)
    for e in edits:
        clean, new, _ = diffs(inj, e)
        d = np.abs(new - clean)
        assert d[:3].mean() < d[12:].mean()  # faint at the onset


@pytest.mark.parametrize("channels,k", [(2, 2), ("all", 3)])
def test_an_event_spans_several_channels(channels, k):
    f = make_fold(d=3)
    inj, edits, ctx = run(Inject(count=10, kinds=["level_shift", "trend", "pattern"], channels=channels,
                                 min_length=6, max_length=12, creeping=0.3), f)
    whole_events(inj, edits)
    for e, ev in zip(sorted(edits, key=lambda e: e.start), inj.events):
        assert len(e.columns) == k and ev.columns == e.columns  # the event names exactly its columns
        seg = slice(e.start, e.start + e.length)
        moved = (inj.values[seg] != inj.clean[seg])
        assert moved[:, [f.columns.index(c) for c in e.columns]].all()
        assert not np.delete(moved, [f.columns.index(c) for c in e.columns], axis=1).any()
        assert e.params["columns"] == list(e.columns) and set(e.params["by_column"]) == set(e.columns)


def test_multi_channel_events_honour_eligibility():
    f = make_fold(d=3)
    test = f.test.copy()
    test[:, 1] = 4.0  # a flat column: flatline / pattern cannot change it
    f = Fold(0, f.columns, f.train, test, f.train_index, f.test_index, f.train_segments)
    _, edits, _ = run(Inject(count=10, kinds=["flatline", "pattern"], channels=2), f)
    assert {e.columns for e in edits} == {("a", "c")}
    with pytest.raises(AnogenError, match="needs a 5-row segment that is not constant in 3 of the columns"):
        run(Inject(count=1, kinds=["pattern"], channels="all", min_length=5, max_length=5), f)


def test_allocate_moves_unconstrained_slots_for_pinned_ones():
    pinned = np.zeros(400, dtype=bool)
    pinned[[50, 200, 350]] = True
    for seed in range(20):
        reqs = [SlotRequest(10) for _ in range(25)] + [SlotRequest(10, eligible=pinned) for _ in range(3)]
        slots = allocate(reqs, 400, np.random.default_rng(seed), min_gap=1)
        assert sorted(s.start for s in slots[25:]) == [50, 200, 350]
        spans = sorted((s.start, s.start + s.length) for s in slots)
        assert all(b[0] >= a[1] + 1 for a, b in zip(spans, spans[1:]))


# ------------------------------------------------------------------ every kind declares its family

def _kind_classes() -> list[type]:
    """Every anomaly-kind class defined in a module of :mod:`anogen.samplers.kinds`."""
    import importlib
    import pkgutil

    import anogen.samplers.kinds as pkg
    from anogen.samplers.kinds.base import AnomalyKind

    out = []
    for info in pkgutil.iter_modules(pkg.__path__):
        mod = importlib.import_module(f"{pkg.__name__}.{info.name}")
        out += [c for c in vars(mod).values() if isinstance(c, type) and issubclass(c, AnomalyKind)
                and c is not AnomalyKind and c.__module__ == mod.__name__]
    return out


def test_every_kind_class_declares_its_family():
    from anogen.selection.battery import FAMILIES

    classes = _kind_classes()
    assert len(classes) >= 18
    missing = {c.__qualname__: c.family for c in classes if "family" not in vars(c) or c.family not in FAMILIES}
    assert missing == {}


def test_every_packaged_catalog_kind_has_a_family_and_the_battery_reads_it():
    from anogen.samplers.inject import packaged_catalog
    from anogen.selection.battery import family_of

    for label, kind in packaged_catalog().items():
        assert family_of(label) == type(kind).family, label
    assert family_of("spike") == "point" and family_of("pattern_shift") == "contextual"
    assert family_of("noise_points") == "point" and family_of("noise_waves") == "collective"


def test_a_kind_without_a_family_is_refused_not_filed_under_other(monkeypatch):
    from dataclasses import dataclass
    from typing import ClassVar

    import anogen.selection.battery as battery
    from anogen.samplers.inject import packaged_catalog
    from anogen.samplers.kinds.base import AnomalyKind

    @dataclass(frozen=True)
    class Anonymous(AnomalyKind):
        name: ClassVar[str] = "anonymous"

        def apply(self, seg, rng):
            return seg.values + 1.0, {}

    monkeypatch.setattr(battery, "packaged_catalog", lambda: {**packaged_catalog(), "anonymous": Anonymous()})
    with pytest.raises(AnogenError, match="declares no family"):
        battery.family_of("anonymous")
    with pytest.raises(AnogenError, match="unknown kind 'nope'"):
        battery.family_of("nope")
    assert battery.family_of("anonymous", declared="custom") == "custom"


def test_count_spreads_the_listed_kinds_by_their_weights(fold):
    """Issue 21 9b: ``kinds=[combine,pattern_shift,correlation_break] count=3`` wrote three
    correlation_break events (the kinds were independent draws: one kind only, 1 time in 9; seed 0
    of the CLI did it). The kinds' shares now follow their weights in every fold."""
    from collections import Counter

    for seed in range(6):
        inj, _, _ = run(Inject(count=3, kinds=["combine", "pattern_shift", "correlation_break"], min_length=8),
                        fold, seed=seed)
        assert Counter(e.kind for e in inj.events) == {"level_shift+variance": 1, "pattern_shift": 1,
                                                      "correlation_break": 1}, seed
    inj, _, _ = run(Inject(count=6, kinds={"spike": 2, "level_shift": 1}), fold, seed=0)
    assert Counter(e.kind for e in inj.events) == {"spike": 4, "level_shift": 2}
    seen = Counter()  # a remainder goes to the kinds by their weights
    for seed in range(40):
        inj, _, _ = run(Inject(count=1, kinds=["spike", "level_shift"]), fold, seed=seed)
        seen.update(e.kind for e in inj.events)
    assert min(seen.values()) >= 10 and sum(seen.values()) == 40
