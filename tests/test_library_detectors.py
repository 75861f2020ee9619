"""The library-backed detectors (mp, poly, sr, kmeans) against their libraries' own output, and the
library detectors by name (pyod:NAME, aeon:NAME): small series, a few hundred rows."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest
from sklearn.base import clone

from anogen.detectors import POLY, Estimator, KMeansDistance, MatrixProfile, SeriesDetector, build_detector
from anogen.detectors.base import detector_variants
from anogen.detectors.library import library_detector
from anogen.detectors.poly import poly_scores
from anogen.detectors.windows import aggregate_window_scores
from anogen.types import AnogenError
from tests.reference_tsb_ad import tsb_ad_poly

HAS_PYOD = importlib.util.find_spec("pyod") is not None


def _series(n: int, d: int = 2, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    cols = [np.sin(t / (6 + 3 * j)) + 0.1 * rng.standard_normal(n) for j in range(d)]
    return np.column_stack(cols)


def _test_part() -> np.ndarray:
    x = _series(150, seed=3)
    x[70:75, 0] += 2.0
    return x


# ------------------------------------------------------------------------------ matrix profile


def test_mp_join_equals_stumpy_ab_join_per_segment():
    stumpy = pytest.importorskip("stumpy")
    train, test = _series(300), _test_part()
    seg = np.array([[0, 180], [180, 300]])
    det = MatrixProfile(window=12, reduce="max").fit(train, segments=seg)
    cols = []
    for j in range(2):
        a = stumpy.stump(test[:, j], 12, train[:180, j], ignore_trivial=False)[:, 0].astype(float)
        b = stumpy.stump(test[:, j], 12, train[180:, j], ignore_trivial=False)[:, 0].astype(float)
        cols.append(np.minimum(a, b))
    windows = np.max(cols, axis=0)
    np.testing.assert_allclose(det.window_scores(test), windows, rtol=1e-9, atol=1e-9)
    rows = aggregate_window_scores(windows, np.arange(windows.size), 12, 150, "mean")
    np.testing.assert_allclose(det.decision_function(test), rows, rtol=1e-9, atol=1e-9)
    assert det.receptive_field_ == (11, 11) and 65 <= int(np.argmax(det.decision_function(test))) <= 80
    # train scores: the train part's self-join (joined with itself, every distance would be 0)
    assert det.decision_scores_.shape == (300,) and np.median(det.decision_scores_) > 0.1


def test_mp_self_join_equals_stumpy_self_join():
    stumpy = pytest.importorskip("stumpy")
    test = _test_part()[:, :1]
    det = MatrixProfile(window=10, mode="self").fit(_series(200, d=1))
    ref = stumpy.stump(np.ascontiguousarray(test[:, 0]), 10)[:, 0].astype(float)
    np.testing.assert_allclose(det.window_scores(test), ref, rtol=1e-9, atol=1e-9)
    assert det.receptive_field_ is None


def test_mp_parameters_clone_and_errors():
    det = MatrixProfile(window="2period", mode="self", reduce="mean")
    c = clone(det)
    assert c.get_params() == det.get_params() and c is not det
    with pytest.raises(AnogenError, match=r"^detectors\.mp\.window: must be >= 3 rows"):
        MatrixProfile(window=2).check_params()
    with pytest.raises(AnogenError, match=r"^detectors\.mp\.mode: "):
        MatrixProfile(mode="both").check_params()
    if importlib.util.find_spec("stumpy") is not None:
        with pytest.raises(AnogenError, match=r"^mp: the scored series has 8 rows; .* at least 12"):
            MatrixProfile(window=12).fit(_series(100)).decision_function(_series(8))


# ------------------------------------------------------------------------------ POLY


@pytest.mark.parametrize("n, window", [(997, 13), (1234, 37), (640, 20)])
def test_poly_equals_tsb_ad_poly(n, window):
    x = _series(n, d=1, seed=n)[:, 0]
    x[n // 2:n // 2 + 5] += 2.0
    ref = tsb_ad_poly(x, power=3, window=window)                   # min-max scaled inside, as TSB-AD
    ours = poly_scores(x[:, None], window, 3, max(100, 10 * window))[:, 0] / (x.max() - x.min())
    start = math.ceil(min(500, int(0.1 * n)) / window) * window     # TSB-AD leaves its first rows at 0
    np.testing.assert_allclose(ours[start:], ref[start:], rtol=1e-7, atol=1e-10)
    assert np.all(ours[:start] > 0)


def test_poly_detector_reduces_columns_and_checks_rules():
    train, test = _series(300), _test_part()
    det = POLY(window=10, reduce="mean").fit(train)
    per = poly_scores(test, 10, 3, 100)
    np.testing.assert_allclose(det.decision_function(test), per.mean(axis=1))
    assert det.receptive_field_ is None and clone(det).get_params() == det.get_params()
    with pytest.raises(AnogenError, match=r"^detectors\.poly\.neighborhood: must be > window=10, got 5$"):
        POLY(window=10, neighborhood=5).check_params()
    with pytest.raises(AnogenError, match=r"^detectors\.poly\.power: must be > 0, got 0$"):
        POLY(power=0).check_params()


# ------------------------------------------------------------------------------ spectral residual


@pytest.mark.skipif(not HAS_PYOD, reason="pyod not installed")
def test_sr_equals_pyod_spectral_residual():
    from pyod.models.ts_spectral_residual import SpectralResidual

    train, test = _series(300), _test_part()
    det = build_detector("sr").fit(train)
    ref = SpectralResidual(score_window=3).fit(train).decision_function(test)
    np.testing.assert_array_equal(det.decision_function(test), ref)
    assert isinstance(det, SeriesDetector) and det.receptive_field_ is None
    with pytest.raises(AnogenError, match=r"^detectors\.sr@50\.window: SpectralResidual has no window parameter"):
        build_detector("sr@50")


# ------------------------------------------------------------------------------ k-means


def test_kmeans_equals_aeon_kmeansad():
    aeon = pytest.importorskip("aeon.anomaly_detection.series.distance_based")
    train, test = _series(300), _test_part()
    ref = aeon.KMeansAD(n_clusters=5, window_size=16, random_state=0).fit(train, axis=0).predict(test, axis=0)
    det = Estimator(estimator=KMeansDistance(n_clusters=5, random_state=0), window=16).fit(train)
    np.testing.assert_allclose(det.decision_function(test), ref, rtol=1e-8, atol=1e-10)
    by_name = build_detector("aeon:KMeansAD", n_clusters=5, window_size=16, random_state=0).fit(train)
    np.testing.assert_allclose(by_name.decision_function(test), ref, rtol=1e-12)


def test_kmeans_config_is_local_and_clones():
    det = build_detector("kmeans", window=8).set_params(estimator__n_clusters=4).fit(_series(200))
    assert det.receptive_field_ == (7, 7) and det.estimator_.kmeans_.n_clusters == 4
    c = clone(det)
    assert c.get_params()["estimator__n_clusters"] == 4 and not hasattr(c, "estimator_")
    with pytest.raises(AnogenError, match=r"^detectors\.kmeans\.estimator\.n_clusters: must be > 0, got 0$"):
        build_detector("kmeans").set_params(estimator__n_clusters=0).check_params()


# ------------------------------------------------------------------------------ by name


@pytest.mark.skipif(not HAS_PYOD, reason="pyod not installed")
def test_pyod_by_name_equals_pyod_on_rows_and_forwards_parameters():
    from pyod.models.copod import COPOD
    from pyod.models.knn import KNN

    train, test = _series(200), _test_part()
    det = build_detector("pyod:COPOD").fit(train)
    np.testing.assert_allclose(det.decision_function(test), COPOD().fit(train).decision_function(test))
    assert det.name == "pyod:COPOD" and det.window == 1
    knn = build_detector("pyod:KNN@5", n_neighbors=3).fit(train)
    assert knn.name == "pyod:KNN@5" and knn.window == 5 and knn.estimator_.n_neighbors == 3
    windows = np.lib.stride_tricks.sliding_window_view(test, 5, axis=0).transpose(0, 2, 1).reshape(-1, 10)
    train_w = np.lib.stride_tricks.sliding_window_view(train, 5, axis=0).transpose(0, 2, 1).reshape(-1, 10)
    ref = KNN(n_neighbors=3).fit(train_w).decision_function(windows)
    np.testing.assert_allclose(knn.decision_function(test),
                               aggregate_window_scores(ref, np.arange(ref.size), 5, 150, "mean"), rtol=1e-9)
    ts = build_detector("pyod:KShape@16")
    assert isinstance(ts, SeriesDetector) and ts.window_param == "window_size" and ts.window == 16
    params = {k: v for k, v in clone(ts).get_params().items() if k != "estimator"}
    assert params == {k: v for k, v in ts.get_params().items() if k != "estimator"}


@pytest.mark.skipif(not HAS_PYOD, reason="pyod not installed")
def test_by_name_errors_are_one_line_with_the_key():
    with pytest.raises(AnogenError, match=r"^detectors: 'pyod:COPD': pyod has no detector 'COPD'; "
                                          r"did you mean pyod:COPOD") as info:
        build_detector("pyod:COPD")
    assert "\n" not in str(info.value)
    with pytest.raises(AnogenError, match=r"^detectors\.pyod:KNN\.estimator: unknown parameter 'n_neighbours'; "
                                          r"valid parameters: \[.*'n_neighbors'"):
        build_detector("pyod:KNN", n_neighbours=3)
    with pytest.raises(AnogenError, match=r"^detectors: 'sklearn:IsolationForest': a library detector is "
                                          r"LIBRARY:NAME with LIBRARY one of pyod, aeon"):
        build_detector("sklearn:IsolationForest")
    with pytest.raises(AnogenError, match=r"^detector_variants\[1\]: 'pyod:Nope': pyod has no detector"):
        detector_variants(["pyod:COPOD", "pyod:Nope"], {})


def test_a_missing_library_is_one_line_with_the_install_hint(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "aeon" else real(name, *a))
    with pytest.raises(AnogenError) as info:
        library_detector("aeon:KMeansAD")
    assert str(info.value) == ("detectors: 'aeon:KMeansAD' needs aeon, which is not installed; "
                               "install it: pip install 'anogen[aeon]'")


@pytest.mark.skipif(not HAS_PYOD, reason="pyod not installed")
def test_detector_variants_from_the_command_line_compose_and_build():
    from anogen.jobs.spec import build_job
    from tests.conftest import compose

    cfg = compose(["detectors=[zscore]", "+detector_variants=[pyod:COPOD,pyod:KNN@10,zscore_rolling@20]"])
    job = build_job(cfg)
    assert list(job.detectors) == ["zscore", "pyod:COPOD", "pyod:KNN@10", "zscore_rolling@20"] or \
        set(job.detectors) == {"zscore", "pyod:COPOD", "pyod:KNN@10", "zscore_rolling@20"}
    assert job.detectors["pyod:KNN@10"].window == 10
