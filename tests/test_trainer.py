"""Trainer, batched inference helpers and checkpoints (tiny models, few epochs)."""

from __future__ import annotations

import dataclasses
import os

import jax
import numpy as np
import pytest
from flax import nnx

from anogen.models import LSTMAE, LSTMVAE, MLPVAE
from anogen.train import (
    CheckpointError,
    TrainConfig,
    decode,
    encode,
    evaluate,
    fit,
    load_checkpoint,
    reconstruction_error,
    save_checkpoint,
    window_starts,
)
from anogen.train import trainer as tr
from anogen.types import AnogenError

L, D = 4, 2
N = 120


def series(n: int = N, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)[:, None]
    x = np.sin(t * np.array([[0.3, 0.7]])) + 0.05 * rng.normal(size=(n, D))
    return x.astype(np.float32)


def tiny_ae(seed: int = 0) -> LSTMAE:
    return LSTMAE(D, L, latent_dim=2, hidden=(6,), rngs=nnx.Rngs(seed))


def tiny_vae(seed: int = 0) -> LSTMVAE:
    return LSTMVAE(D, L, latent_dim=2, hidden=(6,), dense=4, rngs=nnx.Rngs(seed))


CFG = TrainConfig(epochs=4, batch_size=16, learning_rate=1e-2, val_split=0.2, patience=0, progress=False)
#: training segments; the rows in the gap [50, 60) are poisoned in the training data
SEGS = np.array([[0, 50], [60, N]])


@pytest.fixture(scope="module")
def clean() -> np.ndarray:
    return series()


@pytest.fixture(scope="module")
def data(clean) -> np.ndarray:
    """Training data with rows 50..59 at 1e20: any window touching them would make the loss inf."""
    bad = clean.copy()
    bad[50:60] = 1e20
    return bad


@pytest.fixture(scope="module")
def trained_vae(data):
    model, hist = fit(tiny_vae(), data, config=CFG, seed=0, window=L, segments=SEGS)
    return model, hist


# ---------------------------------------------------------------------------- windows


def test_window_starts_never_cross_segments():
    segs = np.array([[0, 10], [12, 15], [15, 30], [40, 43]])
    starts = window_starts(50, 4, segs)
    assert starts.dtype == np.int32
    for s in starts:
        assert any(a <= s and s + 4 <= b for a, b in segs), s
    # every window that fits is there: 7 + 0 + 12 + 0
    assert len(starts) == 7 + 12
    np.testing.assert_array_equal(window_starts(6, 4), [0, 1, 2])


@pytest.mark.parametrize(
    "segments, match",
    [
        (np.array([[0, 5], [3, 2]]), r"segments\[1\]"),
        (np.array([[0, 60]]), r"segments\[0\]"),
        (np.array([0, 5]), "expected \\(k, 2\\)"),
        (np.array([[0.0, 5.0]]), "integer"),
        (np.array([[0, 3], [5, 7]]), "window=4 is longer"),
    ],
)
def test_window_starts_bad_segments(segments, match):
    with pytest.raises(AnogenError, match=match):
        window_starts(50, 4, segments)


def test_validation_windows_share_no_rows_with_training_windows():
    starts = window_starts(100, 5, np.array([[0, 60], [60, 100]]))
    train, val = tr._split_samples(starts, 0.3, 5, 100)
    val_rows = set((val[:, None] + np.arange(5)).ravel().tolist())
    train_rows = set((train[:, None] + np.arange(5)).ravel().tolist())
    assert not val_rows & train_rows
    assert train.max() < val.min()  # chronological hold-out
    assert len(val) == round(0.3 * len(starts))


def test_epoch_plan_uses_every_sample_once_and_masks_padding():
    graphdef, _, _ = nnx.split(tiny_ae(), nnx.Param, ...)
    plan, _, _ = tr._train_fns(graphdef, tr._optimizer_spec(CFG), 16, L)
    idx, w = plan(np.zeros(37, np.int32), jax.random.key(0))
    idx, w = np.asarray(idx), np.asarray(w)
    assert idx.shape == w.shape == (3, 16)
    assert sorted(idx.ravel()[w.ravel() == 1].tolist()) == list(range(37))
    assert w.sum() == 37
    idx2, _ = plan(np.zeros(37, np.int32), jax.random.key(1))
    assert not np.array_equal(idx, np.asarray(idx2))  # reshuffled per epoch key


def test_gather_builds_windows_from_start_rows():
    data = np.arange(20, dtype=np.float32).reshape(10, 2)
    out = np.asarray(tr._gather(jax.numpy.asarray(data), jax.numpy.asarray([0, 3], dtype=np.int32), 3))
    np.testing.assert_array_equal(out[1], data[3:6])


# ---------------------------------------------------------------------------- fit


def test_fit_reduces_loss_and_restores_best(trained_vae):
    """Also: only windows inside SEGS are used (the poisoned gap would give an infinite loss)."""
    model, hist = trained_vae
    assert np.isfinite(hist.train_loss).all() and np.isfinite(hist.val_loss).all()
    assert hist.epochs_run == 4 and hist.stopped == "max_epochs"
    assert len(hist.train_loss) == len(hist.val_loss) == len(hist.recon) == 4
    assert hist.train_loss[-1] < hist.train_loss[0]
    assert hist.val_loss[-1] < hist.val_loss[0]
    assert hist.best_epoch == int(np.argmin(hist.val_loss))
    assert hist.seconds > 0


def test_fit_is_deterministic_per_seed(data, trained_vae):
    _, hist = trained_vae
    _, again = fit(tiny_vae(), data, config=CFG, seed=0, window=L, segments=SEGS)
    assert again.train_loss == hist.train_loss and again.val_loss == hist.val_loss
    _, other = fit(tiny_vae(), data, config=CFG, seed=1, window=L, segments=SEGS)
    assert other.train_loss != hist.train_loss


@pytest.mark.slow
def test_stepwise_epochs_match_scanned_epochs(data, trained_vae):
    _, hist = trained_vae
    cfg = dataclasses.replace(CFG, epochs=2, scan_epochs=False)
    _, step_hist = fit(tiny_vae(), data, config=cfg, seed=0, window=L, segments=SEGS)
    np.testing.assert_allclose(step_hist.train_loss, hist.train_loss[:2], rtol=1e-4)


def test_early_stopping_triggers(data):
    # a learning rate too small to change float32 weights: no epoch improves on the first one
    cfg = dataclasses.replace(CFG, epochs=20, learning_rate=1e-12, patience=2)
    _, hist = fit(tiny_vae(), data, config=cfg, seed=0, window=L, segments=SEGS)
    assert hist.stopped == "early_stopping"
    assert hist.epochs_run == 3 and hist.best_epoch == 0


def test_epsilon_stop_triggers(data):
    cfg = dataclasses.replace(CFG, epochs=20, epsilon=1e6)
    _, hist = fit(tiny_vae(), data, config=cfg, seed=0, window=L, segments=SEGS)
    assert hist.stopped == "epsilon" and hist.epochs_run == 1


def test_fit_rows_model_with_kl_warmup_and_no_validation():
    rng = np.random.default_rng(0)
    rows = rng.uniform(size=(50, 3)).astype(np.float32)
    cfg = TrainConfig(epochs=3, batch_size=16, val_split=0.0, kl_warmup_epochs=2, progress=False)
    model, hist = fit(MLPVAE(3, rngs=nnx.Rngs(0)), rows, config=cfg, seed=0)
    assert hist.val_loss == [] and len(hist.train_loss) == 3
    assert all(np.isfinite(hist.train_loss))
    assert reconstruction_error(model, rows).shape == (50,)


def test_diverging_first_epoch_raises(clean):
    with pytest.raises(AnogenError, match="diverged"):
        fit(tiny_vae(), clean * 1e20, config=dataclasses.replace(CFG, epochs=1), seed=0, window=L, segments=SEGS)


@pytest.mark.parametrize(
    "change, match",
    [
        ({"optimizer": "adamm"}, "train.optimizer"),
        ({"epochs": 0}, "train.epochs"),
        ({"batch_size": 2.5}, "train.batch_size"),
        ({"val_split": 1.0}, "train.val_split"),
        ({"learning_rate": -1.0}, "train.learning_rate"),
        ({"grad_clip": 0.0}, "train.grad_clip"),
        ({"recon_weight": float("nan")}, "train.recon_weight"),
    ],
)
def test_bad_config_is_rejected(change, match):
    with pytest.raises(AnogenError, match=match):
        dataclasses.replace(CFG, **change).validate()


def test_optimizer_options_build():
    for cfg in (
        dataclasses.replace(CFG, optimizer="adamw", weight_decay=1e-4),
        dataclasses.replace(CFG, optimizer="sgd", weight_decay=1e-4, grad_clip=1.0),
        dataclasses.replace(CFG, optimizer="rmsprop"),
    ):
        tx = tr.make_optimizer(cfg)
        assert hasattr(tx, "init") and hasattr(tx, "update")


@pytest.mark.parametrize(
    "arr, kwargs, match",
    [
        (np.full((N, D), np.nan, np.float32), {"window": L}, "NaN"),
        (np.zeros((N, 3), np.float32), {"window": L}, "n_features=2"),
        (np.zeros((N, D), np.float32), {"window": L + 1}, "seq_len"),
        (np.zeros((N,), np.float32), {"window": L}, "2-D"),
        (np.zeros((N, D), np.float32), {"window": L, "segments": np.array([[0, 2]])}, "longer"),
    ],
)
def test_bad_data_is_rejected(arr, kwargs, match):
    with pytest.raises(AnogenError, match=match):
        fit(tiny_vae(), arr, config=CFG, seed=0, **kwargs)


# ---------------------------------------------------------------------------- inference


def test_encode_decode_shapes_and_batching(trained_vae, clean):
    data = clean
    model, _ = trained_vae
    mu, logvar = encode(model, data, window=L)
    assert mu.shape == logvar.shape == (N - L + 1, 2)
    mu_small, _ = encode(model, data, window=L, batch_size=7)
    np.testing.assert_allclose(mu_small, mu, rtol=1e-5, atol=1e-6)
    windows = np.stack([data[i : i + L] for i in range(5)])
    mu_w, _ = encode(model, windows)
    np.testing.assert_allclose(mu_w, mu[:5], rtol=1e-5, atol=1e-6)
    out = decode(model, mu[:9], batch_size=4)
    assert out.shape == (9, L, D) and out.dtype == np.float32


def test_evaluate_matches_validation_history(trained_vae, data):
    """evaluate() on the validation windows reproduces the trainer's monitored recon MSE."""
    model, hist = trained_vae
    starts = window_starts(N, L, SEGS)
    _, val = tr._split_samples(starts, CFG.val_split, L, N)
    res = evaluate(model, data, window=L, segments=np.array([[val[0], val[-1] + L]]))
    assert res["n"] == len(val)
    np.testing.assert_allclose(res["recon"], hist.recon[hist.best_epoch], rtol=1e-4)
    assert np.isfinite(res["loss"]) and res["loss"] > 0


def test_reconstruction_error_averages_covering_windows(trained_vae, clean):
    data = clean
    model, _ = trained_vae
    segs = np.array([[0, 40], [42, 44], [50, N]])  # [42, 44) is shorter than the window
    err = reconstruction_error(model, data, window=L, segments=segs, batch_size=8)
    assert err.shape == (N,)
    # reference: explicit loop over windows
    starts = window_starts(N, L, segs)
    windows = np.stack([data[s : s + L] for s in starts])
    rec = np.asarray(jax.jit(lambda x: model.reconstruct(x))(windows))
    per_step = ((windows - rec) ** 2).mean(axis=2)
    sums, counts = np.zeros(N), np.zeros(N)
    for s, e in zip(starts, per_step, strict=True):
        sums[s : s + L] += e
        counts[s : s + L] += 1
    covered = counts > 0
    np.testing.assert_allclose(err[covered], sums[covered] / counts[covered], rtol=1e-4, atol=1e-7)
    # uncovered steps take the nearest covered value (ties -> earlier)
    assert err[40] == err[39] and err[41] == err[39] and err[42] == err[39]
    assert err[44] == err[39] and err[45] == err[50] and err[47] == err[50]


# ---------------------------------------------------------------------------- checkpoints


def test_checkpoint_round_trip_gives_identical_outputs(trained_vae, clean, tmp_path):
    data = clean
    model, hist = trained_vae
    meta = {"columns": ["a", "b"], "history": dataclasses.asdict(hist)}
    path = tmp_path / "run" / "model.npz"
    save_checkpoint(path, model, meta)
    assert sorted(os.listdir(path.parent)) == ["model.npz"]  # no temp file left behind
    loaded, meta2 = load_checkpoint(path)
    assert type(loaded) is LSTMVAE and meta2 == meta
    np.testing.assert_array_equal(encode(loaded, data, window=L)[0], encode(model, data, window=L)[0])
    np.testing.assert_array_equal(
        reconstruction_error(loaded, data, window=L), reconstruction_error(model, data, window=L)
    )
    loaded_dir, _ = load_checkpoint(path.parent)  # a directory means <dir>/model.npz
    assert type(loaded_dir) is LSTMVAE


def test_checkpoint_of_every_model_kind(tmp_path):
    for model in (tiny_ae(), MLPVAE(3, hidden=6, likelihood="gaussian", rngs=nnx.Rngs(0))):
        save_checkpoint(tmp_path, model, {})
        loaded, _ = load_checkpoint(tmp_path)
        assert loaded.get_config() == model.get_config()
        for a, b in zip(jax.tree.leaves(nnx.state(loaded)), jax.tree.leaves(nnx.state(model)), strict=True):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_corrupt_checkpoints_raise_checkpoint_error(trained_vae, tmp_path):
    model, _ = trained_vae
    good = tmp_path / "good.npz"
    save_checkpoint(good, model, {})
    raw = good.read_bytes()
    (tmp_path / "truncated.npz").write_bytes(raw[: len(raw) // 2])
    (tmp_path / "garbage.npz").write_bytes(b"not a checkpoint at all")
    np.savez(tmp_path / "foreign.npz", x=np.zeros(3))
    with np.load(good) as npz:
        arrays = dict(npz)
    arrays["param/out/kernel"] = np.zeros((3, 3), np.float32)
    np.savez(tmp_path / "wrong_shape.npz", **arrays)
    for name in ("truncated", "garbage", "foreign", "wrong_shape", "missing"):
        with pytest.raises(CheckpointError):
            load_checkpoint(tmp_path / f"{name}.npz")
    assert issubclass(CheckpointError, AnogenError)


def test_checkpoint_meta_must_be_json(tmp_path):
    with pytest.raises(CheckpointError, match="JSON"):
        save_checkpoint(tmp_path / "x.npz", tiny_ae(), {"bad": object()})
    assert not any(tmp_path.iterdir())
