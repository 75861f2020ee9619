"""The CNN and LSTM forecasters (``cnn``, ``lstmad``) and USAD (``usad``): tiny models, short series.

JIT compilation is the slow part (a few seconds per model shape), so one fitted detector of each
kind, on 3 columns, is shared by the module; refits of the same shapes reuse the compiled programs.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from anogen.detectors import (
    CNNDetector,
    LSTMADDetector,
    USADDetector,
    build_detector,
    builtin_detectors,
)
from anogen.models import USAD, LSTMForecaster
from anogen.models.losses import loss as batch_loss
from anogen.models.usad import usad_losses
from anogen.train import TrainConfig, load_checkpoint, save_checkpoint
from anogen.train.loop import _hyper
from anogen.types import AnogenError

NAMES = ("cnn", "lstmad", "usad")
CLASSES = {"cnn": CNNDetector, "lstmad": LSTMADDetector, "usad": USADDetector}

#: small models that learn a sine of period 25 in a few epochs
LEARN = {
    "cnn": {"window": 12, "channels": [8, 8], "epochs": 15, "batch_size": 32, "learning_rate": 3e-3},
    "lstmad": {"window": 12, "hidden": [12], "epochs": 15, "batch_size": 32, "learning_rate": 1e-2},
    "usad": {"window": 16, "hidden": [32, 16], "latent_dim": 4, "epochs": 15, "batch_size": 32, "learning_rate": 1e-2},
}
D = 3  # columns of the shared data


def sine(n: int, d: int = D, seed: int = 0, noise: float = 0.05) -> np.ndarray:
    t = np.arange(n)[:, None]
    return np.sin(2 * np.pi * t / 25 + np.arange(d)) + noise * np.random.default_rng(seed).normal(size=(n, d))


def with_anomalies(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A copy of ``x`` with anomalies inside the normal range, which only a model that learned the
    pattern flags (an untrained model, forecasting about 0, scores them *lower* than normal rows:
    ROC AUC about 0.1): a sign flip of rows 300-303 and a flat segment at 0 over rows 450-479."""
    y = x.copy()
    labels = np.zeros(len(x), bool)
    y[300:304] = -y[300:304]
    y[450:480] = 0.0
    labels[300:304] = labels[450:480] = True
    return y, labels


@pytest.fixture(scope="module")
def learned():
    train = sine(600)
    return {name: CLASSES[name](**LEARN[name]).fit(train) for name in NAMES}


# ------------------------------------------------------------------------------ parameters


@pytest.mark.parametrize("name", NAMES)
def test_packaged_config_builds_clones_and_round_trips_params(name):
    assert name in builtin_detectors()
    det = build_detector(name)
    assert isinstance(det, CLASSES[name]) and det.name == name
    params = det.get_params(deep=False)
    c = clone(det)
    assert type(c) is type(det) and c is not det and c.get_params(deep=False) == params
    assert CLASSES[name](**params).get_params(deep=False) == params
    c.set_params(window="auto", epochs=3)
    assert c.window == "auto" and c.epochs == 3 and det.window != "auto"
    assert build_detector(f"{name}@7").window == 7  # window variants by name


@pytest.mark.parametrize(("name", "params", "key"), [
    ("cnn", {"window": 0}, "detectors.cnn.window"),
    ("cnn", {"window": "often"}, "detectors.cnn.window"),
    ("cnn", {"channels": []}, "detectors.cnn.channels"),
    ("cnn", {"kernel_size": 0}, "detectors.cnn.kernel_size"),
    ("lstmad", {"hidden": [0]}, "detectors.lstmad.hidden"),
    ("lstmad", {"epochs": 0}, "detectors.lstmad.epochs"),
    ("lstmad", {"val_split": 1.0}, "detectors.lstmad.val_split"),
    ("usad", {"alpha": -1.0}, "detectors.usad.alpha"),
    ("usad", {"alpha": 0.0, "beta": 0.0}, "detectors.usad.alpha"),
    ("usad", {"latent_dim": 0}, "detectors.usad.latent_dim"),
    ("usad", {"train_kwargs": {"nonsense": 1}}, "detectors.usad.train_kwargs"),
])
def test_invalid_parameters_fail_with_one_line(name, params, key):
    det = CLASSES[name](**params)
    with pytest.raises(AnogenError) as err:
        det.fit(sine(100, d=1))
    msg = str(err.value)
    assert "\n" not in msg and key in msg


@pytest.mark.parametrize("name", NAMES)
def test_bad_lengths_fail_with_one_line(name):
    det = CLASSES[name](**{**LEARN[name], "window": 40})
    with pytest.raises(AnogenError, match="longer than every train segment"):
        det.fit(sine(60, d=1), segments=np.array([[0, 25], [25, 60]]))


# ------------------------------------------------------------------------------ learning and detection


@pytest.mark.parametrize("name", NAMES)
def test_injected_anomalies_score_clearly_higher(learned, name):
    det = learned[name]
    test, labels = with_anomalies(sine(600, seed=2))
    s = det.decision_function(test)
    assert s.shape == (600,) and np.all(np.isfinite(s))
    assert roc_auc_score(labels, s) > 0.9
    assert np.median(s[300:304]) > 10 * np.median(s[~labels])  # the sign flip stands out


@pytest.mark.parametrize("name", NAMES)
def test_the_model_learns_the_sine(learned, name):
    det = learned[name]
    clean = sine(400, seed=3)
    trained = det.decision_function(clean)
    untrained = clone(det)
    untrained.window_ = det.window_
    if name == "usad":
        untrained.data_min_, untrained.data_range_ = det.data_min_, det.data_range_
    untrained.model_ = untrained._build_model(D)  # the same model, not trained
    before = untrained._decision_function(clean)
    assert trained.mean() < 0.1 * before.mean()
    if name != "usad":  # a forecast error (scaled units): noise is 0.05 per row, so ~2 * 0.05^2
        assert trained.mean() < 0.02
    assert det.history_.train_loss[-1] < det.history_.train_loss[0]


def test_forecasters_first_rows_take_the_first_forecasts_error(learned):
    test, _ = with_anomalies(sine(600, seed=2))
    for name in ("cnn", "lstmad"):
        det = learned[name]
        s = det.decision_function(test)
        w = det.window_
        assert det.receptive_field_ == (w, w) and det._min_rows() == w + 1
        np.testing.assert_array_equal(s[:w], np.full(w, s[w]))
        with pytest.raises(AnogenError, match=f"need at least {w + 1}"):
            det.decision_function(test[:w])


# ------------------------------------------------------------------------------ determinism, shapes, locality


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_gives_identical_scores(learned, name):
    det = learned[name]
    x = sine(90, seed=4)
    s = det.decision_function(x)
    assert s.shape == (90,) and s.dtype == np.float64 and np.all(np.isfinite(s))
    assert det.decision_scores_.shape == (600,) and det.n_features_in_ == D
    again = clone(det).fit(sine(600))
    np.testing.assert_array_equal(again.decision_function(x), s)
    np.testing.assert_array_equal(again.decision_scores_, det.decision_scores_)
    other = clone(det).set_params(seed=1, epochs=2).fit(sine(600))
    assert not np.array_equal(other.decision_function(x), s)


@pytest.mark.parametrize("name", NAMES)
def test_receptive_field_makes_incremental_scoring_exact(learned, name):
    det = learned[name]
    w = det.window_
    assert det.receptive_field_ == ((w, w) if name != "usad" else (w - 1, w - 1))
    ref_x = sine(160, seed=5)
    ref = det.score_reference(ref_x)
    for rows in ([0], [80], [159], list(range(40, 47))):
        x = ref_x.copy()
        x[rows] += 2.0
        np.testing.assert_allclose(det.decision_function(x, reference=ref), det.decision_function(x),
                                   rtol=1e-5, atol=1e-7, err_msg=f"{name}: rows {rows}")
    # a sample of train scores equals those rows of the full scoring
    train = sine(600)
    sampled = clone(det).set_params(epochs=2).fit(train, train_scores=60)
    assert len(sampled.train_score_rows_) < 600
    np.testing.assert_allclose(sampled.decision_scores_, sampled.decision_function(train)[sampled.train_score_rows_],
                               rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", NAMES)
def test_checkpoint_records_the_model_config(learned, name, tmp_path):
    det = learned[name]
    save_checkpoint(tmp_path / "m.npz", det.model_, getattr(det, "checkpoint_meta_", {}))
    model, meta = load_checkpoint(tmp_path / "m.npz")
    if name == "usad":  # the min-max scaling the model needs travels with it
        np.testing.assert_allclose(meta["min_max_scaling"]["data_min"], det.data_min_)
    assert type(model) is type(det.model_) and model.get_config() == det.model_.get_config()
    det2 = clone(det)
    det2.__dict__.update({k: v for k, v in vars(det).items() if k.endswith("_")})
    det2.model_ = model
    x = sine(50, seed=6)
    np.testing.assert_allclose(det2.decision_function(x), det.decision_function(x), rtol=1e-6)


# ------------------------------------------------------------------------------ USAD's loss and the epoch


def test_usad_losses_follow_the_two_phases():
    x = jnp.zeros((2, 4))
    w1 = jnp.full((2, 4), 1.0)  # ||W - AE1(W)|| = 1
    w2 = jnp.full((2, 4), 2.0)  # ||W - AE2(W)|| = 4
    w3 = jnp.full((2, 4), 3.0)  # ||W - AE2(AE1(W))|| = 9
    l1, l2 = usad_losses(x, w1, w2, w3, 1)
    np.testing.assert_allclose(l1, [1.0, 1.0])  # epoch 1: plain reconstruction
    np.testing.assert_allclose(l2, [4.0, 4.0])
    l1, l2 = usad_losses(x, w1, w2, w3, 4)
    np.testing.assert_allclose(l1, [0.25 * 1 + 0.75 * 9] * 2)  # 1/n e1 + (1 - 1/n) e3
    np.testing.assert_allclose(l2, [0.25 * 4 - 0.75 * 9] * 2)  # 1/n e2 - (1 - 1/n) e3


def _grads(model, fn):
    graphdef, params = nnx.split(model, nnx.Param)
    return jax.jit(jax.grad(lambda p: fn(nnx.merge(graphdef, p))))(params)  # one compile, not one per op


def _reference_losses(m, x, n):
    """loss1 and loss2 written out from the paper, no stop-gradients."""
    flat = x.reshape(x.shape[0], -1)
    _, w2, _ = m(x)
    w1 = m.reconstruct(x).reshape(flat.shape)
    w3 = m(x)[2].reshape(flat.shape)
    return usad_losses(flat, w1, w2.reshape(flat.shape), w3, n)


@pytest.mark.parametrize("adversarial", [True, False])
def test_usad_training_gradient_is_each_phase_for_its_decoder(adversarial):
    m = USAD(2, 3, latent_dim=2, hidden=(5,), adversarial=adversarial, rngs=nnx.Rngs(0))
    x = jax.random.uniform(jax.random.key(1), (6, 3, 2))
    n = 3.0
    got = _grads(m, lambda mm: jnp.mean(mm.per_sample_loss(x, epoch=n)["loss"]))
    phase1 = _grads(m, lambda mm: jnp.mean(_reference_losses(mm, x, n)[0]))
    phase2 = _grads(m, lambda mm: jnp.mean(_reference_losses(mm, x, n)[1]))
    both = jax.tree.map(jnp.add, phase1, phase2)
    for part in ("decoder1", "decoder2", "encoder"):
        want = both[part] if not adversarial or part == "encoder" else (phase1 if part == "decoder1" else phase2)[part]
        for a, b in zip(jax.tree.leaves(got[part]), jax.tree.leaves(want), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6, err_msg=part)
    # the value is loss1 + loss2 either way
    l1, l2 = _reference_losses(m, x, n)
    np.testing.assert_allclose(m.per_sample_loss(x, epoch=n)["loss"], l1 + l2, rtol=1e-5)


def test_the_trainer_passes_the_epoch_only_to_models_that_use_it():
    assert float(_hyper(TrainConfig(progress=False), 0, 1.0).epoch) == 1.0
    assert float(_hyper(TrainConfig(progress=False), 4, 1.0).epoch) == 5.0
    x = jax.random.uniform(jax.random.key(0), (5, 4, 1))

    def run(model, epoch):
        graphdef, params = nnx.split(model, nnx.Param)
        f = jax.jit(lambda p, e: batch_loss(nnx.merge(graphdef, p), x, jax.random.key(0), epoch=e))
        return f(params, epoch)

    usad = USAD(1, 4, latent_dim=2, hidden=(3,), rngs=nnx.Rngs(0))
    (at1, _), (at5, aux) = run(usad, jnp.float32(1.0)), run(usad, jnp.float32(5.0))
    assert float(at1) != pytest.approx(float(at5)) and {"loss1", "loss2"} <= set(aux)
    monitored, aux = run(usad, None)  # no epoch: the epoch-free monitor
    assert float(monitored) == pytest.approx(0.5 * float(aux["recon"] + aux["recon2"]), rel=1e-5)
    lstm = LSTMForecaster(1, 3, hidden=(2,), rngs=nnx.Rngs(0))  # no epoch parameter: not passed
    run(lstm, jnp.float32(2.0))
    assert lstm.seq_len == 4 and lstm.get_config()["window"] == 3 and not hasattr(lstm, "uses_epoch")


# ------------------------------------------------------------------------------ through the evaluation API


def test_evaluate_detectors_runs_the_packaged_cnn(learned):
    import anogen

    test, labels = with_anomalies(sine(600, seed=8))
    # the packaged config with the module's small sizes (its shapes are compiled already)
    df = anogen.evaluate_detectors(sine(600), test, labels.astype(int),
                                   detectors={"cnn": build_detector("cnn", **LEARN["cnn"])})
    row = df.set_index("detector").loc["cnn"]
    assert not isinstance(row["error"], str) or not row["error"]
    assert row["vus_pr"] > 0.3
