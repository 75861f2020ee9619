"""The sampler, anomaly-kind and filter protocols are abstract base classes (as GutenTAG's and PyOD's
bases are): a subclass that leaves out a required method fails when it is instantiated, with a
``TypeError`` naming the method, not later inside a run; duck-typed plug-ins still count."""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from anogen.filters import Filter, apply_filters
from anogen.filters.bounds import Bounds
from anogen.filters.cluster import Cluster
from anogen.samplers import Compose, SampleContext, generate_fold
from anogen.samplers.base import Sampler, Slot, SlotRequest
from anogen.samplers.inject import Inject
from anogen.samplers.kinds.base import AnomalyKind, Segment
from anogen.samplers.latent_uniform import LatentUniform
from anogen.samplers.noise import Noise
from anogen.samplers.vae_tail import VAETail
from anogen.types import Edit, Fold

sys.path.insert(0, str(Path(__file__).parent))


def _fold(n: int = 200) -> Fold:
    x = np.sin(np.arange(2 * n, dtype=np.float64) / 5.0)[:, None] + 2.0
    return Fold(0, ("x0",), x[:n], x[n:], np.arange(n), np.arange(n, 2 * n), np.array([[0, n]]))


class NoFill(Sampler):
    name = "nofill"

    def plan(self, ctx, rng):
        return []


class NoApply(AnomalyKind):
    name: ClassVar[str] = "noapply"


class NoCall(Filter):
    name = "nocall"

    def fit(self, *, z_normal, x_train, columns):
        return self


@pytest.mark.parametrize("cls, method", [(NoFill, "fill"), (NoCall, "__call__")])
def test_a_subclass_missing_a_method_fails_at_construction(cls, method):
    with pytest.raises(TypeError, match=method):
        cls()


def test_a_kind_without_apply_fails_at_construction():
    with pytest.raises(TypeError, match="apply"):
        dataclass(frozen=True)(NoApply)()


def test_the_bases_themselves_cannot_be_instantiated():
    for base in (Sampler, Filter, AnomalyKind):
        with pytest.raises(TypeError):
            base()


@pytest.mark.parametrize("cls", [Noise, Inject, Compose, VAETail, LatentUniform])
def test_every_packaged_sampler_subclasses_the_base(cls):
    assert issubclass(cls, Sampler) and Sampler in cls.__mro__


@pytest.mark.parametrize("cls", [Bounds, Cluster])
def test_every_packaged_filter_subclasses_the_base(cls):
    assert Filter in cls.__mro__


class Shift(Sampler):
    """A complete subclass: one 5-row level shift."""

    name = "shift"

    def plan(self, ctx: SampleContext, rng: np.random.Generator) -> list[SlotRequest]:
        return [SlotRequest(5)]

    def fill(self, ctx: SampleContext, slots: list[Slot], rng: np.random.Generator) -> list[Edit]:
        out = []
        for s in slots:
            seg = ctx.fold.test[s.start:s.start + s.length] + 10.0
            out.append(Edit(s.start, seg, "replace", "shift", ctx.fold.columns, self.name, {}))
        return out


def test_a_complete_subclass_runs_and_a_duck_typed_plug_in_still_counts():
    ctx = SampleContext.from_fold(_fold())
    inj = generate_fold(Shift(), ctx, np.random.default_rng(0))
    assert inj.labels.sum() == 5
    stuck = importlib.import_module("plugins.sampler").Stuck(count=2, length=4)   # no base class
    assert isinstance(stuck, Sampler) and not isinstance(object(), Sampler)
    assert generate_fold([stuck, Shift()], ctx, np.random.default_rng(1)).labels.sum() == 13


class KeepAll:
    """A duck-typed filter (no base class)."""

    name = "keep_all"

    def fit(self, *, z_normal, x_train, columns):
        return self

    def __call__(self, z, x):
        return np.ones(len(z), dtype=bool)


def test_a_duck_typed_filter_still_counts_and_runs():
    assert isinstance(KeepAll(), Filter) and not isinstance(Shift(), Filter)
    keep, rep = apply_filters([KeepAll()], np.zeros((3, 2)), np.zeros((3, 1)))
    assert keep.all() and rep["keep_all"].kept == 3


def test_a_plug_in_kind_still_builds_and_applies():
    bump = importlib.import_module("plugins.kinds").Bump(height=2.0)
    ctx = SampleContext.from_fold(_fold())
    seg = Segment(ctx, ctx.fold.test, 0, 10, 8)
    new, params = bump.apply(seg, np.random.default_rng(0))
    assert new.shape == (8,) and params == {"height": 2.0} and bump.family is None
