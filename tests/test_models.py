"""Models: shapes, the LSTM layer against flax's reference cell, losses, argument checks."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from anogen.models import LSTM, LSTMAE, LSTMVAE, MLPVAE, get_model_class, loss, recon_error
from anogen.models.vae import kl_divergence, reparameterise
from anogen.types import AnogenError

B, L, D = 5, 4, 3


def tiny_vae(**kw) -> LSTMVAE:
    return LSTMVAE(D, L, latent_dim=2, hidden=(8, 4), dense=4, rngs=nnx.Rngs(0), **kw)


@functools.cache
def _jitted(graphdef, method: str, static: tuple):
    return jax.jit(lambda st, *a: getattr(nnx.merge(graphdef, st), method)(*a, **dict(static)))


def jcall(model, method: str, *args, **static):
    """``model.method(*args, **static)`` under one cached ``jax.jit`` (compiles once per structure)."""
    graphdef, state = nnx.split(model)
    return _jitted(graphdef, method, tuple(sorted(static.items())))(state, *args)


def windows(seed: int = 0) -> jax.Array:
    return jnp.asarray(np.random.default_rng(seed).normal(size=(B, L, D)).astype(np.float32))


# ---------------------------------------------------------------------------- LSTM layer


def test_lstm_matches_flax_optimized_cell():
    """Same weights -> same hidden states as nnx.RNN(nnx.OptimizedLSTMCell)."""
    ours = LSTM(3, 6, rngs=nnx.Rngs(1))
    cell = nnx.OptimizedLSTMCell(3, 6, rngs=nnx.Rngs(2))
    cell.dense_i.kernel[...] = ours.kernel_i[...]
    cell.dense_h.kernel[...] = ours.kernel_h[...]
    cell.dense_h.bias[...] = ours.bias[...]
    x = jnp.asarray(np.random.default_rng(0).normal(size=(7, 2, 3)).astype(np.float32))  # (L, B, in)
    rnn = nnx.RNN(cell, time_major=True, rngs=False)

    @nnx.jit
    def both(rnn, ours, x):
        zeros = jnp.zeros((2, 6))
        return rnn(x, initial_carry=(zeros, zeros)), ours(x)

    ref, (hs, last) = both(rnn, ours, x)
    np.testing.assert_allclose(np.asarray(hs), np.asarray(ref), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(last), np.asarray(ref[-1]), rtol=1e-5, atol=1e-6)


def test_lstm_repeated_equals_broadcast_sequence():
    layer = LSTM(3, 5, rngs=nnx.Rngs(0))
    x = jnp.asarray(np.random.default_rng(1).normal(size=(2, 3)).astype(np.float32))
    seq, _ = jcall(layer, "__call__", jnp.broadcast_to(x, (6, 2, 3)))
    np.testing.assert_allclose(np.asarray(jcall(layer, "repeated", x, length=6)), np.asarray(seq), rtol=1e-5, atol=1e-6)


def test_lstm_unroll_changes_nothing_but_speed():
    a = LSTM(3, 5, rngs=nnx.Rngs(0))
    b = LSTM(3, 5, unroll=3, rngs=nnx.Rngs(0))
    x = jnp.ones((7, 2, 3))
    ha, hb = jcall(a, "__call__", x)[0], jcall(b, "__call__", x)[0]
    np.testing.assert_allclose(np.asarray(ha), np.asarray(hb), rtol=1e-5, atol=1e-6)


def test_forget_bias_starts_at_one():
    layer = LSTM(2, 4, rngs=nnx.Rngs(0))
    np.testing.assert_array_equal(np.asarray(layer.bias[...]), np.r_[np.zeros(4), np.ones(4), np.zeros(8)])


# ---------------------------------------------------------------------------- shapes


def test_lstm_vae_shapes_and_kind():
    m = tiny_vae()
    assert m.kind == "window"
    x = windows()
    x_hat, mu, logvar = jcall(m, "__call__", x, jax.random.key(0))
    assert x_hat.shape == (B, L, D)
    assert mu.shape == logvar.shape == (B, 2)
    enc = jax.eval_shape(m.encode, x)
    assert enc[0].shape == enc[1].shape == (B, 2)
    assert jax.eval_shape(m.decode, mu).shape == (B, L, D)
    assert jax.eval_shape(lambda x: recon_error(m, x), x).shape == (B, L)


def test_lstm_vae_seed_default_sizes():
    m = nnx.eval_shape(lambda: LSTMVAE(2, 10, rngs=nnx.Rngs(0)))
    assert (m.latent_dim, m.hidden, m.dense) == (8, (64, 32), 32)
    assert m.enc_lstm[0].kernel_h.shape == (64, 256)
    assert m.dec_lstm[1].kernel_h.shape == (64, 256)
    assert m.out.kernel.shape == (64, 2)
    assert m.default_recon_weight == 1000.0  # 100 * L


def test_lstm_vae_sampling_uses_the_key():
    m = tiny_vae()
    x = windows()
    a = jcall(m, "__call__", x, jax.random.key(0))[0]
    b = jcall(m, "__call__", x, jax.random.key(0))[0]
    c = jcall(m, "__call__", x, jax.random.key(1))[0]
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert not np.allclose(np.asarray(a), np.asarray(c))


def test_mlp_vae_shapes_bernoulli_range_and_dropout():
    m = MLPVAE(D, likelihood="bernoulli", rngs=nnx.Rngs(0))
    assert m.kind == "row"
    assert [layer.kernel[...].shape[1] for layer in m.enc] == [12, 10, 8]
    x = jnp.asarray(np.random.default_rng(0).uniform(size=(B, D)).astype(np.float32))
    graphdef, state = nnx.split(m)

    @jax.jit
    def run(st, x, k):
        mm = nnx.merge(graphdef, st)
        mu, logvar = mm.encode(x)
        far = mm.decode(jnp.full((4, 2), 50.0))
        return mu, logvar, far, mm(x, k, train=True)[0], mm(x, k, train=False)[0], recon_error(mm, x)

    mu, logvar, out, train_out, eval_out, err = run(state, x, jax.random.key(3))
    assert mu.shape == logvar.shape == (B, 2)
    assert out.shape == (4, D) and bool(jnp.all((out >= 0) & (out <= 1)))
    assert not np.allclose(np.asarray(train_out), np.asarray(eval_out))  # dropout active
    assert err.shape == (B,)


def test_mlp_vae_gaussian_decoder_is_unbounded():
    m = MLPVAE(D, likelihood="gaussian", rngs=nnx.Rngs(0))
    out = np.asarray(jcall(m, "decode", jnp.full((64, 2), 30.0) * jnp.linspace(-1, 1, 64)[:, None]))
    assert out.min() < 0 or out.max() > 1


def test_lstm_ae_shapes():
    m = LSTMAE(D, L, latent_dim=3, hidden=(6, 4), rngs=nnx.Rngs(0))
    assert m.kind == "window"
    x = windows()
    z = jcall(m, "encode", x)
    assert z.shape == (B, 3) and bool(jnp.all(jnp.abs(z) < 1))
    assert jax.eval_shape(m.decode, z).shape == (B, L, D)
    assert jax.eval_shape(m, x, jax.random.key(5)).shape == (B, L, D)


# ---------------------------------------------------------------------------- losses


def test_kl_and_reparameterise():
    mu = jnp.zeros((3, 4))
    np.testing.assert_allclose(np.asarray(kl_divergence(mu, mu)), 0.0, atol=1e-7)
    kl = kl_divergence(jnp.ones((1, 2)), jnp.zeros((1, 2)))
    np.testing.assert_allclose(np.asarray(kl), [1.0], rtol=1e-6)  # 0.5 * sum(mu^2)
    z = reparameterise(jnp.full((10000, 1), 2.0), jnp.full((10000, 1), np.log(0.25)), jax.random.key(0))
    assert abs(float(z.mean()) - 2.0) < 0.02 and abs(float(z.std()) - 0.5) < 0.02


def test_lstm_vae_loss_is_weighted_sum():
    m = tiny_vae()
    x = windows()
    k = jax.random.key(0)
    t = jcall(m, "per_sample_loss", x, k)
    x_hat, mu, logvar = jcall(m, "__call__", x, k)
    mse = np.mean((np.asarray(x) - np.asarray(x_hat)) ** 2, axis=(1, 2))
    np.testing.assert_allclose(np.asarray(t["recon"]), mse, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(t["loss"]), 100 * L * mse + np.asarray(t["kl"]), rtol=1e-5)
    t2 = jcall(m, "per_sample_loss", x, k, recon_weight=2.0, beta=0.0)
    np.testing.assert_allclose(np.asarray(t2["loss"]), 2.0 * mse, rtol=1e-5)


def test_mlp_vae_bernoulli_nll():
    m = MLPVAE(D, dropout=0.0, likelihood="bernoulli", rngs=nnx.Rngs(0))
    x = jnp.asarray(np.random.default_rng(0).uniform(size=(B, D)).astype(np.float32))
    k = jax.random.key(0)
    t = jcall(m, "per_sample_loss", x, k, beta=0.0)
    p, _, _ = jcall(m, "__call__", x, k)
    p = np.asarray(p, np.float64)
    xn = np.asarray(x, np.float64)
    bce = -np.sum(xn * np.log(p) + (1 - xn) * np.log(1 - p), axis=1)
    np.testing.assert_allclose(np.asarray(t["loss"]), bce, rtol=1e-4)


def test_loss_weights_mask_samples():
    m = LSTMAE(D, L, latent_dim=3, hidden=(6, 4), rngs=nnx.Rngs(0))
    x = windows()
    k = jax.random.key(0)
    w = jnp.array([1.0, 1.0, 0.0, 1.0, 0.0])
    graphdef, state = nnx.split(m)
    f = jax.jit(lambda st, x, w: loss(nnx.merge(graphdef, st), x, k, weights=w))
    full, _ = f(state, x[jnp.array([0, 1, 3])], None)
    masked, aux = f(state, x, w)
    np.testing.assert_allclose(float(masked), float(full), rtol=1e-5)
    assert set(aux) >= {"loss", "recon"}


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: LSTMVAE(2, 10, latent_dim=0, rngs=nnx.Rngs(0)), r"^model\.latent_dim: must be > 0, got 0$"),
        (lambda: LSTMVAE(2, 10, hidden=(), rngs=nnx.Rngs(0)), r"^model\.hidden: .*at least 1 item"),
        (lambda: LSTMVAE(2, 0, rngs=nnx.Rngs(0)), r"^model\.seq_len: must be > 0"),
        (lambda: LSTMVAE(2, 10, unroll=0, rngs=nnx.Rngs(0)), r"^model\.unroll: must be > 0"),
        (lambda: LSTMVAE(2, 10, dense=2.5, rngs=nnx.Rngs(0)), r"^model\.dense: "),
        (lambda: MLPVAE(2, hidden=4, rngs=nnx.Rngs(0)), r"^model\.hidden: must be >= 5, got 4$"),
        (lambda: MLPVAE(2, dropout=1.0, rngs=nnx.Rngs(0)), r"^model\.dropout: must be >= 0 and < 1"),
        (lambda: MLPVAE(2, likelihood="poisson", rngs=nnx.Rngs(0)), r"^model\.likelihood: must be 'bernoulli' or 'gau"),
        (lambda: LSTMAE(2, 10, hidden=(8, -1), rngs=nnx.Rngs(0)), r"^model\.hidden\.1: must be > 0, got -1$"),
        (lambda: LSTM(3, 0, rngs=nnx.Rngs(0)), r"^LSTM\.hidden_features: must be > 0"),
        (lambda: get_model_class("GAN"), "GAN"),
    ],
)
def test_bad_arguments_raise_one_line_naming_the_key(build, match):
    with pytest.raises(AnogenError, match=match):
        build()


def test_config_build_checks_model_params_before_construction_and_coerces():
    from anogen.config import build

    node = {"_target_": "anogen.models.LSTMAE", "seq_len": 4, "latent_dim": 0, "hidden": [4]}
    with pytest.raises(AnogenError, match=r"^model\.latent_dim: must be > 0, got 0$"):
        build(node, "model", n_features=2, rngs=nnx.Rngs(0))
    m = build({**node, "latent_dim": "3", "hidden": [4, 2]}, "model", n_features=2, rngs=nnx.Rngs(0))
    assert m.latent_dim == 3 and m.hidden == (4, 2)  # list -> tuple, "3" -> 3
    assert m.get_config()["hidden"] == [4, 2]


def test_graphdef_is_hashable_for_compile_cache():
    """Same architecture -> equal, hashable graphdefs (the trainer caches compiled steps on them)."""
    for m in (tiny_vae(), MLPVAE(D, rngs=nnx.Rngs(0)), LSTMAE(D, L, hidden=(4,), rngs=nnx.Rngs(0))):
        kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in m.get_config().items()}
        other = type(m)(**kwargs, rngs=nnx.Rngs(1))
        g1, _ = nnx.split(m)
        g2, _ = nnx.split(other)
        assert hash(g1) == hash(g2) and g1 == g2


# ---------------------------------------------------------------------------- likelihoods, free bits


def test_gaussian_nll_is_the_normal_log_density():
    from scipy.stats import norm

    from anogen.models.losses import SIGMA_FLOOR, gaussian_nll

    rng = np.random.default_rng(0)
    x, m = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    ls = np.log(np.array([0.5, 1.0, 2.0]))
    got = np.asarray(gaussian_nll(jnp.asarray(x), jnp.asarray(m), jnp.asarray(ls), (1,)))
    np.testing.assert_allclose(got, -norm.logpdf(x, m, np.exp(ls)).sum(axis=1), rtol=1e-5)
    tiny = np.asarray(gaussian_nll(jnp.asarray(x), jnp.asarray(m), -50.0, (1,)))  # floored std, finite
    np.testing.assert_allclose(tiny, -norm.logpdf(x, m, SIGMA_FLOOR).sum(axis=1), rtol=1e-5)


def test_learned_and_fixed_observation_noise():
    from anogen.models.vae import observation_sigma

    learned = MLPVAE(D, rngs=nnx.Rngs(0))
    assert learned.likelihood == "gaussian" and learned.log_sigma[...].shape == (D,)
    np.testing.assert_allclose(observation_sigma(learned), 0.1)  # starts at sigma_init
    fixed = MLPVAE(D, sigma=0.5, dropout=0.0, rngs=nnx.Rngs(0))
    assert fixed.log_sigma is None
    np.testing.assert_allclose(observation_sigma(fixed), 0.5)
    x = jnp.asarray(np.random.default_rng(0).normal(size=(B, D)).astype(np.float32))
    t = jcall(fixed, "per_sample_loss", x, jax.random.key(0), beta=0.0)
    np.testing.assert_allclose(np.asarray(t["loss"]), np.asarray(t["nll"]), rtol=1e-6)
    seq = LSTMVAE(D, L, latent_dim=2, hidden=(4,), dense=4, likelihood="gaussian", rngs=nnx.Rngs(0))
    assert seq.default_recon_weight == 1.0 and seq.get_config()["sigma_init"] == 1.0
    np.testing.assert_allclose(observation_sigma(seq), 1.0)
    again = LSTMVAE(**{**seq.get_config(), "hidden": tuple(seq.get_config()["hidden"])}, rngs=nnx.Rngs(1))
    assert nnx.split(again)[0] == nnx.split(seq)[0]  # the config rebuilds the same structure


def test_kl_per_dimension_and_free_bits():
    m = tiny_vae()
    x = windows()
    k = jax.random.key(0)
    t = jcall(m, "per_sample_loss", x, k)
    assert t["kl_dims"].shape == (B, 2)
    np.testing.assert_allclose(np.asarray(t["kl_dims"].sum(axis=1)), np.asarray(t["kl"]), rtol=1e-5)
    graphdef, state = nnx.split(m)
    f = jax.jit(lambda st, fb: loss(nnx.merge(graphdef, st), x, k, beta=2.0, free_bits=fb))
    plain, aux = f(state, 0.0)
    np.testing.assert_allclose(float(plain), float(np.mean(np.asarray(t["loss"]))), rtol=1e-5)
    floor = 50.0  # above every dimension's KL: each counts as 50 nats
    floored, _ = f(state, floor)
    want = float(plain) + 2.0 * (2 * floor - float(aux["kl"]))
    np.testing.assert_allclose(float(floored), want, rtol=1e-5)


def test_bad_observation_noise_is_one_line():
    with pytest.raises(AnogenError, match=r"^model\.sigma: "):
        MLPVAE(2, sigma=0.0, rngs=nnx.Rngs(0))
    with pytest.raises(AnogenError, match=r"^model\.sigma_init: must be > 0"):
        LSTMVAE(2, 4, likelihood="gaussian", sigma_init=-1.0, rngs=nnx.Rngs(0))
