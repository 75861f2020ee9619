"""The reconstruction detectors (LSTM-AE, LSTM-VAE) on the BaseDetector API: tiny shapes, one epoch."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from anogen.detectors.base import BaseDetector, NotFittedError
from anogen.detectors.reconstruction import LSTMAEDetector, VAEDetector
from anogen.types import AnogenError
from tests.conftest import count_compiles

TINY = {"epochs": 1, "hidden": [4], "latent_dim": 2, "window": 4, "batch_size": 16}
SEGMENTS = np.array([[0, 70], [70, 120]])


def series(n: int, d: int = 2, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)[:, None]
    return np.sin(2 * np.pi * t / 25 + np.arange(d)) + 0.1 * rng.normal(size=(n, d))


@pytest.fixture(scope="module")
def fitted():
    """One tiny fitted detector of each kind (JIT compiles are the slow part)."""
    return {
        "ae": LSTMAEDetector(**TINY).fit(series(120), segments=SEGMENTS),
        "vae": VAEDetector(score="elbo", n_samples=2, **TINY).fit(series(120), segments=SEGMENTS),
    }


@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_pyod_attributes_and_scores(fitted, kind):
    d = fitted[kind]
    assert isinstance(d, BaseDetector) and d.n_features_in_ == 2 and d.window_ == 4
    assert d.history_.epochs_run == 1 and d.model_.hidden == (4,)
    assert d.decision_scores_.shape == (120,) and np.all(np.isfinite(d.decision_scores_))
    assert d.threshold_ == pytest.approx(np.percentile(d.decision_scores_, 90))
    test = series(80, seed=3)
    test[40:42] += 6.0
    s = d.decision_function(test)
    assert s.shape == (80,) and s.dtype == np.float64 and np.all(np.isfinite(s))
    assert s[40:42].mean() > np.median(s)  # the spike scores high
    np.testing.assert_array_equal(d.predict(test), (s >= d.threshold_).astype(int))


def test_elbo_is_deterministic_positive_and_differs_from_mse(fitted):
    d = fitted["vae"]
    test = series(60, seed=2)
    elbo = d.decision_function(test)
    np.testing.assert_array_equal(elbo, d.decision_function(test))  # fixed keys
    assert np.all(elbo > 0)  # recon_weight * MSE + KL >= 0 per window
    mse = VAEDetector(model=d.model_, score="mse").fit(series(120)).decision_function(test)
    assert not np.allclose(mse, elbo)


def test_clone_keeps_params_unchanged_and_refits(fitted):
    d = fitted["ae"]
    c = clone(d)
    assert not hasattr(c, "model_") and c.get_params() == d.get_params()
    assert c.hidden == [4]  # stored as given (a YAML list), not converted
    c.set_params(seed=1).fit(series(120), segments=SEGMENTS)
    assert not np.allclose(c.decision_scores_, d.decision_scores_)


def test_given_model_is_adopted_without_training(fitted):
    d = fitted["ae"]
    reuse = LSTMAEDetector(model=d.model_, window=7).fit(series(120))
    assert reuse.history_ is None and reuse.window_ == 4  # the window comes from the model
    test = series(50, seed=4)
    np.testing.assert_allclose(reuse.decision_function(test), d.decision_function(test), rtol=1e-6)
    with pytest.raises(AnogenError, match=r"^lstm_ae: the given model expects 2 column\(s\), the data has 3$"):
        LSTMAEDetector(model=d.model_).fit(np.zeros((50, 3)))


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: LSTMAEDetector(score="elbo"), r"^detectors\.lstm_ae\.score: must be 'mse'"),
        (lambda: LSTMAEDetector(epochs=0), r"^detectors\.lstm_ae\.epochs: must be > 0, got 0$"),
        (lambda: VAEDetector(hidden=[8, 0]), r"^detectors\.vae\.hidden\.1: must be > 0"),
        (lambda: VAEDetector(n_samples=0, name="v2"), r"^detectors\.v2\.n_samples: must be > 0"),
        (lambda: VAEDetector(contamination=0.9), r"^detectors\.vae\.contamination: must be > 0 and <= 0\.5"),
        (lambda: LSTMAEDetector(optimizer="adamm"), r"^detectors\.lstm_ae\.optimizer: 'adamm' is not an optax"),
        (lambda: LSTMAEDetector(train_kwargs={"epsilon": -1}), r"^detectors\.lstm_ae\.train_kwargs\.epsilon: "),
        (lambda: LSTMAEDetector(train_kwargs={"epsilonn": 1}), r"^detectors\.lstm_ae\.train_kwargs: unknown"),
    ],
)
def test_invalid_params_fail_at_fit_naming_the_key(make, match):
    d = make()  # scikit-learn style: the constructor stores, fit checks
    with pytest.raises(AnogenError, match=match):
        d.fit(series(60))


def test_invalid_params_fail_at_build_before_data():
    from anogen.config import build

    node = {"_target_": "anogen.detectors.reconstruction.VAEDetector", "name": "vae", "window": 0}
    with pytest.raises(AnogenError, match=r"^detectors\.vae\.window: must be > 0, got 0$"):
        build(node, "detectors.vae")
    node = {**node, "window": 4, "optimizer": {"_target_": "optax.adamw", "_partial_": True}, "epochs": 1}
    d = build(node, "detectors.vae")  # a nested optimizer node is built into a partial: accepted
    assert callable(d.optimizer)


def test_data_errors(fitted):
    d = fitted["ae"]
    with pytest.raises(AnogenError, match="longer than every train segment"):
        LSTMAEDetector(**{**TINY, "window": 50}).fit(series(80), segments=np.array([[0, 40], [40, 80]]))
    with pytest.raises(AnogenError, match=r"^lstm_ae: cannot score 3 row\(s\) with window=4"):
        d.decision_function(series(3))
    with pytest.raises(NotFittedError, match="before fit"):
        LSTMAEDetector().decision_function(series(10))


def test_new_score_lengths_do_not_recompile(fitted):
    """Defect: every new scored length (3000, 3001, 3002 rows) compiled a new program."""
    for d in fitted.values():
        d.decision_function(series(100))  # rows and windows padded to 104
        with count_compiles() as compiles:
            for n in (101, 102, 103):
                d.decision_function(series(n))
        assert compiles == [], (d.name, compiles)


def test_second_vae_detector_reuses_the_compiled_elbo(fitted):
    """Defect: the VAE detector re-created (and recompiled) its jitted ELBO for every fit."""
    first = fitted["vae"]
    test = series(80, seed=9)
    first.decision_function(test)
    with count_compiles() as compiles:
        other = clone(first).fit(series(120, seed=1), segments=SEGMENTS)  # another fold, same shapes
        other.decision_function(test)
    assert compiles == []
    assert not np.allclose(other.decision_function(test), first.decision_function(test))
