"""Tests of anogen.detectors: windows, adapters, baselines, configs, sanity of scores."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf
from sklearn.base import BaseEstimator
from sklearn.metrics import roc_auc_score

import anogen.detectors as det
from anogen.detectors import (
    BaseDetector,
    Detector,
    Estimator,
    KNNDistance,
    PCAReconstruction,
    RandomScore,
    ZScore,
    aggregate_window_scores,
    window_features,
    window_starts,
)
from anogen.detectors.base import NotFittedError
from anogen.types import AnogenError

CONF_DIR = Path(det.__file__).resolve().parents[1] / "conf" / "detectors"
HAS_PYOD = importlib.util.find_spec("pyod") is not None
#: packaged configs that need an optional library (skipped without it)
NEEDS = {"pyod_ecod": "pyod", "sr": "pyod", "mp": "stumpy"}


def _missing_library(name: str) -> bool:
    return name in NEEDS and importlib.util.find_spec(NEEDS[name]) is None


def _has_trainer() -> bool:
    try:
        from anogen.models import LSTMAE, LSTMVAE  # noqa: F401
        from anogen.train import TrainConfig, fit, reconstruction_error  # noqa: F401
    except ImportError:
        return False
    return True


HAS_TRAINER = _has_trainer()


def _series(n: int = 300, d: int = 2, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)[:, None]
    return np.sin(2 * np.pi * t / 25 + np.arange(d)) + 0.1 * rng.normal(size=(n, d))


def _with_spikes(X: np.ndarray, n_spikes: int, size: float, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    Y = X.copy()
    pos = rng.choice(X.shape[0], size=n_spikes, replace=False)
    cols = rng.integers(0, X.shape[1], size=n_spikes)
    Y[pos, cols] += size * rng.choice([-1.0, 1.0], size=n_spikes)
    labels = np.zeros(X.shape[0], dtype=bool)
    labels[pos] = True
    return Y, labels


# ----------------------------------------------------------------------------------- windows


def test_window_starts_stride_and_end_alignment():
    s = window_starts(20, 5, stride=4)
    assert s.tolist() == [0, 4, 8, 12, 15]  # 15 = last start aligned to the end
    assert window_starts(20, 5, stride=5).tolist() == [0, 5, 10, 15]
    assert window_starts(10, 1).tolist() == list(range(10))
    assert window_starts(4, 5).size == 0


def test_window_starts_never_cross_segments():
    segments = np.array([[0, 7], [7, 9], [12, 40]])  # 7..9 is shorter than the window
    L = 4
    starts = window_starts(40, L, stride=3, segments=segments)
    seg_of = np.full(40, -1)
    for k, (a, b) in enumerate(segments):
        seg_of[a:b] = k
    rows = starts[:, None] + np.arange(L)
    # every window lies inside exactly one segment
    assert np.all(seg_of[rows] == seg_of[rows[:, :1]])
    assert np.all(seg_of[rows] >= 0)
    # every row of the long-enough segments is covered
    covered = np.zeros(40, dtype=bool)
    covered[rows.ravel()] = True
    assert covered[0:7].all() and covered[12:40].all()
    assert not covered[7:12].any()


@pytest.mark.parametrize(
    "segments, msg",
    [
        (np.array([[0, 50]]), "inside"),
        (np.array([[5, 5]]), "non-empty"),
        (np.array([0, 10]), "shape"),
        (np.array([[0.5, 10]]), "integer"),
    ],
)
def test_bad_segments(segments, msg):
    with pytest.raises(AnogenError, match=msg):
        window_starts(20, 3, segments=segments)


def test_window_features_match_manual_flattening():
    X = np.arange(30.0).reshape(15, 2)
    feats, starts = window_features(X, 4, stride=2)
    assert feats.shape == (starts.size, 8)
    for f, s in zip(feats, starts):
        np.testing.assert_array_equal(f, X[s : s + 4].ravel())


def test_window_longer_than_data():
    with pytest.raises(AnogenError, match="window=8"):
        window_features(np.zeros((5, 2)), 8)


@pytest.mark.parametrize("how", ["mean", "max"])
def test_aggregate_matches_brute_force(how):
    rng = np.random.default_rng(3)
    n, L = 57, 6
    starts = window_starts(n, L, stride=2)
    scores = rng.normal(size=starts.size)
    got = aggregate_window_scores(scores, starts, L, n, how)
    expected = np.empty(n)
    for t in range(n):
        cover = scores[(starts <= t) & (t < starts + L)]
        expected[t] = cover.mean() if how == "mean" else cover.max()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_aggregate_fills_uncovered_rows():
    out = aggregate_window_scores(np.array([3.0, 5.0]), np.array([0, 6]), 2, 10, "mean")
    assert out.tolist() == [3, 3, 3, 3, 3, 3, 5, 5, 3, 3]
    out = aggregate_window_scores(np.array([3.0]), np.array([0]), 2, 4, "max", fill=-1.0)
    assert out.tolist() == [3, 3, -1, -1]


class _Recorder:
    """A scikit-learn-like estimator that remembers the samples it was fitted on."""

    def fit(self, X, y=None):
        self.seen_ = np.array(X)
        return self

    def score_samples(self, X):
        return -np.asarray(X).sum(axis=1)


def test_estimator_fit_windows_never_cross_segments():
    n, L = 60, 5
    X = np.arange(n, dtype=float)[:, None]  # value = row number
    segments = np.array([[0, 23], [23, 60]])
    det_ = Estimator(estimator=_Recorder(), window=L, stride=2, name="rec").fit(X, segments=segments)
    seen = det_.estimator_.seen_
    assert seen.shape[1] == L
    assert np.all(np.diff(seen, axis=1) == 1)  # consecutive rows
    first, last = seen[:, 0], seen[:, -1]
    assert not np.any((first < 23) & (last >= 23))  # no window straddles the boundary
    assert 18 in first and 55 in first  # end-aligned windows of both segments


# --------------------------------------------------------------------------- sanity of scores


class Oracle(BaseDetector):
    """Scores every row of a series as long as ``labels`` with its label (the best possible detector)."""

    def __init__(self, *, labels: np.ndarray, name: str = "oracle", contamination: float = 0.1) -> None:
        self.labels = labels
        self.name = name
        self.contamination = contamination

    def _fit(self, X, segments):
        pass

    def _decision_function(self, X):
        return self.labels[: X.shape[0]].astype(np.float64)


def test_random_auc_near_half_on_large_fold():
    rng = np.random.default_rng(11)
    n = 200_000
    labels = rng.random(n) < 0.1
    X = rng.normal(size=(n, 2))
    s = RandomScore(seed=5).fit(X[:100]).decision_function(X)
    assert s.shape == (n,) and s.dtype == np.float64
    assert abs(roc_auc_score(labels, s) - 0.5) < 0.01  # std of the AUC here is about 0.002
    np.testing.assert_array_equal(s, RandomScore(seed=5).fit(X[:100]).decision_function(X))
    assert not np.array_equal(s, RandomScore(seed=6).fit(X[:100]).decision_function(X))


def test_oracle_auc_is_one():
    rng = np.random.default_rng(2)
    labels = rng.random(5000) < 0.05
    oracle = Oracle(labels=labels)
    assert isinstance(oracle, Detector)
    assert roc_auc_score(labels, oracle.fit(np.zeros((10, 1))).decision_function(np.zeros((5000, 1)))) == 1.0


@pytest.mark.parametrize("mode", ["global", "rolling"])
def test_zscore_finds_large_spikes(mode):
    train = _series(2000, 3, seed=0)
    test, labels = _with_spikes(_series(3000, 3, seed=1), 60, size=6.0)
    s = ZScore(mode=mode, window=50).fit(train).decision_function(test)
    assert np.all(np.isfinite(s))
    assert roc_auc_score(labels, s) > 0.9


def test_zscore_global_values_and_constant_column():
    train = np.array([[0.0, 5.0], [2.0, 5.0]])
    z = ZScore().fit(train)
    np.testing.assert_allclose(z.scale_, [1.0, 1.0])  # std 1 and zero std -> 1
    np.testing.assert_allclose(z.decision_function(np.array([[4.0, 5.0], [1.0, 2.0]])), [3.0, 3.0])


def test_zscore_rolling_matches_pandas_style_reference():
    rng = np.random.default_rng(4)
    train = rng.normal(size=(500, 2))
    X = rng.normal(size=(80, 2)) * 2 + 1
    w = 10
    zs = ZScore(mode="rolling", window=w, min_periods=4, min_std=1e-9).fit(train)
    got = zs.decision_function(X)
    Xc = (X - zs.mean_) / zs.scale_
    expected = np.empty(len(X))
    for t in range(len(X)):
        hist = Xc[max(0, t - w) : t]
        if len(hist) < 4:
            z = Xc[t]
        else:
            z = (Xc[t] - hist.mean(axis=0)) / hist.std(axis=0)
        expected[t] = np.abs(z).max()
    np.testing.assert_allclose(got, expected, rtol=1e-8)


# ------------------------------------------------------------------------ estimator adapter


def test_sklearn_sign_is_flipped_so_outliers_score_higher():
    from sklearn.ensemble import IsolationForest

    train = _series(400, 2)
    test = _series(200, 2, seed=3)
    test[100] += 8
    d = Estimator(estimator=IsolationForest(n_estimators=50, random_state=0), window=1).fit(train)
    s = d.decision_function(test)
    assert d.convention_ == "sklearn"
    assert np.argmax(s) == 100


def test_estimator_clones_and_does_not_modify_input():
    from sklearn.ensemble import IsolationForest

    proto = IsolationForest(n_estimators=10, random_state=0)
    X = _series(100, 2)
    X_copy = X.copy()
    d = Estimator(estimator=proto, window=3).fit(X)
    assert not hasattr(proto, "estimators_")
    assert d.estimator_ is not proto
    d.decision_function(X)
    np.testing.assert_array_equal(X, X_copy)


def test_estimator_from_target_mapping():
    spec = {"_target_": "sklearn.neighbors.LocalOutlierFactor", "n_neighbors": 5, "novelty": True}
    d = Estimator(estimator=spec, window=2, name="lof")
    assert d.estimator is spec  # stored unchanged (scikit-learn convention), built on fit
    s = d.fit(_series(100, 2)).decision_function(_series(50, 2, seed=9))
    assert s.shape == (50,) and np.all(np.isfinite(s))


def test_lof_without_novelty_gives_clear_error():
    from sklearn.neighbors import LocalOutlierFactor

    with pytest.raises(AnogenError, match="novelty"):
        Estimator(estimator=LocalOutlierFactor(n_neighbors=5), window=2, name="lof").fit(_series(60, 2))


def test_mapping_without_target_and_bad_target():
    X = _series(50, 2)
    with pytest.raises(AnogenError, match="_target_"):
        Estimator(estimator={"n_estimators": 3}, name="m").fit(X)
    with pytest.raises(AnogenError, match="no_such_module"):
        Estimator(estimator={"_target_": "no_such_module.Thing"}, name="m").fit(X)
    with pytest.raises(AnogenError, match=r"^detectors\.m\.estimator: .*no fit"):
        Estimator(estimator=object(), name="m").fit(X)


def test_knn_and_pca_estimators():
    X = _series(200, 2)
    knn = KNNDistance(n_neighbors=3).fit(X)
    q = np.array([[0.0, 0.0], [50.0, 50.0]])
    assert knn.score_samples(q)[1] < knn.score_samples(q)[0]
    with pytest.raises(AnogenError, match="n_neighbors"):
        KNNDistance(n_neighbors=500).fit(X)
    pca = PCAReconstruction(n_components=1).fit(np.c_[X[:, 0], 2 * X[:, 0]])
    np.testing.assert_allclose(pca.score_samples(np.array([[1.0, 2.0]])), [0.0], atol=1e-9)
    assert pca.score_samples(np.array([[1.0, -2.0]]))[0] < -1.0


@pytest.mark.parametrize(
    "make",
    [
        lambda: ZScore(),
        lambda: ZScore(mode="rolling", window=5),
        lambda: RandomScore(),
        lambda: Estimator(estimator=KNNDistance(n_neighbors=2), window=3, name="knn"),
    ],
)
def test_protocol_errors(make):
    d = make()
    assert isinstance(d, Detector) and isinstance(d.name, str)
    assert not hasattr(d, "score")  # scikit-learn's score(X, y) means the opposite
    with pytest.raises(AnogenError, match="before fit"):
        d.decision_function(np.zeros((10, 2)))
    with pytest.raises(NotFittedError):  # scikit-learn's exception too
        d.predict(np.zeros((10, 2)))
    X = _series(50, 2)
    assert d.fit(X) is d
    with pytest.raises(AnogenError, match="fitted on 2"):
        d.decision_function(np.zeros((10, 3)))
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(AnogenError, match="NaN"):
        d.decision_function(bad)
    with pytest.raises(AnogenError, match="NaN"):
        d.fit(bad)


@pytest.mark.parametrize(
    "kwargs, msg",
    [
        ({"window": 0}, r"detectors\.e\.window: must be > 0, got 0"),
        ({"stride": 1.5}, r"detectors\.e\.stride: "),
        ({"aggregate": "median"}, r"detectors\.e\.aggregate: .*'mean'.*'max'"),
        ({"convention": "keras"}, r"detectors\.e\.convention: "),
        ({"max_train": 0}, r"detectors\.e\.max_train: "),
        ({"contamination": 0.0}, r"detectors\.e\.contamination: must be > 0"),
        ({"estimator": KNNDistance(method="median")}, r"detectors\.e\.estimator\.method: "),
    ],
)
def test_estimator_bad_arguments_fail_at_fit_naming_the_key(kwargs, msg):
    d = Estimator(**{"estimator": KNNDistance(), "name": "e", **kwargs})  # stored unchanged (scikit-learn style)
    with pytest.raises(AnogenError, match=msg) as info:
        d.fit(_series(50, 2))
    assert "\n" not in str(info.value)


def test_zscore_bad_arguments():
    with pytest.raises(AnogenError, match=r"^detectors\.zscore\.mode: "):
        ZScore(mode="local").fit(_series(50, 2))
    with pytest.raises(AnogenError, match=r"^detectors\.zscore\.window: must be >= 2, got 1"):
        ZScore(mode="rolling", window=1).fit(_series(50, 2))
    with pytest.raises(AnogenError, match=r"^detectors\.zscore\.min_periods: must be <= window=5"):
        ZScore(mode="rolling", window=5, min_periods=6).fit(_series(50, 2))


@pytest.mark.skipif(not HAS_PYOD, reason="pyod not installed")
def test_pyod_convention_detected():
    from pyod.models.knn import KNN

    train = _series(200, 2)
    test = _series(100, 2, seed=5)
    test[40] += 10
    d = Estimator(estimator=KNN(n_neighbors=3), window=1, name="pyod_knn").fit(train)
    s = d.decision_function(test)
    assert d.convention_ == "pyod"
    assert np.argmax(s) == 40  # not flipped: PyOD scores are already higher = more anomalous


# ------------------------------------------------------------------ scikit-learn / PyOD API


def _small_detectors():
    return [
        ZScore(),
        ZScore(mode="rolling", window=5, name="zscore_rolling"),
        RandomScore(seed=3),
        Estimator(estimator=KNNDistance(n_neighbors=2), window=3, name="knn"),
        Estimator(estimator=PCAReconstruction(n_components=1), window=2, stride=2, aggregate="max", name="pca"),
    ]


@pytest.mark.parametrize("d", _small_detectors(), ids=lambda d: d.name)
def test_pyod_attributes_after_fit(d):
    from sklearn.base import clone

    X = _series(200, 2)
    d = clone(d).set_params(contamination=0.05)
    assert d.fit(X) is d
    assert d.n_features_in_ == 2
    assert d.decision_scores_.shape == (200,) and d.decision_scores_.dtype == np.float64
    np.testing.assert_allclose(d.decision_scores_, d.decision_function(X))  # train scores
    assert d.threshold_ == pytest.approx(np.percentile(d.decision_scores_, 95))
    assert set(np.unique(d.labels_)) <= {0, 1}
    np.testing.assert_array_equal(d.labels_, (d.decision_scores_ >= d.threshold_).astype(int))
    assert 0.03 <= d.labels_.mean() <= 0.10  # about `contamination` (ties may add a few)
    test = _series(80, 2, seed=4)
    pred = d.predict(test)
    assert pred.shape == (80,) and pred.dtype.kind == "i"
    np.testing.assert_array_equal(pred, (d.decision_function(test) >= d.threshold_).astype(int))


def test_labels_fraction_follows_contamination():
    X = np.random.default_rng(0).normal(size=(2000, 2))
    for c in (0.01, 0.1, 0.5):
        d = ZScore(contamination=c).fit(X)
        assert d.labels_.mean() == pytest.approx(c, abs=1e-3)


def test_get_set_params_roundtrip_and_nested_params():
    from sklearn.ensemble import IsolationForest

    d = Estimator(estimator=IsolationForest(n_estimators=20, random_state=0), window=4, name="iforest")
    params = d.get_params(deep=False)
    assert set(params) == {"estimator", "window", "stride", "aggregate", "convention", "name", "max_train", "contamination",
                           "pointwise"}
    assert params["window"] == 4 and params["contamination"] == 0.1
    deep = d.get_params(deep=True)
    assert deep["estimator__n_estimators"] == 20
    d.set_params(window=2, estimator__n_estimators=7, contamination=0.2)
    assert d.window == 2 and d.estimator.n_estimators == 7 and d.contamination == 0.2
    again = Estimator(**d.get_params(deep=False))
    assert again.get_params(deep=False) == d.get_params(deep=False)
    d.fit(_series(60, 2))
    assert d.estimator_.n_estimators == 7 and not hasattr(d.estimator, "estimators_")
    z = ZScore().set_params(mode="rolling", window=7)
    assert z.get_params()["window"] == 7 and z.get_params()["mode"] == "rolling"


def test_clone_refits_independently():
    from sklearn.base import clone

    d = Estimator(estimator=KNNDistance(n_neighbors=2), window=3, name="knn").fit(_series(100, 2))
    c = clone(d)
    assert not hasattr(c, "decision_scores_") and not hasattr(c, "estimator_")
    assert c.get_params(deep=False).keys() == d.get_params(deep=False).keys()
    assert c.estimator is not d.estimator  # the wrapped estimator is cloned too
    c.fit(_series(100, 2, seed=5))
    assert c.estimator_ is not d.estimator_
    assert not np.allclose(c.decision_scores_, d.decision_scores_)
    first = d.estimator_
    d.fit(_series(100, 2))  # a refit fits a fresh clone
    assert d.estimator_ is not first


def test_fit_segments_keyword_and_y_ignored():
    X = _series(60, 1)
    d = Estimator(estimator=_Recorder(), window=5, name="rec")
    d.fit(X, None, segments=np.array([[0, 30], [30, 60]]))
    first = d.estimator_.seen_[:, 0]
    assert d.estimator_.seen_.shape[1] == 5
    assert first.size == 52  # 26 windows per segment, none crossing row 30
    with pytest.raises(TypeError):
        d.fit(X, np.zeros(60), np.array([[0, 60]]))  # segments is keyword-only
    with pytest.raises(AnogenError, match="segment"):
        d.fit(X, segments=np.array([[0, 70]]))


def test_invalid_param_via_set_params_fails_at_fit_naming_the_key():
    d = ZScore(name="z").set_params(min_std=0.0)
    with pytest.raises(AnogenError, match=r"^detectors\.z\.min_std: must be > 0(\.0)?, got 0\.0$"):
        d.fit(_series(50, 2))
    d = det.build_detector("iforest").set_params(estimator__n_estimators=0)
    with pytest.raises(AnogenError, match=r"^detectors\.iforest\.estimator\.n_estimators: .*got 0$"):
        d.fit(_series(50, 2))
    d = RandomScore().set_params(seed=-1)
    with pytest.raises(AnogenError, match=r"^detectors\.random\.seed: must be >= 0"):
        d.fit(_series(50, 2))


def test_decision_function_before_fit_is_a_clear_error():
    d = det.build_detector("zscore")
    with pytest.raises(NotFittedError, match=r"^zscore: decision_function\(\) called before fit\(\)"):
        d.decision_function(np.zeros((5, 2)))
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError

    with pytest.raises(SklearnNotFittedError):
        d.predict(np.zeros((5, 2)))


def test_failed_refit_leaves_an_unfitted_detector():
    d = ZScore(name="z").fit(_series(50, 2))
    bad = _series(50, 3)
    bad[0, 0] = np.inf
    with pytest.raises(AnogenError, match="NaN/inf"):
        d.fit(bad)
    assert not hasattr(d, "mean_") and not hasattr(d, "decision_scores_")
    with pytest.raises(NotFittedError):
        d.decision_function(_series(10, 2))


class _FakePyOD:
    """PyOD-style: ``decision_scores_`` after fit, ``decision_function`` higher = more anomalous."""

    def fit(self, X, y=None):
        self.center_ = np.asarray(X).mean(axis=0)
        self.decision_scores_ = self.decision_function(X)
        return self

    def decision_function(self, X):
        return np.abs(np.asarray(X) - self.center_).sum(axis=1)


def test_pyod_style_estimator_is_not_flipped():
    test = _series(100, 2, seed=5)
    test[40] += 10
    d = Estimator(estimator=_FakePyOD(), window=1, name="fake").fit(_series(200, 2))
    assert d.convention_ == "pyod"
    assert np.argmax(d.decision_function(test)) == 40
    forced = Estimator(estimator=_FakePyOD(), window=1, convention="sklearn", name="fake").fit(_series(200, 2))
    assert np.argmin(forced.decision_function(test)) == 40  # sign flipped when told so


def test_knn_and_pca_parameters_checked():
    X = _series(50, 2)
    with pytest.raises(AnogenError, match=r"^knn\.method: "):
        KNNDistance(method="median").fit(X)
    with pytest.raises(AnogenError, match=r"^pca\.n_components: must be > 0"):
        PCAReconstruction(n_components=0).fit(X)
    with pytest.raises(AnogenError, match=r"^pca\.n_components: must be an integer >= 1 or a fraction in \(0, 1\), got 1\.5$"):
        PCAReconstruction(n_components=1.5).fit(X)
    pca = PCAReconstruction(n_components=3.0).fit(np.c_[X, X])  # an integral float is a count
    assert pca.pca_.n_components_ == 3


# -------------------------------------------------------------------------------- configs

ALL_CONFIGS = sorted(p.stem for p in CONF_DIR.glob("*.yaml"))
NN_OVERRIDES = {"epochs": 1, "hidden": [4], "latent_dim": 2, "window": 4, "batch_size": 16}
#: the forecasters and USAD shrunk the same way (their own size parameters)
TRAINED_OVERRIDES = {"cnn": {"epochs": 1, "channels": [4], "window": 4, "batch_size": 16},
                     "lstmad": {"epochs": 1, "hidden": [4], "window": 4, "batch_size": 16},
                     "usad": {"epochs": 1, "hidden": [4], "latent_dim": 2, "window": 4, "batch_size": 16}}


def test_config_set_is_complete():
    expected = {"lstm_ae", "vae", "iforest", "lof", "ocsvm", "knn", "pca", "zscore", "zscore_rolling", "random", "pyod_ecod", "ensemble", "ensemble_period",
                "mp", "poly", "sr", "kmeans", "cnn", "lstmad", "usad"}
    assert set(ALL_CONFIGS) == expected
    assert set(det.builtin_detectors()) == expected


TRAIN_SEGMENTS = np.array([[0, 70], [70, 120]])


def _config_data() -> tuple[np.ndarray, np.ndarray]:
    train = _series(120, 2)
    test, _ = _with_spikes(_series(60, 2, seed=7), 3, 5.0)
    return train, test


def _node(name: str):
    cfg = OmegaConf.load(CONF_DIR / f"{name}.yaml")
    assert list(cfg.keys()) == [name]  # keyed by name, for Hydra multi-select
    node = cfg[name]
    assert node.name == name
    if name in ("lstm_ae", "vae"):
        node = OmegaConf.merge(node, NN_OVERRIDES)
    if name in TRAINED_OVERRIDES:
        node = OmegaConf.merge(node, TRAINED_OVERRIDES[name])
    return node


def _from_config(name: str):
    from anogen.config import build

    return build(_node(name), f"detectors.{name}")  # as the jobs build them


@pytest.fixture(scope="module")
def fitted_nn():
    """The two neural detectors built from their YAML (shrunk) and fitted once (JIT compiles are slow)."""
    cache: dict[str, object] = {}

    def get(name: str):
        if name not in cache:
            train, _ = _config_data()
            cache[name] = _from_config(name).fit(train, segments=TRAIN_SEGMENTS)
        return cache[name]

    return get


@pytest.mark.parametrize("name", ALL_CONFIGS)
def test_every_config_instantiates_fits_and_scores(name, fitted_nn):
    if _missing_library(name):
        pytest.skip(f"{NEEDS[name]} not installed")
    train, test = _config_data()
    if name in ("lstm_ae", "vae"):
        if not HAS_TRAINER:
            pytest.skip("anogen.train / anogen.models not available yet")
        d = fitted_nn(name)
    else:
        d = _from_config(name)
        assert d.fit(train, segments=TRAIN_SEGMENTS) is d
    assert isinstance(d, Detector) and d.name == name
    s = d.decision_function(test)
    assert s.shape == (60,) and s.dtype == np.float64 and np.all(np.isfinite(s))
    assert np.ptp(s) > 0


def _has_reconstruction_ported() -> bool:
    """True once the neural detectors are BaseDetectors (helper T's port of reconstruction.py)."""
    if not HAS_TRAINER:
        return False
    try:
        from anogen.detectors import LSTMAEDetector

        return issubclass(LSTMAEDetector, BaseDetector)
    except ImportError:
        return False


@pytest.mark.parametrize("name", ALL_CONFIGS)
def test_every_config_builds_and_clones(name):
    from sklearn.base import clone

    if _missing_library(name):
        pytest.skip(f"{NEEDS[name]} not installed")
    if name in ("lstm_ae", "vae") and not _has_reconstruction_ported():
        pytest.skip("reconstruction detectors not yet ported to BaseDetector")
    d = _from_config(name)
    assert isinstance(d, BaseDetector) and d.name == name and d.contamination == 0.1
    c = clone(d)
    assert type(c) is type(d) and c is not d
    assert c.get_params(deep=False).keys() == d.get_params(deep=False).keys()
    for key, value in d.get_params(deep=False).items():
        if isinstance(value, BaseEstimator):  # nested estimators are cloned: same parameters
            assert c.get_params(deep=False)[key] is not value
            assert c.get_params(deep=False)[key].get_params() == value.get_params()
        else:
            assert c.get_params(deep=False)[key] == value


def test_invalid_nested_estimator_config_fails_at_build():
    from anogen.config import build

    node = OmegaConf.merge(_node("iforest"), {"estimator": {"n_estimators": 0}})
    with pytest.raises(AnogenError, match=r"^detectors\.iforest\.estimator\.n_estimators: ") as info:
        build(node, "detectors.iforest")
    assert "\n" not in str(info.value) and "got 0" in str(info.value)
    with pytest.raises(AnogenError, match=r"^detectors\.iforest\.window: must be > 0, got 0$"):
        det.build_detector("iforest", window=0)
    with pytest.raises(AnogenError, match=r"^detectors\.zscore_rolling\.min_periods: must be <= window"):
        det.build_detector("zscore_rolling", window=5, min_periods=9)  # a cross-parameter rule, at build


def test_sklearn_estimator_with_two_bad_parameters_names_the_first_by_key():
    """scikit-learn's order (``get_params``, by name): ``max_samples`` before ``n_estimators``; the
    error carries the key (``.key``), not a message to parse."""
    from anogen.config import build

    node = OmegaConf.merge(_node("iforest"), {"estimator": {"n_estimators": 0, "max_samples": -1}})
    with pytest.raises(AnogenError) as info:
        build(node, "detectors.iforest")
    assert info.value.key == "detectors.iforest.estimator.max_samples"
    assert str(info.value) == ("detectors.iforest.estimator.max_samples: must be a str among {'auto'}, an int in "
                               "the range [1, inf) or a float in the range (0.0, 1.0], got -1")


def _strict_constraints():
    from numbers import Integral

    from sklearn.utils._param_validation import Hidden, Interval, StrOptions

    return {"mode": [StrOptions({"a", "b"}, deprecated={"b"}), Hidden(None)],
            "size": [Interval(Integral, 1, None, closed="left")], "free": "no_validation"}


class _Strict(BaseEstimator):
    """A scikit-learn style estimator with parameter constraints (a hidden one, a deprecated option)."""

    _parameter_constraints = _strict_constraints()

    def __init__(self, mode="a", size=1, free=None):
        self.mode, self.size, self.free = mode, size, free

    def fit(self, X, y=None):
        return self


def test_sklearn_constraints_are_checked_without_parsing_their_message():
    """Bug: check_sklearn parsed scikit-learn's wording with a regex, so a message it did not expect (a
    class name that is no word, a value whose repr reads ". Got ... instead") lost its key or its
    words. Each case is one line naming ``key.param``, with scikit-learn's valid values and the value."""
    from anogen.config import check_sklearn

    odd = type("Odd-Name", (_Strict,), {})  # "The 'size' parameter of Odd-Name ..." did not match \w+
    with pytest.raises(AnogenError) as info:
        check_sklearn(odd(size=0), "detectors.e.estimator")
    assert (info.value.key, str(info.value)) == (
        "detectors.e.estimator.size", "detectors.e.estimator.size: must be an int in the range [1, inf), got 0")
    value = "a. Got b instead."
    with pytest.raises(AnogenError) as info:
        check_sklearn(_Strict(mode=value), "e")
    assert str(info.value) == f"e.mode: must be a str among {{'a', 'b' (deprecated)}}, got {value!r}" or \
        str(info.value) == f"e.mode: must be a str among {{'b' (deprecated), 'a'}}, got {value!r}"
    assert "\n" not in str(info.value) and "Hidden" not in str(info.value)
    for ok in (_Strict(), _Strict(mode=None), _Strict(mode="b", free=object())):  # hidden, deprecated, unchecked
        check_sklearn(ok, "e")


def test_hydra_multiselect_merges_detectors_keyed_by_name():
    from hydra import compose, initialize_config_dir
    from hydra.utils import instantiate

    with initialize_config_dir(config_dir=str(CONF_DIR.parent), version_base="1.3"):
        cfg = compose(config_name=None, overrides=["+detectors=[iforest,zscore,random]"])
    assert list(cfg.detectors.keys()) == ["iforest", "zscore", "random"]
    built = {k: instantiate(v) for k, v in cfg.detectors.items()}
    assert type(built["iforest"].estimator).__name__ == "IsolationForest"  # nested _target_ built
    assert built["iforest"].window == 10


def test_build_detector_overrides_and_errors():
    d = det.build_detector("knn", window=3)
    assert d.window == 3 and isinstance(d.estimator, KNNDistance)
    with pytest.raises(AnogenError, match="unknown detector"):
        det.build_detector("nope")
    with pytest.raises(AnogenError, match=r"^detectors\.zscore: unknown parameter 'windw'; valid parameters: .*'window'"):
        det.build_detector("zscore", windw=3)
    assert det.build_detector("zscore_rolling", min_periods=3).min_periods == 3  # any constructor parameter


# --------------------------------------------------------------------- reconstruction detectors

needs_trainer = pytest.mark.skipif(not HAS_TRAINER, reason="anogen.train / anogen.models not available yet")


@needs_trainer
def test_lstm_ae_detector_scores_and_reuses_model(fitted_nn):
    from anogen.detectors import LSTMAEDetector

    train, _ = _config_data()
    test, labels = _with_spikes(_series(80, 2, seed=3), 4, 6.0)
    with pytest.raises(AnogenError, match="before fit"):
        LSTMAEDetector().decision_function(test)
    d = fitted_nn("lstm_ae")
    assert d.history_ is not None and d.window_ == NN_OVERRIDES["window"]
    assert d.model_.hidden == tuple(NN_OVERRIDES["hidden"])
    s = d.decision_function(test)
    assert s.shape == (80,) and s.dtype == np.float64 and np.all(np.isfinite(s))
    reuse = LSTMAEDetector(model=d.model_, window=7).fit(train)  # window comes from the model
    assert reuse.history_ is None and reuse.window_ == NN_OVERRIDES["window"]
    np.testing.assert_allclose(reuse.decision_function(test), s, rtol=1e-6)
    with pytest.raises(AnogenError, match="window=4"):
        d.decision_function(test[:3])
    with pytest.raises(AnogenError, match="score"):  # scikit-learn style: checked at fit (or build), not in __init__
        LSTMAEDetector(score="elbo").fit(train)
    with pytest.raises(AnogenError, match="longer than every train segment"):
        LSTMAEDetector(window=50).fit(train, segments=np.array([[0, 40], [40, 80]]))


@needs_trainer
def test_vae_detector_elbo_and_mse(fitted_nn):
    from anogen.detectors import VAEDetector

    train, _ = _config_data()
    test, labels = _with_spikes(_series(80, 2, seed=3), 4, 6.0)
    d = fitted_nn("vae")
    s_mse = d.decision_function(test)
    elbo = VAEDetector(model=d.model_, score="elbo", n_samples=2).fit(train)
    s_elbo = elbo.decision_function(test)
    assert s_elbo.shape == (80,) and np.all(np.isfinite(s_elbo))
    np.testing.assert_array_equal(s_elbo, elbo.decision_function(test))  # fixed keys: deterministic
    assert not np.allclose(s_mse, s_elbo)
    # the negative ELBO includes recon_weight * MSE >= 0 and KL >= 0 per window
    assert np.all(s_elbo > 0)
    with pytest.raises(AnogenError, match="expects 2"):
        VAEDetector(model=d.model_).fit(np.zeros((50, 3)))


# ------------------------------------------------------------------------------ neighbour index (issue 14)

HAS_FAISS = importlib.util.find_spec("faiss") is not None


def _windows(n: int = 3000, seed: int = 0) -> np.ndarray:
    return window_features(_series(n + 9, 2, seed), 10)[0]


def test_lof_exact_equals_scikit_learn_novelty_lof():
    from sklearn.neighbors import LocalOutlierFactor

    from anogen.detectors import LOF

    train, query = _windows(800, 0), _windows(300, 1)
    ours = LOF(n_neighbors=20, index="exact").fit(train)
    ref = LocalOutlierFactor(n_neighbors=20, novelty=True).fit(train)
    np.testing.assert_allclose(ours.score_samples(query), ref.score_samples(query), rtol=1e-10)
    small = LOF(n_neighbors=50, index="exact").fit(train[:10])  # k clipped to m - 1, as scikit-learn
    ref_small = LocalOutlierFactor(n_neighbors=50, novelty=True).fit(train[:10])
    np.testing.assert_allclose(small.score_samples(query), ref_small.score_samples(query), rtol=1e-10)


def test_knn_exact_equals_brute_force():
    train, query = _windows(500, 0), _windows(100, 1)
    got = -KNNDistance(n_neighbors=3, index="exact").fit(train).score_samples(query)
    d = np.sqrt(((query[:, None, :] - train[None, :, :]) ** 2).sum(-1))
    np.testing.assert_allclose(got, np.sort(d, axis=1)[:, 2], rtol=1e-9)


@pytest.mark.skipif(not HAS_FAISS, reason="faiss-cpu not installed (extra 'fast')")
def test_hnsw_index_is_close_to_exact_and_deterministic():
    from anogen.detectors import LOF

    train, query = _windows(6000, 0), _windows(2000, 1)
    exact = -KNNDistance(n_neighbors=5, index="exact").fit(train).score_samples(query)
    approx_det = KNNDistance(n_neighbors=5, index="auto").fit(train)  # auto: HNSW from 5000 samples on
    assert approx_det.nn_.method_ == "hnsw"
    approx = -approx_det.score_samples(query)
    assert np.mean(np.isclose(approx, exact, rtol=1e-5)) > 0.9
    assert np.all(approx >= exact * (1 - 1e-5))  # an approximate k-th neighbour is never nearer
    again = -KNNDistance(n_neighbors=5, index="hnsw").fit(train).score_samples(query)
    np.testing.assert_array_equal(again, approx)  # graph built on one thread: same every time
    lof_exact = LOF(index="exact").fit(train).score_samples(query)
    lof_hnsw = LOF(index="hnsw").fit(train).score_samples(query)
    assert np.corrcoef(lof_exact, lof_hnsw)[0, 1] > 0.99
    assert KNNDistance(index="auto").fit(train[:100]).nn_.method_ == "exact"  # small: brute force
    import copy
    import pickle

    fitted = LOF(index="hnsw").fit(train)
    for restored in (pickle.loads(pickle.dumps(fitted)), copy.deepcopy(fitted)):  # the graph travels
        np.testing.assert_array_equal(restored.score_samples(query), lof_hnsw)


def test_hnsw_errors_name_the_key(monkeypatch):
    import anogen.detectors.neighbors as nb

    with pytest.raises(AnogenError, match="knn.index: 'hnsw' supports the Euclidean metric only"):
        KNNDistance(index="hnsw", metric="manhattan").fit(_windows(50))
    monkeypatch.setattr(nb, "has_faiss", lambda: False)
    with pytest.raises(AnogenError, match=r"knn.index: 'hnsw' needs faiss: pip install 'anogen\[fast\]'"):
        KNNDistance(index="hnsw").fit(_windows(50))
    assert KNNDistance(index="auto").fit(_windows(6000)).nn_.method_ == "exact"  # auto without faiss
