"""Data-parallel training epochs over several devices (host CPU devices, or several GPUs).

XLA runs a small recurrent model as thousands of tiny operations per step, which a single CPU
device executes mostly one after the other. Splitting every batch over ``k`` devices
(:func:`train_epoch_parallel`: the epoch's ``lax.scan`` inside :func:`jax.shard_map`, each device
computing the gradient of its part of the batch, gradients summed with ``psum``) runs ``k`` such
streams at once. On CPU the devices are "host platform devices" (XLA flag
``--xla_force_host_platform_device_count``, set by :func:`enable_host_devices` before JAX starts).

The result is the same optimisation in expectation: the gradient is that of the weighted mean loss
over the whole batch (each device's weighted sum divided by the batch's total weight), the same
batches in the same order; only the random draws inside the model (the VAE's latent noise) differ,
since each device draws for its own part (``fold_in(step_key, device)``). With ``free_bits > 0`` the
KL floor would apply to each part's mean instead of the batch's, so :func:`parallel_devices` keeps
one device then.

:func:`parallel_devices` decides: on when there are at least two devices of the default backend
and each gets at least :data:`MIN_PER_DEVICE` samples of a batch (measured on 2 CPU cores
with an LSTM autoencoder: CPU seconds per epoch, one device -> two devices: batch 32 0.29 -> 0.48
(slower), batch 128 0.43 -> 0.37, batch 256 0.51 -> 0.41). :func:`epoch_function` gives the loop
the epoch to call: :func:`~anogen.train.step.train_epoch`, or the data-parallel one that returns
the state on the first device (so validation and scoring run once, on one device).
"""

from __future__ import annotations

import functools
import os
from typing import Callable

import numpy as np

import jax
import jax.numpy as jnp
import optax
from flax import nnx
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from anogen.models.losses import loss as batch_loss
from anogen.train.optim import set_hyperparams
from anogen.train.samples import gather
from anogen.train.step import Hyper, TrainState, epoch_plan, model_step_context, train_epoch

__all__ = ["train_epoch_parallel", "parallel_devices", "enable_host_devices", "epoch_function", "MIN_PER_DEVICE"]

#: samples of a batch each device needs for data parallelism to pay off (measured, see above)
MIN_PER_DEVICE = 64
_AXIS = "batch"
_FLAG = "--xla_force_host_platform_device_count"


def enable_host_devices(count: int | None = None) -> int:
    """Ask XLA for ``count`` CPU devices (default: the usable cores, at most 8) before JAX starts.

    Only possible before JAX's CPU backend is created (the first array or computation); afterwards,
    or when ``XLA_FLAGS`` already sets the count (the user's setting wins), nothing changes.

    Returns:
        The number of CPU devices JAX will have (or has).
    """
    from jax._src import xla_bridge

    flags = os.environ.get("XLA_FLAGS", "")
    if _FLAG in flags or getattr(xla_bridge, "_backends", {"started": None}):
        return _cpu_device_count(flags)
    if count is None:
        try:
            count = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):  # pragma: no cover - not Linux
            count = os.cpu_count() or 1
    count = max(1, min(int(count), 8))
    if count > 1:
        os.environ["XLA_FLAGS"] = f"{flags} {_FLAG}={count}".strip()
    return count


def _cpu_device_count(flags: str) -> int:
    for part in flags.split():
        if part.startswith(_FLAG + "="):
            return int(part.split("=", 1)[1])
    return 1


def parallel_devices(batch_size: int, free_bits: float = 0.0) -> list:
    """The devices to split batches over, or ``[]`` for one-device training (see the module docstring)."""
    devices = jax.devices()
    k = len(devices)
    while k > 1 and (batch_size % k or batch_size // k < MIN_PER_DEVICE):
        k -= 1
    if k < 2 or free_bits > 0:
        return []
    return devices[:k]


def _local_step(state: TrainState, x: jax.Array, w: jax.Array, key: jax.Array, hp: Hyper):
    """One optimizer step from this device's part of a batch (gradients summed over devices)."""
    total = jnp.maximum(jax.lax.psum(jnp.sum(w), _AXIS), 1e-12)
    share = jnp.sum(w) / total

    def objective(params):
        model = nnx.merge(state.graphdef, params, state.rest)
        with model_step_context(model, x.shape[0]):  # this device's part of the batch
            value, aux = batch_loss(model, x, key, weights=w, recon_weight=hp.recon_weight, beta=hp.beta,
                                    train=True, free_bits=hp.free_bits, epoch=hp.epoch)
        return value * share, {k: v * share for k, v in aux.items()}

    (_, metrics), grads = jax.value_and_grad(objective, has_aux=True)(state.params)
    grads, metrics = jax.lax.psum((grads, metrics), _AXIS)
    opt_state = set_hyperparams(state.opt_state, hp.learning_rate, hp.weight_decay)
    updates, opt_state = state.tx.update(grads, opt_state, state.params)
    return state.replace(params=optax.apply_updates(state.params, updates), opt_state=opt_state), metrics


@functools.partial(jax.jit, static_argnames=("batch_size", "window", "mesh"))
def train_epoch_parallel(
    state: TrainState, data: jax.Array, starts: jax.Array, key: jax.Array, hp: Hyper, *,
    batch_size: int, window: int | None, mesh: Mesh, n_valid: jax.Array | None = None,
) -> tuple[TrainState, jax.Array, jax.Array]:
    """:func:`anogen.train.step.train_epoch` with every batch split over the devices of ``mesh``.

    Same arguments and results as ``train_epoch``; ``mesh`` is a one-axis mesh (axis ``"batch"``)
    whose size divides ``batch_size`` (see :func:`parallel_devices`). The state, data and plan are
    replicated; each device gathers its columns of each batch.
    """
    idx, w = epoch_plan(starts.shape[0], key, batch_size, n_valid)
    step_key = jax.random.fold_in(key, 1)

    def epoch(state, data, starts, idx, w, hp, step_key):
        me = jax.lax.axis_index(_AXIS)

        def body(st, inp):
            i, bidx, bw = inp
            x = gather(data, starts[bidx], window)
            st, m = _local_step(st, x, bw, jax.random.fold_in(jax.random.fold_in(step_key, i), me), hp)
            return st, (m["loss"], m["recon"])

        return jax.lax.scan(body, state, (jnp.arange(idx.shape[0]), idx, w))

    rep = PartitionSpec()
    part = PartitionSpec(None, _AXIS)  # (steps, batch): each device its columns
    run = jax.shard_map(epoch, mesh=mesh, in_specs=(rep, rep, rep, part, part, rep, rep),
                        out_specs=(rep, (rep, rep)), check_vma=False)
    state, (losses, recons) = run(state, data, starts, idx, w, hp, step_key)
    counts = jnp.sum(w, axis=1)
    n = jnp.sum(counts)
    return state, jnp.sum(losses * counts) / n, jnp.sum(recons * counts) / n


def epoch_function(batch_size: int, free_bits: float = 0.0) -> Callable:
    """The epoch the training loop calls: ``train_epoch`` or, when :func:`parallel_devices` finds
    devices to split batches over, a data-parallel epoch with the same signature whose state comes
    back on the first device."""
    devices = parallel_devices(batch_size, free_bits)
    if not devices:
        return train_epoch
    mesh = Mesh(np.array(devices), (_AXIS,))
    everywhere = NamedSharding(mesh, PartitionSpec())

    def epoch(state, data, starts, key, hp, *, batch_size, window, n_valid=None):
        args = jax.device_put((state, data, starts, key, hp, n_valid), everywhere)
        state, loss, recon = train_epoch_parallel(*args[:5], batch_size=batch_size, window=window, mesh=mesh,
                                                  n_valid=args[5])
        return jax.device_put(state, devices[0]), loss, recon

    return epoch
