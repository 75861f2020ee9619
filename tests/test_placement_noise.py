from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import anogen
from anogen.config import build
from anogen.placement import allocate, apply_edits, check_injected
from anogen.samplers import SampleContext, generate_fold
from anogen.samplers.base import Slot, SlotRequest
from anogen.samplers.noise import Noise
from anogen.types import AnogenError, Edit, Fold


@settings(max_examples=60, deadline=None)
@given(n=st.integers(5, 300), k=st.integers(1, 20), L=st.integers(1, 10), gap=st.integers(0, 3),
       seed=st.integers(0, 10_000))
def test_allocate_non_overlapping(n, k, L, gap, seed):
    reqs = [SlotRequest(L) for _ in range(k)]
    need = k * L + gap * (k - 1)
    rng = np.random.default_rng(seed)
    if need > n:
        with pytest.raises(AnogenError, match="cannot hold|longer than the test fold"):
            allocate(reqs, n, rng, min_gap=gap)
        return
    slots = sorted(allocate(reqs, n, rng, min_gap=gap), key=lambda s: s.start)
    assert len(slots) == k
    for a, b in zip(slots, slots[1:]):
        assert b.start >= a.start + a.length + gap
    assert slots[0].start >= 0 and slots[-1].start + slots[-1].length <= n


def test_allocate_is_uniform_enough():
    # single slot of length 1 in 10 rows: every position reachable, roughly uniform
    rng = np.random.default_rng(0)
    pos = [allocate([SlotRequest(1)], 10, rng)[0].start for _ in range(4000)]
    counts = np.bincount(pos, minlength=10)
    assert counts.min() > 300


def test_allocate_eligibility():
    elig = np.zeros(100, bool)
    elig[[5, 50, 90]] = True
    rng = np.random.default_rng(1)
    slots = allocate([SlotRequest(3, eligible=elig) for _ in range(3)], 100, rng, min_gap=1)
    assert sorted(s.start for s in slots) == [5, 50, 90]


def test_allocate_copies_payload_to_slots():
    # plan -> fill state rides on the request, not on the sampler
    elig = np.zeros(60, bool)
    elig[[7, 40]] = True
    reqs = [SlotRequest(2, payload={"i": i}) for i in range(3)] + [SlotRequest(3, eligible=elig, payload="e")]
    slots = allocate(reqs, 60, np.random.default_rng(3), min_gap=1)
    assert [s.payload for s in slots] == [{"i": 0}, {"i": 1}, {"i": 2}, "e"]
    assert slots[3].start in (7, 40)


def test_apply_edits_insert_and_replace(tiny_fold):
    d = tiny_fold.test.shape[1]
    rep = tiny_fold.test[10:13].copy() + 5
    ins = np.full((2, d), 99.0)
    inj = apply_edits(tiny_fold, [Edit(10, rep, "replace", "x", ("a", "b"), "t"),
                                  Edit(50, ins, "insert", "y", ("a", "b"), "t")])
    check_injected(inj)
    assert inj.values.shape[0] == tiny_fold.test.shape[0] + 2
    assert inj.anoindex == [10, 11, 12, 50, 51]
    assert [(e.start, e.end, e.kind) for e in inj.events] == [(10, 13, "x"), (50, 52, "y")]
    # time stamps of inserted rows lie strictly between their neighbours
    assert inj.index[49] < inj.index[50] < inj.index[51] < inj.index[52]
    assert np.isnan(inj.clean[50:52]).all()


def test_apply_edits_rejects_noop(tiny_fold):
    with pytest.raises(AnogenError, match="changes nothing"):
        apply_edits(tiny_fold, [Edit(3, tiny_fold.test[3:5].copy(), "replace", "x", ("a",), "t")])


def _ctx(values):
    n = values.shape[0]
    idx = np.arange(n, dtype=np.int64)
    fold = Fold(0, tuple(f"c{j}" for j in range(values.shape[1])), values, values, idx, idx, np.array([[0, n]]))
    return SampleContext.from_fold(fold)


@pytest.mark.parametrize("kw", [
    dict(ratio=0.05),
    dict(ratio=0.1, wave=True, wave_length=7),
    dict(ratio=0.2, wave=True, wave_length=3, direction="both", kind="gaussian"),
    dict(ratio=0.5, direction="n"),
])
def test_noise_labels_exactly_changed_and_count(kw):
    rng = np.random.default_rng(0)
    x = rng.uniform(1, 2, size=(400, 3))
    ctx = _ctx(x)
    inj = generate_fold(Noise(magnitude=0.2, **kw), ctx, np.random.default_rng(5), min_gap=0)
    check_injected(inj)
    changed = (inj.values != x).any(axis=1)
    assert np.array_equal(changed, inj.labels)
    assert inj.labels.sum() == int(400 * kw["ratio"])  # the seed's count rule, exactly


def test_noise_relative_rule():
    x = np.full((100, 1), 10.0)
    inj = generate_fold(Noise(ratio=0.05, magnitude=0.1, direction="p"), _ctx(x), np.random.default_rng(0))
    assert np.allclose(inj.values[inj.labels], 11.0)
    inj = generate_fold(Noise(ratio=0.05, magnitude=0.1, direction="n"), _ctx(x), np.random.default_rng(0))
    assert np.allclose(inj.values[inj.labels], 9.0)


def test_noise_waves_do_not_overlap_and_report_every_index():
    # the seed let waves overlap (double shift) and reported only the last segment
    x = np.full((200, 1), 10.0)
    inj = generate_fold(Noise(ratio=0.25, magnitude=0.1, wave=True, wave_length=10), _ctx(x),
                        np.random.default_rng(3), min_gap=0)
    assert set(np.round(inj.values[inj.labels, 0], 9)) == {11.0}  # never shifted twice
    assert len(inj.anoindex) == 50 and len(inj.events) >= 5


def test_relative_noise_skips_zeros():
    # Occupancy's Light is 0 at night: a relative change of 0 is no change, so never labelled
    x = np.zeros((300, 1))
    x[100:200] = 5.0
    for seed in range(5):
        inj = generate_fold(Noise(ratio=0.1, magnitude=0.5, wave=True, wave_length=4), _ctx(x),
                            np.random.default_rng(seed))
        check_injected(inj)
        assert inj.labels.sum() == 30
        assert (x[inj.labels] != 0).all()


def test_events_name_exactly_the_columns_that_changed():
    # quickstart's relative noise named Light, which is 0 at night and so never changed
    x = np.ones((300, 2)) * [20.0, 0.0]
    x[150:, 1] = 400.0  # Light on in the second half
    ctx = _ctx(x)
    ctx.fold = Fold(0, ("Temperature", "Light"), x, x.copy(), np.arange(300), np.arange(300),
                    np.array([[0, 300]]))
    inj = generate_fold(Noise(ratio=0.1, magnitude=0.1, wave=True, wave_length=5), ctx, np.random.default_rng(2))
    check_injected(inj)
    for ev in inj.events:
        want = ("Temperature",) if ev.end <= 150 else ("Temperature", "Light") if ev.start >= 150 else None
        if want:
            assert ev.columns == want
    assert {ev.columns for ev in inj.events} >= {("Temperature",), ("Temperature", "Light")}
    # and an edit that changes only one of its columns in some rows names the columns per labelled run
    edit = Edit(10, np.array([[21.0, 0.0], [21.0, 0.0]]), "replace", "k", ("Temperature", "Light"), "s")
    (ev,) = apply_edits(ctx.fold, [edit]).events
    assert ev.columns == ("Temperature",)


def test_noise_deterministic():
    x = np.random.default_rng(0).uniform(1, 2, (300, 2))
    a = generate_fold(Noise(ratio=0.1, kind="gaussian", direction="both"), _ctx(x), np.random.default_rng(7))
    b = generate_fold(Noise(ratio=0.1, kind="gaussian", direction="both"), _ctx(x), np.random.default_rng(7))
    assert np.array_equal(a.values, b.values) and a.events == b.events


@pytest.mark.parametrize("kw, match", [
    (dict(ratio=0.0), r"^sampler\.ratio: must be > 0(\.0)?\b.*, got 0\.0$"),
    (dict(ratio=0.6), r"^sampler\.ratio: must be .*<= 0\.5, got 0\.6$"),
    (dict(direction="x"), r"^sampler\.direction: must be 'p', 'n' or 'both', got 'x'$"),
    (dict(wave=True, wave_length=0), r"^sampler\.wave_length: must be > 0, got 0$"),
    (dict(magnitude=-1), r"^sampler\.magnitude: must be > 0(\.0)?, got -1$"),
    (dict(kind="pink"), r"^sampler\.kind: must be 'relative' or 'gaussian', got 'pink'$"),
    (dict(mode="insert"), r"^sampler\.mode: must be 'replace', got 'insert'$"),
])
def test_noise_bad_params(kw, match):
    # from a config: one line naming the key and the valid range, before any data
    with pytest.raises(AnogenError, match=match):
        build({"_target_": "anogen.samplers.noise.Noise", **kw}, "sampler")
    # built directly in Python: the same check at the sampler's first use
    with pytest.raises(AnogenError, match=match):
        generate_fold(Noise(**kw), _ctx(np.ones((50, 1))), np.random.default_rng(0))


def test_wave_longer_than_fold():
    with pytest.raises(AnogenError, match="longer than the test fold"):
        generate_fold(Noise(ratio=0.5, wave=True, wave_length=50), _ctx(np.ones((20, 1))), np.random.default_rng(0))


def test_unknown_column():
    with pytest.raises(AnogenError, match="unknown column 'zz'"):
        generate_fold(Noise(columns=["zz"]), _ctx(np.ones((20, 1))), np.random.default_rng(0))


def test_replaced_insert_keeps_its_mode():
    # bug: re-placing an ineligible insert request turned it into a replace
    el = np.zeros(101, bool)
    el[50] = True
    slots = allocate([SlotRequest(3, "insert", el)], 100, np.random.default_rng(0))
    assert slots[0].mode == "insert" and slots[0].start == 50


# ------------------------------------------------------------------ Compose and generate_fold
class _Recorder:
    """A minimal sampler: ``k`` requests of ``length`` rows, each with its own payload; records what fill got."""

    def __init__(self, name, k, length, value):
        self.name, self.k, self.length, self.value = name, k, length, value
        self.filled = None

    def plan(self, ctx, rng):
        return [SlotRequest(self.length, payload=(self.name, i)) for i in range(self.k)]

    def fill(self, ctx, slots, rng):
        self.filled = list(slots)
        return [Edit(s.start, np.full((s.length, ctx.fold.test.shape[1]), self.value), "replace", self.name,
                     tuple(ctx.fold.columns), self.name) for s in slots]


def _sine_ctx():
    return _ctx(np.sin(np.linspace(0, 60, 2000))[:, None] + 2)


def test_packaged_compose_config_generates_every_childs_events():
    # bug: Compose had no plan/fill, so generate(sampler="compose") raised AttributeError
    from omegaconf import OmegaConf

    from anogen.samplers.compose import Compose

    node = OmegaConf.load(Path(anogen.__file__).parent / "conf" / "sampler" / "compose.yaml")
    smp = build(node, "sampler")
    assert isinstance(smp, Compose) and smp.name == "compose" and not smp.needs_model
    assert list(smp.by_name) == ["noise", "inject"] and smp.samplers == list(smp.by_name.values())
    inj = generate_fold(smp, _sine_ctx(), np.random.default_rng(0))
    check_injected(inj)
    assert {e.source for e in inj.events} == {"noise", "inject"}
    again = generate_fold(build(node, "sampler"), _sine_ctx(), np.random.default_rng(0))
    assert np.array_equal(inj.values, again.values) and inj.events == again.events


def test_compose_routes_slots_back_with_their_payloads():
    from anogen.samplers.compose import Compose

    a, b = _Recorder("a", 3, 2, 50.0), _Recorder("b", 2, 4, -50.0)
    comp = Compose({"first": a, "second": b})
    ctx = _sine_ctx()
    rng = np.random.default_rng(1)
    reqs = comp.plan(ctx, rng)
    assert [r.payload for r in reqs] == [("first", ("a", i)) for i in range(3)] + [("second", ("b", i)) for i in range(2)]
    slots = allocate(reqs, ctx.n_test, rng, min_gap=1)
    edits = comp.fill(ctx, slots, rng)
    # each child gets exactly its slots, in its plan order, with its own payload restored
    assert [s.payload for s in a.filled] == [("a", i) for i in range(3)]
    assert [s.payload for s in b.filled] == [("b", i) for i in range(2)]
    assert [s.start for s in a.filled + b.filled] == [s.start for s in slots]
    assert len(edits) == 5
    with pytest.raises(AnogenError, match="not planned by this compose"):
        comp.fill(ctx, [Slot(0, 2, payload="stranger")], rng)


def test_generate_fold_list_equals_compose_and_nests():
    from anogen.samplers.compose import Compose

    def make():
        return [Noise(ratio=0.02, magnitude=0.3), Noise(ratio=0.01, magnitude=0.5, kind="gaussian", direction="both")]

    from_list = generate_fold(make(), _sine_ctx(), np.random.default_rng(4))
    comp = Compose.of(make())
    assert list(comp.by_name) == ["noise", "noise_2"]
    from_compose = generate_fold(comp, _sine_ctx(), np.random.default_rng(4))
    nested = generate_fold(Compose({"outer": Compose.of(make())}), _sine_ctx(), np.random.default_rng(4))
    for other in (from_compose, nested):
        assert np.array_equal(from_list.values, other.values) and from_list.events == other.events
    check_injected(from_list)
    assert {e.kind for e in from_list.events} == {"relative_noise", "gaussian_noise"}


def test_compose_needs_model_and_bad_children():
    from anogen.samplers.compose import Compose
    from anogen.samplers.vae_tail import VAETail

    assert Compose({"n": Noise(), "v": VAETail()}).needs_model
    assert not Compose({"n": Noise()}).needs_model
    with pytest.raises(AnogenError, match=r"^sampler\.samplers\.x: int is not a sampler"):
        build({"_target_": "anogen.samplers.compose.Compose", "samplers": {"x": 3}}, "sampler")
    with pytest.raises(AnogenError, match=r"^sampler\.samplers: .*at least 1 item"):
        build({"_target_": "anogen.samplers.compose.Compose", "samplers": {}}, "sampler")
    with pytest.raises(AnogenError, match="not a sampler"):
        generate_fold(object(), _sine_ctx(), np.random.default_rng(0))
    with pytest.raises(AnogenError, match=r"^placement\.min_gap: must be >= 0, got -1$"):
        generate_fold(Noise(), _sine_ctx(), np.random.default_rng(0), min_gap=-1)
