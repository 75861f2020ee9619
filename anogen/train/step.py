"""The train state, the pure train step, and a whole epoch as one ``lax.scan`` in one ``jax.jit`` call.

The model is split once with ``nnx.split(model, nnx.Param, ...)``; :class:`TrainState` carries the
parameters, the optimizer state and the other model state as pytree leaves, and the graph
definition and the optimizer as static fields. ``jax.jit`` therefore caches one compiled program
per (model structure, optimizer structure, batch size, window, data shape), and
:func:`train_step` merges the graph *inside* the trace (plain ``nnx.jit`` re-walks the object
graph on every call, which costs several times the step itself on models this small).

Run-time values (:class:`Hyper`: learning rate, weight decay, KL weight ``beta``, reconstruction
weight, free bits, the epoch number) are traced arguments, so a sweep over them, the KL warm-up, or a
loss that changes with the epoch (USAD's ``1/n`` weights), never recompiles.

The model says how its training step is traced: inside ``model.step_context(batch_size)`` when it
has one (:func:`model_step_context`; the LSTM models unroll their loops fully at large batches), so
the trainer knows nothing of a particular model.

Keys: epoch ``e`` of a fit uses ``fold_in(key, e)``; inside it the permutation uses
``fold_in(epoch_key, 0)`` and step ``i`` ``fold_in(fold_in(epoch_key, 1), i)``.
"""

from __future__ import annotations

import contextlib
import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx, struct

from anogen.models.losses import loss as batch_loss
from anogen.train.optim import set_hyperparams
from anogen.train.samples import gather, to_device

__all__ = ["Hyper", "TrainState", "epoch_plan", "model_step_context", "train_epoch", "train_step"]


def model_step_context(model: Any, batch_size: int) -> contextlib.AbstractContextManager:
    """The context a training step of ``batch_size`` samples (one device's part of a batch) traces
    ``model`` in: ``model.step_context(batch_size)`` (e.g. the LSTM models' fully unrolled loops at
    large batches, :func:`anogen.models.vae.lstm_step_context`), or none for a model without it."""
    own = getattr(model, "step_context", None)
    return contextlib.nullcontext() if own is None else own(batch_size)


class TrainState(struct.PyTreeNode):
    """Everything a train step reads and updates.

    Attributes:
        params: ``nnx.State`` of the model's ``nnx.Param`` variables.
        opt_state: the optimizer state (hyperparameters injected).
        rest: the model's other state (empty for anogen models).
        graphdef: the model's graph definition (static).
        tx: the optimizer (static; one object per structure, see
            :func:`anogen.train.optim.shared_optimizer`).
    """

    params: Any
    opt_state: Any
    rest: Any
    graphdef: Any = struct.field(pytree_node=False)
    tx: optax.GradientTransformation = struct.field(pytree_node=False)

    @classmethod
    def create(cls, model: nnx.Module, tx: optax.GradientTransformation) -> TrainState:
        """Split ``model`` and initialise the optimizer state."""
        graphdef, params, rest = nnx.split(model, nnx.Param, ...)
        return cls(params=params, opt_state=_init_opt_state(tx, params), rest=rest, graphdef=graphdef, tx=tx)

    def model(self) -> nnx.Module:
        """The model with this state's parameters (a new object)."""
        return nnx.merge(self.graphdef, self.params, self.rest)


@functools.partial(jax.jit, static_argnums=0)
def _init_opt_state(tx: optax.GradientTransformation, params: Any) -> Any:
    """``tx.init(params)`` as one compiled program (cached per optimizer object and parameter shapes).

    Called eagerly, optax compiles one small ``zeros`` program per distinct parameter shape (12 for
    an LSTM autoencoder, ~15 ms each to trace, lower and compile every run: the persistent cache
    skips programs that compile that fast); the values are the same.
    """
    return tx.init(params)


class Hyper(struct.PyTreeNode):
    """Run-time hyperparameters of a step (scalar arrays; changing them does not recompile).

    ``epoch`` is the 1-based number of the epoch the step belongs to, passed to the loss of a model
    that declares ``uses_epoch = True`` (:func:`anogen.models.losses.loss`; USAD weights its two
    training objectives by ``1 / epoch``).
    """

    learning_rate: jax.Array
    weight_decay: jax.Array
    beta: jax.Array
    recon_weight: jax.Array
    free_bits: jax.Array
    epoch: jax.Array

    @classmethod
    def of(cls, learning_rate: float, weight_decay: float, beta: float, recon_weight: float,
           free_bits: float = 0.0, epoch: int = 1) -> Hyper:
        """Float32 scalars from Python numbers."""
        f = functools.partial(to_device, dtype=np.float32)  # no compiled conversion per call
        return cls(f(learning_rate), f(weight_decay), f(beta), f(recon_weight), f(free_bits), f(epoch))


def train_step(
    state: TrainState, batch: tuple[jax.Array, jax.Array], key: jax.Array, hp: Hyper
) -> tuple[TrainState, dict[str, jax.Array]]:
    """One optimizer step on one batch (pure; jit it or call it inside a jitted function).

    Args:
        state: the train state.
        batch: ``(x, w)``: ``(B, L, d)`` windows or ``(B, d)`` rows, and ``(B,)`` sample weights
            (0 masks the padding of the last batch of an epoch).
        key: PRNG key of this step (latent noise, dropout).
        hp: run-time hyperparameters.

    Returns:
        ``(new state, metrics)``; metrics are the weighted batch means of the model's loss terms
        (``"loss"``, ``"recon"``, ...).
    """
    x, w = batch

    def objective(params):
        model = nnx.merge(state.graphdef, params, state.rest)
        with model_step_context(model, x.shape[0]):
            return batch_loss(model, x, key, weights=w, recon_weight=hp.recon_weight, beta=hp.beta, train=True,
                              free_bits=hp.free_bits, epoch=hp.epoch)

    (_, metrics), grads = jax.value_and_grad(objective, has_aux=True)(state.params)
    opt_state = set_hyperparams(state.opt_state, hp.learning_rate, hp.weight_decay)
    updates, opt_state = state.tx.update(grads, opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    return state.replace(params=params, opt_state=opt_state), metrics


def epoch_plan(
    n: int, key: jax.Array, batch_size: int, n_valid: jax.Array | int | None = None
) -> tuple[jax.Array, jax.Array]:
    """A fresh permutation of the samples in fixed-size batches.

    Of ``n`` sample slots the first ``n_valid`` hold real samples (the others are padding, so
    that data sets of nearby sizes share one compiled epoch). The real samples come first, in
    random order; the last batch is filled with repeated samples of weight 0, so every sample is
    used exactly once per epoch and every batch has the same shape.

    Args:
        n: number of sample slots (static).
        key: the epoch's key (the permutation uses ``fold_in(key, 0)``).
        batch_size: samples per batch (static).
        n_valid: number of real samples (may be traced); ``None`` = ``n``.

    Returns:
        ``(idx, w)``: ``(ceil(n / batch_size), batch_size)`` slot indices and weights in ``{0, 1}``.
    """
    n_valid = n if n_valid is None else n_valid
    n_batches = -(-n // batch_size)
    perm = jax.random.permutation(jax.random.fold_in(key, 0), n)
    perm = perm[jnp.argsort(perm >= n_valid, stable=True)]  # real samples first (no-op without padding)
    pos = jnp.arange(n_batches * batch_size)
    idx = perm[pos % n_valid].reshape(n_batches, batch_size)
    w = (pos < n_valid).astype(jnp.float32).reshape(n_batches, batch_size)
    return idx, w


@functools.partial(jax.jit, static_argnames=("batch_size", "window"))
def train_epoch(
    state: TrainState, data: jax.Array, starts: jax.Array, key: jax.Array, hp: Hyper, *,
    batch_size: int, window: int | None, n_valid: jax.Array | None = None,
) -> tuple[TrainState, jax.Array, jax.Array]:
    """One epoch over ``starts`` as one ``lax.scan`` of :func:`train_step` (one dispatch per epoch).

    Args:
        state: the train state.
        data: ``(n, d)`` device rows.
        starts: ``(m,)`` int32 start rows of the training samples; with ``n_valid``, the first
            ``n_valid`` are real and the rest padding (any valid start row).
        key: the epoch's key.
        hp: run-time hyperparameters.
        batch_size: samples per step.
        window: window length, or ``None`` for rows.
        n_valid: number of real samples (a run-time value); ``None`` = ``m``.

    Returns:
        ``(state, mean loss, mean recon)`` over the epoch's samples.
    """
    idx, w = epoch_plan(starts.shape[0], key, batch_size, n_valid)
    step_key = jax.random.fold_in(key, 1)

    def body(st, inp):
        i, bidx, bw = inp
        st, m = train_step(st, (gather(data, starts[bidx], window), bw), jax.random.fold_in(step_key, i), hp)
        return st, (m["loss"], m["recon"])

    state, (losses, recons) = jax.lax.scan(body, state, (jnp.arange(idx.shape[0]), idx, w))
    counts = jnp.sum(w, axis=1)
    n = jnp.sum(counts)
    return state, jnp.sum(losses * counts) / n, jnp.sum(recons * counts) / n
