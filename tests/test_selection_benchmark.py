"""Benchmark fixes found while building the selection (issue 11, item 5)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import anogen
from anogen.jobs.benchmark import run_benchmark
from anogen.metrics.suite import Metric
from anogen.samplers.inject import Inject
from anogen.samplers.noise import Noise
from anogen.thresholds import Percentile
from anogen.types import AnogenError


def _parts(seed: int = 0):
    rng = np.random.default_rng(seed)
    t = np.arange(600, dtype=float)
    x = np.stack([np.sin(t / 9), np.cos(t / 9)], axis=1) + 0.05 * rng.standard_normal((600, 2))
    return x[:400], x[400:]


def test_benchmark_accepts_a_separate_train_set():
    train, test = _parts()
    lb = anogen.benchmark(test, train=train, samplers=["noise"], detectors=["zscore", "random"], seeds=[0])
    assert set(lb["detector"]) == {"zscore", "random"} and (lb["runs"] == 1).all()
    with pytest.raises(AnogenError, match="either train or dates"):
        anogen.benchmark(test, train=train, dates=[["1", "2"]], detectors=["zscore"])


def _bench(fold, samplers):
    from anogen.detectors.baselines import ZScore

    return run_benchmark([fold], samplers, {"zscore": ZScore(name="zscore")}, {"roc_auc": Metric(fn="roc_auc")},
                         Percentile(), seeds=[0], keep_traces=False)


def test_sampler_anomalies_do_not_depend_on_list_position(tiny_fold):
    a = Noise(ratio=0.05, magnitude=0.5, kind="gaussian", direction="both")
    b = Inject(count=2, kinds=["level_shift"], min_length=5, max_length=8)
    one = _bench(tiny_fold, {"noise": a, "typed": b}).rows.set_index("sampler")
    two = _bench(tiny_fold, {"typed": b, "noise": a}).rows.set_index("sampler")
    for s in ("noise", "typed"):
        assert one.loc[s, "roc_auc"] == pytest.approx(two.loc[s, "roc_auc"])


def test_a_sampler_that_cannot_be_placed_is_recorded_and_the_others_go_on(tiny_fold):
    ok = Noise(ratio=0.05, magnitude=0.5, kind="gaussian", direction="both")
    too_long = Inject(count=1, kinds=["level_shift"], min_length=500, max_length=500)   # longer than the fold
    res = _bench(tiny_fold, {"noise": ok, "too_long": too_long})
    assert set(res.rows["sampler"]) == {"noise"}
    assert list(res.skipped) == ["fold0/too_long/seed0"] and "longer than the test fold" in res.skipped[
        "fold0/too_long/seed0"]
    with pytest.raises(AnogenError, match="no sampler could be placed"):
        _bench(tiny_fold, {"too_long": too_long})
    assert isinstance(res.rows, pd.DataFrame)
