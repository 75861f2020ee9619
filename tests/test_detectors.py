"""Tests of anogen.detectors: windows, adapters, baselines, configs, sanity of scores."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf
from sklearn.metrics import roc_auc_score

import anogen.detectors as det
from anogen.detectors import (
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
from anogen.types import AnogenError

CONF_DIR = Path(det.__file__).resolve().parents[1] / "conf" / "detectors"
HAS_PYOD = importlib.util.find_spec("pyod") is not None


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
    det_ = Estimator(_Recorder(), window=L, stride=2, name="rec").fit(X, segments=segments)
    seen = det_.estimator_.seen_
    assert seen.shape[1] == L
    assert np.all(np.diff(seen, axis=1) == 1)  # consecutive rows
    first, last = seen[:, 0], seen[:, -1]
    assert not np.any((first < 23) & (last >= 23))  # no window straddles the boundary
    assert 18 in first and 55 in first  # end-aligned windows of both segments


# --------------------------------------------------------------------------- sanity of scores


class Oracle:
    """Scores every row with its label (the best possible detector)."""

    name = "oracle"

    def __init__(self, labels: np.ndarray) -> None:
        self.labels = labels

    def fit(self, X, segments=None):
        self.fitted_ = True
        return self

    def score(self, X):
        return self.labels.astype(np.float64)


def test_random_auc_near_half_on_large_fold():
    rng = np.random.default_rng(11)
    n = 200_000
    labels = rng.random(n) < 0.1
    X = rng.normal(size=(n, 2))
    s = RandomScore(seed=5).fit(X[:100]).score(X)
    assert s.shape == (n,) and s.dtype == np.float64
    assert abs(roc_auc_score(labels, s) - 0.5) < 0.01  # std of the AUC here is about 0.002
    np.testing.assert_array_equal(s, RandomScore(seed=5).fit(X[:100]).score(X))
    assert not np.array_equal(s, RandomScore(seed=6).fit(X[:100]).score(X))


def test_oracle_auc_is_one():
    rng = np.random.default_rng(2)
    labels = rng.random(5000) < 0.05
    oracle = Oracle(labels)
    assert isinstance(oracle, Detector)
    assert roc_auc_score(labels, oracle.fit(np.zeros((10, 1))).score(np.zeros((5000, 1)))) == 1.0


@pytest.mark.parametrize("mode", ["global", "rolling"])
def test_zscore_finds_large_spikes(mode):
    train = _series(2000, 3, seed=0)
    test, labels = _with_spikes(_series(3000, 3, seed=1), 60, size=6.0)
    s = ZScore(mode=mode, window=50).fit(train).score(test)
    assert np.all(np.isfinite(s))
    assert roc_auc_score(labels, s) > 0.9


def test_zscore_global_values_and_constant_column():
    train = np.array([[0.0, 5.0], [2.0, 5.0]])
    z = ZScore().fit(train)
    np.testing.assert_allclose(z.scale_, [1.0, 1.0])  # std 1 and zero std -> 1
    np.testing.assert_allclose(z.score(np.array([[4.0, 5.0], [1.0, 2.0]])), [3.0, 3.0])


def test_zscore_rolling_matches_pandas_style_reference():
    rng = np.random.default_rng(4)
    train = rng.normal(size=(500, 2))
    X = rng.normal(size=(80, 2)) * 2 + 1
    w = 10
    zs = ZScore(mode="rolling", window=w, min_periods=4, min_std=1e-9).fit(train)
    got = zs.score(X)
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
    d = Estimator(IsolationForest(n_estimators=50, random_state=0), window=1).fit(train)
    s = d.score(test)
    assert d.convention_ == "sklearn"
    assert np.argmax(s) == 100


def test_estimator_clones_and_does_not_modify_input():
    from sklearn.ensemble import IsolationForest

    proto = IsolationForest(n_estimators=10, random_state=0)
    X = _series(100, 2)
    X_copy = X.copy()
    d = Estimator(proto, window=3).fit(X)
    assert not hasattr(proto, "estimators_")
    assert d.estimator_ is not proto
    d.score(X)
    np.testing.assert_array_equal(X, X_copy)


def test_estimator_from_target_mapping():
    spec = {"_target_": "sklearn.neighbors.LocalOutlierFactor", "n_neighbors": 5, "novelty": True}
    d = Estimator(spec, window=2)
    assert d.name == "localoutlierfactor"
    s = d.fit(_series(100, 2)).score(_series(50, 2, seed=9))
    assert s.shape == (50,) and np.all(np.isfinite(s))


def test_lof_without_novelty_gives_clear_error():
    from sklearn.neighbors import LocalOutlierFactor

    with pytest.raises(AnogenError, match="novelty"):
        Estimator(LocalOutlierFactor(n_neighbors=5), window=2, name="lof").fit(_series(60, 2))


def test_mapping_without_target_and_bad_target():
    with pytest.raises(AnogenError, match="_target_"):
        Estimator({"n_estimators": 3})
    with pytest.raises(AnogenError, match="no_such_module"):
        Estimator({"_target_": "no_such_module.Thing"})


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
        lambda: Estimator(KNNDistance(n_neighbors=2), window=3, name="knn"),
    ],
)
def test_protocol_errors(make):
    d = make()
    assert isinstance(d, Detector) and isinstance(d.name, str)
    with pytest.raises(AnogenError, match="before fit"):
        d.score(np.zeros((10, 2)))
    X = _series(50, 2)
    assert d.fit(X) is d
    with pytest.raises(AnogenError, match="fitted on 2"):
        d.score(np.zeros((10, 3)))
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(AnogenError, match="NaN"):
        d.score(bad)


@pytest.mark.parametrize(
    "kwargs, msg",
    [
        ({"window": 0}, "window"),
        ({"stride": 1.5}, "stride"),
        ({"aggregate": "median"}, "aggregate"),
        ({"convention": "keras"}, "convention"),
    ],
)
def test_estimator_bad_arguments(kwargs, msg):
    with pytest.raises(AnogenError, match=msg):
        Estimator(KNNDistance(), **kwargs)


def test_zscore_bad_arguments():
    with pytest.raises(AnogenError, match="mode"):
        ZScore(mode="local")
    with pytest.raises(AnogenError, match="window"):
        ZScore(mode="rolling", window=1)


@pytest.mark.skipif(not HAS_PYOD, reason="pyod not installed")
def test_pyod_convention_detected():
    from pyod.models.knn import KNN

    train = _series(200, 2)
    test = _series(100, 2, seed=5)
    test[40] += 10
    d = Estimator(KNN(n_neighbors=3), window=1, name="pyod_knn").fit(train)
    s = d.score(test)
    assert d.convention_ == "pyod"
    assert np.argmax(s) == 40  # not flipped: PyOD scores are already higher = more anomalous


# -------------------------------------------------------------------------------- configs

ALL_CONFIGS = sorted(p.stem for p in CONF_DIR.glob("*.yaml"))
NN_OVERRIDES = {"epochs": 1, "hidden": [4], "latent_dim": 2, "window": 4, "batch_size": 16}


def test_config_set_is_complete():
    expected = {"lstm_ae", "vae", "iforest", "lof", "ocsvm", "knn", "pca", "zscore", "zscore_rolling", "random", "pyod_ecod"}
    assert set(ALL_CONFIGS) == expected
    assert set(det.builtin_detectors()) == expected


TRAIN_SEGMENTS = np.array([[0, 70], [70, 120]])


def _config_data() -> tuple[np.ndarray, np.ndarray]:
    train = _series(120, 2)
    test, _ = _with_spikes(_series(60, 2, seed=7), 3, 5.0)
    return train, test


def _from_config(name: str):
    from hydra.utils import instantiate

    cfg = OmegaConf.load(CONF_DIR / f"{name}.yaml")
    assert list(cfg.keys()) == [name]  # keyed by name, for Hydra multi-select
    node = cfg[name]
    assert node.name == name
    if name in ("lstm_ae", "vae"):
        node = OmegaConf.merge(node, NN_OVERRIDES)
    return instantiate(node)  # default Hydra settings, as the pipeline calls it


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
    if name == "pyod_ecod" and not HAS_PYOD:
        pytest.skip("pyod not installed")
    train, test = _config_data()
    if name in ("lstm_ae", "vae"):
        if not HAS_TRAINER:
            pytest.skip("anogen.train / anogen.models not available yet")
        d = fitted_nn(name)
    else:
        d = _from_config(name)
        assert d.fit(train, segments=TRAIN_SEGMENTS) is d
    assert isinstance(d, Detector) and d.name == name
    s = d.score(test)
    assert s.shape == (60,) and s.dtype == np.float64 and np.all(np.isfinite(s))
    assert np.ptp(s) > 0


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
    with pytest.raises(AnogenError, match="unknown key"):
        det.build_detector("zscore", windw=3)


# --------------------------------------------------------------------- reconstruction detectors

needs_trainer = pytest.mark.skipif(not HAS_TRAINER, reason="anogen.train / anogen.models not available yet")


@needs_trainer
def test_lstm_ae_detector_scores_and_reuses_model(fitted_nn):
    from anogen.detectors import LSTMAEDetector

    train, _ = _config_data()
    test, labels = _with_spikes(_series(80, 2, seed=3), 4, 6.0)
    with pytest.raises(AnogenError, match="before fit"):
        LSTMAEDetector().score(test)
    d = fitted_nn("lstm_ae")
    assert d.history_ is not None and d.window_ == NN_OVERRIDES["window"]
    assert d.model_.hidden == tuple(NN_OVERRIDES["hidden"])
    s = d.score(test)
    assert s.shape == (80,) and s.dtype == np.float64 and np.all(np.isfinite(s))
    reuse = LSTMAEDetector(model=d.model_, window=7).fit(train)  # window comes from the model
    assert reuse.history_ is None and reuse.window_ == NN_OVERRIDES["window"]
    np.testing.assert_allclose(reuse.score(test), s, rtol=1e-6)
    with pytest.raises(AnogenError, match="window=4"):
        d.score(test[:3])
    with pytest.raises(AnogenError, match="score"):
        LSTMAEDetector(score="elbo")
    with pytest.raises(AnogenError, match="longer than every train segment"):
        LSTMAEDetector(window=50).fit(train, segments=np.array([[0, 40], [40, 80]]))


@needs_trainer
def test_vae_detector_elbo_and_mse(fitted_nn):
    from anogen.detectors import VAEDetector

    train, _ = _config_data()
    test, labels = _with_spikes(_series(80, 2, seed=3), 4, 6.0)
    d = fitted_nn("vae")
    s_mse = d.score(test)
    elbo = VAEDetector(model=d.model_, score="elbo", n_samples=2).fit(train)
    s_elbo = elbo.score(test)
    assert s_elbo.shape == (80,) and np.all(np.isfinite(s_elbo))
    np.testing.assert_array_equal(s_elbo, elbo.score(test))  # fixed keys: deterministic
    assert not np.allclose(s_mse, s_elbo)
    # the negative ELBO includes recon_weight * MSE >= 0 and KL >= 0 per window
    assert np.all(s_elbo > 0)
    with pytest.raises(AnogenError, match="expects 2"):
        VAEDetector(model=d.model_).fit(np.zeros((50, 3)))
