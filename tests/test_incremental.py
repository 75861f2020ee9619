"""Incremental scoring and train-score samples give the scores of full scoring (issue 14).

Every built-in detector config is fitted on a small series; arrays that differ from a scored
reference in a few rows (at the edges of the fold, in the middle, in runs, everywhere) are scored
with ``decision_function(X, reference=ref)`` and compared with scoring them whole. The evaluation
gives the same results with and without incremental scoring, and falls back to full scoring for
detectors that are not local.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from anogen.detectors import BaseDetector, RandomScore, ZScore, build_detector, builtin_detectors
from anogen.detectors.incremental import (affected_cores, interval_rows, merge_intervals, sample_cores,
                                          score_cores)

HAS_PYOD = importlib.util.find_spec("pyod") is not None
NN_OVERRIDES = {"epochs": 1, "hidden": [4], "latent_dim": 2, "window": 4, "batch_size": 16}


def _series(n: int, d: int = 2, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)[:, None]
    return np.sin(2 * np.pi * t / 25 + np.arange(d)) + 0.1 * rng.normal(size=(n, d))


def _variants(ref: np.ndarray) -> dict[str, np.ndarray]:
    """Arrays that differ from ``ref`` in a few rows: edges, middle, runs, many points, nothing."""
    n = ref.shape[0]
    rng = np.random.default_rng(5)
    out = {"same": ref.copy()}
    for name, rows in {"first": [0], "last": [n - 1], "both_ends": [0, 1, n - 2, n - 1], "middle": [n // 2],
                       "run": list(range(40, 47)), "near_start": [3], "near_end": [n - 4],
                       "scattered": sorted(rng.choice(n, 6, replace=False).tolist())}.items():
        x = ref.copy()
        x[rows] += 3.0 * rng.normal(size=(len(rows), ref.shape[1]))
        out[name] = x
    return out


def _configs() -> list[str]:
    names = builtin_detectors()
    needs = {"pyod_ecod": "pyod", "sr": "pyod", "mp": "stumpy"}  # optional libraries
    return [n for n in names if n not in needs or importlib.util.find_spec(needs[n]) is not None]


#: the forecasters and USAD shrunk the same way (their own size parameters)
TRAINED_OVERRIDES = {"cnn": {"epochs": 1, "channels": [4], "window": 4, "batch_size": 16},
                     "lstmad": {"epochs": 1, "hidden": [4], "window": 4, "batch_size": 16},
                     "usad": {"epochs": 1, "hidden": [4], "latent_dim": 2, "window": 4, "batch_size": 16}}


def _build(name: str) -> BaseDetector:
    overrides = NN_OVERRIDES if name in ("lstm_ae", "vae") else TRAINED_OVERRIDES.get(name, {})
    return build_detector(name, **overrides)


class _Fitted(dict):
    """Detectors fitted on first use (a test of one detector does not fit all of them)."""

    def __missing__(self, name: str) -> BaseDetector:
        self[name] = _build(name).fit(_series(240, seed=1))
        return self[name]


@pytest.fixture(scope="module")
def fitted() -> dict[str, BaseDetector]:
    return _Fitted()


#: trained models whose receptive field is also checked in tests/test_forecasters.py (slow here)
_TRAINED = {"cnn", "lstmad", "usad"}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in _TRAINED else n
                                  for n in _configs()])
def test_incremental_equals_full_scoring(name, fitted):
    det = fitted[name]
    ref_x = _series(160, seed=2)
    ref = det.score_reference(ref_x)
    np.testing.assert_allclose(ref.scores, det.decision_function(ref_x), rtol=1e-6, atol=1e-9)
    for case, x in _variants(ref_x).items():
        full = det.decision_function(x)
        inc = det.decision_function(x, reference=ref)
        np.testing.assert_allclose(inc, full, rtol=1e-5, atol=1e-7, err_msg=f"{name}: {case}")


def test_builtin_local_detectors_declare_receptive_fields(fitted):
    assert fitted["zscore"].receptive_field_ == (0, 0)
    assert fitted["zscore_rolling"].receptive_field_ == (50, 0)
    assert fitted["iforest"].receptive_field_ == (9, 9)
    assert fitted["knn"].receptive_field_ == (9, 9)
    assert fitted["lof"].receptive_field_ == (9, 9)
    assert fitted["random"].receptive_field_ is None
    if "pyod_ecod" in fitted:  # ECOD ranks a batch against itself: not local
        assert fitted["pyod_ecod"].receptive_field_ is None


class _GlobalMean(BaseDetector):
    """Not local (every score depends on the mean of the scored array) and says nothing about it."""

    def __init__(self, *, name: str = "global_mean", contamination: float = 0.1) -> None:
        self.name = name
        self.contamination = contamination

    def _fit(self, X, segments):
        pass

    def _decision_function(self, X):
        return np.abs(X - X.mean(axis=0)).sum(axis=1)


class _CountingZScore(ZScore):
    calls: list[int] = []

    def _decision_function(self, X):
        type(self).calls.append(X.shape[0])
        return super()._decision_function(X)


def test_fallback_scores_whole_array_when_not_local_or_shape_differs():
    x = _series(100)
    for det in (_GlobalMean().fit(x), RandomScore().fit(x)):
        assert det.receptive_field_ is None
        ref = det.score_reference(x)
        y = x.copy()
        y[10] += 5.0
        np.testing.assert_array_equal(det.decision_function(y, reference=ref), det.decision_function(y))
    z = ZScore(mode="rolling", window=5).fit(x)
    ref = z.score_reference(x)
    shorter = x[:90].copy()
    np.testing.assert_allclose(z.decision_function(shorter, reference=ref), z.decision_function(shorter))


def test_rescoring_touches_only_the_affected_rows():
    x = _series(1000)
    det = _CountingZScore(mode="rolling", window=5).fit(x)
    ref = det.score_reference(x)
    y = x.copy()
    y[500] += 4.0
    _CountingZScore.calls.clear()
    det.decision_function(y, reference=ref)
    assert _CountingZScore.calls == [1 + 5 + 5]  # core rows 500..505 and 5 rows of left margin
    y[::3] += 1.0  # most rows changed: scoring everything is cheaper
    _CountingZScore.calls.clear()
    det.decision_function(y, reference=ref)
    assert _CountingZScore.calls == [1000]


def test_interval_helpers():
    s, e = merge_intervals(np.array([0, 3, 10, 12]), np.array([2, 5, 11, 20]), gap=0)
    assert s.tolist() == [0, 3, 10, 12] and e.tolist() == [2, 5, 11, 20]
    s, e = merge_intervals(np.array([0, 3, 10, 12]), np.array([2, 5, 11, 20]), gap=1)  # 1 row apart: merged
    assert s.tolist() == [0, 10] and e.tolist() == [5, 20]
    s, e = merge_intervals(np.array([0, 1]), np.array([9, 4]))  # contained
    assert s.tolist() == [0] and e.tolist() == [9]
    assert interval_rows(np.array([2, 7]), np.array([4, 8])).tolist() == [2, 3, 7]
    s, e = affected_cores(np.array([0, 50, 99]), (2, 1), 100)
    assert list(zip(s.tolist(), e.tolist())) == [(0, 3), (49, 53), (98, 100)]
    # a core's score from concatenated slices equals the whole array's
    x = _series(100)
    det = ZScore(mode="rolling", window=4).fit(x)
    full = det.decision_function(x)
    got = score_cores(det._decision_function, x, s, e, (4, 0))
    np.testing.assert_allclose(got, full[interval_rows(s, e)])


def test_train_score_sample_is_bounded_evenly_spread_and_exact():
    x = _series(5000)
    full = ZScore(mode="rolling", window=10).fit(x)
    part = ZScore(mode="rolling", window=10).fit(x, train_scores=400)
    rows = part.train_score_rows_
    assert 400 <= rows.size <= 400 + 11 and rows.size == part.decision_scores_.size == part.labels_.size
    assert rows[0] == 0 and rows[-1] == x.shape[0] - 1  # from the first to the last row
    gaps = np.diff(rows)
    assert gaps.max() < 5000 / (400 / 11) + 11  # runs spread evenly over the series
    np.testing.assert_allclose(part.decision_scores_, full.decision_scores_[rows])
    assert part.threshold_ == pytest.approx(np.percentile(part.decision_scores_, 90.0))


def test_train_score_sample_falls_back_to_every_row():
    x = _series(300)
    assert RandomScore().fit(x, train_scores=50).decision_scores_.shape == (300,)  # not local
    assert ZScore().fit(x, train_scores=1000).decision_scores_.shape == (300,)  # bound above n
    assert ZScore().fit(x).train_score_rows_.tolist() == list(range(300))
    assert sample_cores(300, None, (0, 0)) is None and sample_cores(300, 100, None) is None


# ------------------------------------------------------------------------------ the evaluation


def _fold_and_cases(n_test: int = 600, tune: bool = False):
    from anogen.samplers import SampleContext, generate_fold
    from anogen.samplers.inject import Inject
    from anogen.samplers.noise import Noise
    from anogen.types import Fold
    from anogen.evaluation import Case

    x = _series(1400, d=2, seed=3)
    idx = np.arange(x.shape[0])
    n_train = x.shape[0] - n_test
    fold = Fold(0, ("a", "b"), x[:n_train], x[n_train:], idx[:n_train], idx[n_train:], np.array([[0, n_train]]))
    samplers = {"points": Noise(ratio=0.02, magnitude=0.5), "waves": Noise(ratio=0.05, magnitude=0.3, wave=True,
                                                                           wave_length=4),
                "typed": Inject(count=4, min_length=3, max_length=8)}
    mean, std = fold.train.mean(0), fold.train.std(0)
    cases = []
    for seed in (0, 1):
        for s_i, (name, sampler) in enumerate(samplers.items()):
            ctx = SampleContext.from_fold(fold, seed=seed)
            inj = generate_fold(sampler, ctx, np.random.default_rng(10 * seed + s_i))
            cases.append(Case(f"{name}/{seed}", inj, (inj.values - mean) / std, tags={"sampler": name}))
    return fold, (fold.train - mean) / std, cases


def test_evaluation_incremental_equals_full():
    from anogen.evaluation import evaluate_detectors
    from anogen.metrics.suite import Metric
    from anogen.thresholds import Percentile

    fold, x_train, cases = _fold_and_cases()
    metrics = {"roc_auc": Metric("roc_auc"), "f1": Metric("f1")}
    names = ["zscore", "zscore_rolling", "iforest", "knn", "lof", "pca", "random"]
    runs = {}
    for incremental in (True, False):
        dets = {n: build_detector(n) for n in names}
        runs[incremental] = evaluate_detectors(dets, x_train, cases, Percentile(99), metrics, incremental=incremental,
                                               train_scores=None)
    assert len(runs[True]) == len(cases) * len(names)
    for a, b in zip(runs[True], runs[False]):
        assert (a.detector, a.case, a.error) == (b.detector, b.case, None)
        np.testing.assert_allclose(a.scores, b.scores, rtol=1e-6, atol=1e-9, err_msg=f"{a.detector} {a.case}")
        assert a.threshold == b.threshold
        assert a.metrics == pytest.approx(b.metrics, rel=1e-9)


def test_evaluation_scores_the_shared_reference_once_per_detector():
    from anogen.evaluation import score_cases
    from anogen.thresholds import Percentile

    fold, x_train, cases = _fold_and_cases()
    det = _CountingZScore(mode="rolling", window=5).fit(x_train)
    _CountingZScore.calls.clear()
    score_cases({"z": det}, cases, Percentile(99), {}, incremental=True)
    n = cases[0].x.shape[0]
    assert _CountingZScore.calls.count(n) <= 1 + len(cases) // 2  # the reference; dense cases may score whole
    assert len(_CountingZScore.calls) == 1 + len(cases)
    assert sum(_CountingZScore.calls) < n * len(cases)
    _CountingZScore.calls.clear()
    score_cases({"z": det}, cases, Percentile(99), {}, incremental=False)
    assert _CountingZScore.calls == [n] * len(cases)


def test_evaluation_threshold_from_a_bounded_train_sample():
    from anogen.evaluation import fit_detectors

    x = _series(30_000)
    fitted, errors, _ = fit_detectors({"z": ZScore(mode="rolling", window=10), "r": RandomScore()}, x,
                                      train_scores=2000)
    assert not errors
    assert 2000 <= fitted["z"].decision_scores_.size < 2100  # sampled (local)
    assert fitted["r"].decision_scores_.size == 30_000  # not local: every row
    full, _, _ = fit_detectors({"z": ZScore(mode="rolling", window=10)}, x, train_scores=None)
    assert full["z"].decision_scores_.size == 30_000
    q_full = np.percentile(full["z"].decision_scores_, 99)
    assert np.percentile(fitted["z"].decision_scores_, 99) == pytest.approx(q_full, rel=0.05)
