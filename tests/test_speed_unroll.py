"""The training step unrolls the LSTM loops fully at large device batches (issue 14: LSTM-VAE
training per CPU second at batch 256) and not at small ones; results agree to float rounding. The
LSTM models ask for it (``step_context``); the trainer only enters the context a model gives."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from anogen.models import LSTMAE, LSTMVAE
from anogen.models.vae import UNROLL_MIN_BATCH
from anogen.train import TrainConfig
from anogen.train.optim import optimizer_spec, shared_optimizer
from anogen.train.step import Hyper, TrainState, train_step

L = 5


def _scan_unrolls(jaxpr) -> list:
    out = []
    for eqn in jaxpr.eqns:
        if eqn.primitive.name == "scan":
            out.append(eqn.params["unroll"])
        for sub in jax.core.jaxprs_in_params(eqn.params):
            out += _scan_unrolls(sub)
    return out


def _step_args(batch: int, unroll: int = 1, ae: bool = False):
    model = (LSTMAE(2, L, latent_dim=2, hidden=(4,), unroll=unroll, rngs=nnx.Rngs(0)) if ae else
             LSTMVAE(2, L, latent_dim=2, hidden=(4,), dense=3, unroll=unroll, rngs=nnx.Rngs(0)))
    state = TrainState.create(model, shared_optimizer(optimizer_spec(TrainConfig())))
    x = jnp.asarray(np.sin(np.arange(batch * L * 2, dtype=np.float32) / 7).reshape(batch, L, 2))
    return state, (x, jnp.ones(batch)), jax.random.key(0), Hyper.of(1e-3, 0.0, 1.0, 1.0)


@pytest.mark.parametrize("ae", [False, True], ids=["lstm_vae", "lstm_ae"])
@pytest.mark.parametrize("batch, unrolled", [(16, False), (UNROLL_MIN_BATCH, True)])
def test_training_step_unrolls_the_lstm_loops_only_at_large_batches(batch, unrolled, ae):
    unrolls = _scan_unrolls(jax.make_jaxpr(train_step)(*_step_args(batch, ae=ae)).jaxpr)
    lstm = [u for u in unrolls if u in (1, L)]
    assert lstm and all(u == (L if unrolled else 1) for u in lstm), unrolls


def test_an_explicit_unroll_is_kept_and_scoring_is_not_unrolled():
    state, (x, _), _, _ = _step_args(UNROLL_MIN_BATCH, unroll=2)
    assert set(_scan_unrolls(jax.make_jaxpr(train_step)(*_step_args(UNROLL_MIN_BATCH, unroll=2)).jaxpr)) >= {2}
    model = state.model()
    plain = _scan_unrolls(jax.make_jaxpr(model.reconstruct)(x).jaxpr)  # outside the trainer: the model's own
    assert 2 in plain and L not in plain


def test_unrolled_step_agrees_with_the_loop_to_float_rounding(monkeypatch):
    from anogen.models import vae as mod

    args = _step_args(UNROLL_MIN_BATCH)
    unrolled, m1 = jax.jit(train_step)(*args)
    monkeypatch.setattr(mod, "UNROLL_MIN_BATCH", 10**9)  # what the step did before
    looped, m2 = jax.jit(lambda *a: train_step(*a))(*args)
    np.testing.assert_allclose(float(m1["loss"]), float(m2["loss"]), rtol=1e-6)
    for a, b in zip(jax.tree.leaves(unrolled.params), jax.tree.leaves(looped.params), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-7)
