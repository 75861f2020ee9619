"""The one jitted trainer for every anogen model, plus batched inference helpers.

Design (measurements in ``docs/training.md``):

* The model is split once with ``nnx.split(model, nnx.Param, ...)``; the train step is a pure
  function ``(params, opt_state, rest, data, starts, batch_index, weights, key, beta) -> ...`` that
  merges the graph inside ``jax.jit`` (plain ``nnx.jit`` re-walks the object graph on every call,
  which costs several times the step itself on models this small).
* By default a whole epoch is one ``jax.lax.scan`` over its batches inside one ``jax.jit`` call
  (``TrainConfig.scan_epochs``): one dispatch per epoch instead of one per step.
* The data go to the device once. Window models never materialise the ``(n_windows, L, d)``
  array: a batch is gathered inside the step as ``data[starts[:, None] + arange(L)]``.
* Every epoch draws a fresh permutation; batches have a fixed size, the last partial batch is
  padded with repeated samples of weight 0 (masked), so every sample is used once per epoch and
  the step compiles once.
* Keys: ``key, val_key = split(key(seed))``; epoch ``e`` uses ``fold_in(key, e)``; inside it the
  permutation uses ``fold_in(epoch_key, 0)`` and step ``i`` ``fold_in(fold_in(epoch_key, 1), i)``;
  validation always uses ``val_key`` (common random numbers across epochs). No global random
  state: same seed, same data, same config -> identical losses.
* Compiled functions are cached per (model structure, optimizer *structure*, batch size, window);
  learning rate, weight decay, ``beta`` and ``recon_weight`` are run-time values, so a sweep that
  trains the same architecture again does not recompile.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from anogen.models.losses import recon_error
from anogen.types import AnogenError

__all__ = [
    "History",
    "TrainConfig",
    "decode",
    "encode",
    "evaluate",
    "fit",
    "make_optimizer",
    "reconstruction_error",
    "window_starts",
]

_STOP_REASONS = ("max_epochs", "early_stopping", "epsilon", "non_finite")


@dataclasses.dataclass
class TrainConfig:
    """Training settings (the ``train`` config group).

    Attributes:
        epochs: maximum number of epochs.
        batch_size: samples (rows or windows) per step.
        learning_rate: optimizer learning rate.
        optimizer: name of an optax optimizer factory taking ``learning_rate`` (``adam``,
            ``adamw``, ``sgd``, ``rmsprop``, ``lion``, ...).
        weight_decay: passed to the optimizer when it accepts ``weight_decay`` (e.g. ``adamw``),
            otherwise applied as ``optax.add_decayed_weights``; 0 = off.
        val_split: fraction of the samples held out for validation (the *last* samples in time
            order, see ``fit``); 0 = no validation set.
        patience: stop after this many epochs without a lower monitored loss; 0 = off.
        epsilon: stop when the monitored mean squared reconstruction error is below it; 0 = off.
        recon_weight: weight of the reconstruction term; ``None`` = the model's default
            (``100 * L`` for the LSTM-VAE, i.e. the seed's ``100 * mse * L + KL``; 1 otherwise).
        beta: weight of the KL term (VAEs).
        kl_warmup_epochs: ramp the KL weight linearly from ``beta / n`` to ``beta`` over the first
            ``n`` epochs; 0 = off.
        grad_clip: clip gradients to this global norm; ``None`` = off.
        progress: show a tqdm progress bar (per epoch, with the losses).
        scan_epochs: run each epoch as one ``lax.scan`` over its batches (one dispatch per epoch);
            ``False`` = one jitted call per step (same results up to float rounding).
    """

    epochs: int = 50
    batch_size: int = 32
    learning_rate: float = 1e-3
    optimizer: str = "adam"
    weight_decay: float = 0.0
    val_split: float = 0.1
    patience: int = 10
    epsilon: float = 0.0
    recon_weight: float | None = None
    beta: float = 1.0
    kl_warmup_epochs: int = 0
    grad_clip: float | None = None
    progress: bool = True
    scan_epochs: bool = True

    def validate(self) -> TrainConfig:
        """Check every field; raise :class:`AnogenError` naming the first bad one. Returns self."""

        def is_int(v: Any) -> bool:
            return isinstance(v, (int, np.integer)) and not isinstance(v, bool)

        def is_num(v: Any) -> bool:
            return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and math.isfinite(v)

        if not is_int(self.epochs) or self.epochs < 1:
            raise AnogenError(f"train.epochs={self.epochs!r} is invalid: expected an integer >= 1")
        if not is_int(self.batch_size) or self.batch_size < 1:
            raise AnogenError(f"train.batch_size={self.batch_size!r} is invalid: expected an integer >= 1")
        if not is_num(self.learning_rate) or self.learning_rate <= 0:
            raise AnogenError(f"train.learning_rate={self.learning_rate!r} is invalid: expected a number > 0")
        if not is_num(self.weight_decay) or self.weight_decay < 0:
            raise AnogenError(f"train.weight_decay={self.weight_decay!r} is invalid: expected a number >= 0")
        if not is_num(self.val_split) or not 0.0 <= self.val_split < 1.0:
            raise AnogenError(f"train.val_split={self.val_split!r} is invalid: expected a number in [0, 1)")
        if not is_int(self.patience) or self.patience < 0:
            raise AnogenError(f"train.patience={self.patience!r} is invalid: expected an integer >= 0 (0 = off)")
        if not is_num(self.epsilon) or self.epsilon < 0:
            raise AnogenError(f"train.epsilon={self.epsilon!r} is invalid: expected a number >= 0 (0 = off)")
        if self.recon_weight is not None and (not is_num(self.recon_weight) or self.recon_weight <= 0):
            raise AnogenError(f"train.recon_weight={self.recon_weight!r} is invalid: expected a number > 0 or null")
        if not is_num(self.beta) or self.beta < 0:
            raise AnogenError(f"train.beta={self.beta!r} is invalid: expected a number >= 0")
        if not is_int(self.kl_warmup_epochs) or self.kl_warmup_epochs < 0:
            raise AnogenError(
                f"train.kl_warmup_epochs={self.kl_warmup_epochs!r} is invalid: expected an integer >= 0 (0 = off)"
            )
        if self.grad_clip is not None and (not is_num(self.grad_clip) or self.grad_clip <= 0):
            raise AnogenError(f"train.grad_clip={self.grad_clip!r} is invalid: expected a number > 0 or null")
        make_optimizer(self)  # validates the optimizer name
        return self


@dataclasses.dataclass
class History:
    """What happened during :func:`fit`.

    Attributes:
        train_loss: mean training loss per epoch (with the KL weight of that epoch).
        val_loss: validation loss per epoch (full KL weight); empty without a validation set.
        recon: monitored mean squared reconstruction error per epoch (validation set,
            deterministic reconstruction; without a validation set the training batches').
        epochs_run: number of epochs trained.
        stopped: ``"max_epochs"``, ``"early_stopping"``, ``"epsilon"`` or ``"non_finite"``.
        seconds: wall time of the whole fit, compilation included.
        best_epoch: 0-based epoch whose parameters were restored.
        compile_seconds: wall time of the first epoch (dominated by compilation).
    """

    train_loss: list[float]
    val_loss: list[float]
    recon: list[float]
    epochs_run: int
    stopped: str
    seconds: float
    best_epoch: int = 0
    compile_seconds: float = 0.0


# --------------------------------------------------------------------------------------------
# optimizer


@functools.cache
def _optimizer_names() -> tuple[str, ...]:
    names = []
    for name in dir(optax):
        if name.startswith("_"):
            continue
        obj = getattr(optax, name)
        if not inspect.isfunction(obj):
            continue
        try:
            params = inspect.signature(obj).parameters
        except (TypeError, ValueError):
            continue
        if "learning_rate" in params and next(iter(params)) == "learning_rate":
            names.append(name)
    return tuple(sorted(names))


def _optimizer_spec(config: TrainConfig) -> tuple:
    return (config.optimizer, float(config.learning_rate), float(config.weight_decay), config.grad_clip)


def _structure(spec: tuple) -> tuple:
    """The part of an optimizer spec that changes the compiled program (not lr / decay values)."""
    name, _, wd, clip = spec
    return (name, wd > 0, None if clip is None else float(clip))


def _build_optimizer(spec: tuple) -> optax.GradientTransformation:
    """Optax optimizer whose learning rate and weight decay live in its state.

    ``optax.inject_hyperparams`` keeps the numeric hyperparameters in the optimizer state, so the
    compiled train step does not depend on their values: a learning-rate sweep compiles once.
    """
    name, lr, wd, clip = spec
    if not isinstance(name, str) or name not in _optimizer_names():
        valid = ", ".join(("adam", "adamw", "sgd", "rmsprop", "nadam", "lion", "adabelief", "lamb"))
        raise AnogenError(
            f"train.optimizer={name!r} is invalid: expected the name of an optax optimizer, e.g. {valid}"
        )
    factory = getattr(optax, name)
    decay_inside = "weight_decay" in inspect.signature(factory).parameters
    hyper: dict[str, Any] = {"learning_rate": lr}
    if decay_inside:
        hyper["weight_decay"] = wd
    parts = []
    if clip is not None:
        parts.append(optax.clip_by_global_norm(float(clip)))
    if wd > 0 and not decay_inside:
        parts.append(optax.inject_hyperparams(optax.add_decayed_weights)(weight_decay=wd))
    parts.append(optax.inject_hyperparams(factory)(**hyper))
    return parts[0] if len(parts) == 1 else optax.chain(*parts)


def make_optimizer(config: TrainConfig) -> optax.GradientTransformation:
    """Build the optax optimizer described by ``config``.

    Args:
        config: training settings (``optimizer``, ``learning_rate``, ``weight_decay``, ``grad_clip``).

    Returns:
        The gradient transformation.

    Raises:
        AnogenError: unknown optimizer name.
    """
    return _build_optimizer(_optimizer_spec(config))


# --------------------------------------------------------------------------------------------
# samples


def window_starts(n: int, window: int, segments: np.ndarray | None = None) -> np.ndarray:
    """Start rows of every stride-1 window of length ``window`` lying inside one segment.

    Args:
        n: number of rows.
        window: window length ``L``.
        segments: ``(k, 2)`` half-open row ranges ``[start, end)``; ``None`` = ``[[0, n]]``.

    Returns:
        ``(n_windows,)`` int32 start rows, ascending within each segment, segments in order.

    Raises:
        AnogenError: malformed segments, or no window fits.
    """
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise AnogenError(f"window={window!r} is invalid: expected an integer >= 1")
    if segments is None:
        seg = np.array([[0, n]], dtype=np.int64)
    else:
        seg = np.asarray(segments)
        if seg.ndim != 2 or seg.shape[1] != 2 or not np.issubdtype(seg.dtype, np.integer):
            raise AnogenError(
                f"segments has shape {seg.shape} and dtype {seg.dtype}: expected (k, 2) integer [start, end) row ranges"
            )
        bad = (seg[:, 0] < 0) | (seg[:, 1] > n) | (seg[:, 0] >= seg[:, 1])
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise AnogenError(
                f"segments[{i}]={seg[i].tolist()} is invalid: expected 0 <= start < end <= {n} (number of rows)"
            )
    parts = [np.arange(a, b - window + 1, dtype=np.int64) for a, b in seg if b - a >= window]
    starts = np.concatenate(parts) if parts else np.zeros((0,), np.int64)
    if starts.size == 0:
        longest = int((seg[:, 1] - seg[:, 0]).max()) if len(seg) else 0
        raise AnogenError(
            f"window={window} is longer than every segment (longest has {longest} rows): no training window fits"
        )
    return starts.astype(np.int32)


def _gather(data: jax.Array, starts: jax.Array, window: int | None) -> jax.Array:
    if window is None:
        return data[starts]
    return data[starts[:, None] + jnp.arange(window, dtype=starts.dtype)[None, :]]


def _check_data(model: Any, data: Any, window: int | None, name: str = "data") -> tuple[np.ndarray, int | None]:
    arr = np.asarray(data)
    if arr.ndim != 2:
        raise AnogenError(f"{name} has shape {arr.shape}: expected 2-D (rows, features)")
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise AnogenError(f"{name} has dtype {arr.dtype}: expected real numbers")
    arr = arr.astype(np.float32, copy=False)
    if arr.shape[1] != model.n_features:
        raise AnogenError(
            f"{name} has {arr.shape[1]} feature columns but the model was built for n_features={model.n_features}"
        )
    if not np.isfinite(arr).all():
        r = int(np.flatnonzero(~np.isfinite(arr).all(axis=1))[0])
        raise AnogenError(f"{name} contains NaN or inf (first at row {r}): clean or interpolate the data first")
    kind = getattr(model, "kind", None)
    if kind == "window":
        if window is None:
            window = model.seq_len
        if window != model.seq_len:
            raise AnogenError(f"window={window} does not match the model's seq_len={model.seq_len}")
    elif kind == "row":
        if window is not None:
            raise AnogenError(f"window={window} given for a row model ({type(model).__name__}): use window=None")
    else:
        raise AnogenError(f"{type(model).__name__} is not an anogen model (kind must be 'window' or 'row')")
    return arr, window


def _split_samples(
    starts: np.ndarray, val_split: float, window: int | None, n_rows: int
) -> tuple[np.ndarray, np.ndarray]:
    n = len(starts)
    n_val = int(round(val_split * n)) if val_split > 0 else 0
    if val_split > 0:
        n_val = max(1, n_val)
    if n - n_val < 1:
        raise AnogenError(
            f"train.val_split={val_split} leaves no training samples out of {n}: lower it or provide more data"
        )
    train, val = starts[: n - n_val], starts[n - n_val :]
    if n_val and window is not None:
        # drop the training windows that share rows with a validation window
        in_val = np.zeros(n_rows + 1, np.int64)
        np.add.at(in_val, val, 1)
        np.add.at(in_val, val + window, -1)
        covered = np.concatenate([[0], np.cumsum(np.cumsum(in_val)[:-1] > 0)])
        train = train[covered[train + window] - covered[train] == 0]
        if len(train) == 0:
            raise AnogenError(
                f"train.val_split={val_split} leaves no training window that does not overlap the validation windows"
            )
    return train, val


# --------------------------------------------------------------------------------------------
# compiled functions (cached per structure + settings)


def _batch_loss(graphdef, params, rest, x, w, key, beta, recon_weight, train):
    model = nnx.merge(graphdef, params, rest)
    terms = model.per_sample_loss(x, key, recon_weight=recon_weight, beta=beta, train=train)
    total = jnp.maximum(jnp.sum(w), 1.0)
    loss = jnp.sum(terms["loss"] * w) / total
    return loss, jnp.sum(terms["recon"] * w) / total


def _train_fns(graphdef, opt_spec: tuple, batch_size: int, window: int | None):
    """``(plan, step, epoch)`` jitted functions for one model structure and setting.

    Cached on the optimizer's *structure* only: learning rate and weight decay are read from the
    optimizer state at run time.
    """
    return _train_fns_cached(graphdef, _structure(opt_spec), batch_size, window)


@functools.lru_cache(maxsize=32)
def _train_fns_cached(graphdef, structure: tuple, batch_size: int, window: int | None):
    name, wd_on, clip = structure
    # placeholder values: the real learning rate / decay are read from the optimizer state
    tx = _build_optimizer((name, 1.0, 1.0 if wd_on else 0.0, clip))

    def plan(starts_len_arr: jax.Array, key: jax.Array):
        # starts_len_arr only carries the static number of samples in its shape
        n = starts_len_arr.shape[0]
        n_batches = -(-n // batch_size)
        perm = jax.random.permutation(jax.random.fold_in(key, 0), n)
        pos = jnp.arange(n_batches * batch_size)
        idx = perm[pos % n].reshape(n_batches, batch_size)
        w = (pos < n).astype(jnp.float32).reshape(n_batches, batch_size)
        return idx, w

    def step(params, opt_state, rest, data, starts, bidx, bw, key, beta, recon_weight):
        x = _gather(data, starts[bidx], window)
        (loss, recon), grads = jax.value_and_grad(_batch_loss, argnums=1, has_aux=True)(
            graphdef, params, rest, x, bw, key, beta, recon_weight, True
        )
        updates, opt_state = tx.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        return params, opt_state, loss, recon

    def epoch(params, opt_state, rest, data, starts, key, beta, recon_weight):
        idx, w = plan(starts, key)
        step_key = jax.random.fold_in(key, 1)

        def body(carry, inp):
            p, o = carry
            i, bidx, bw = inp
            p, o, loss, recon = step(
                p, o, rest, data, starts, bidx, bw, jax.random.fold_in(step_key, i), beta, recon_weight
            )
            return (p, o), (loss, recon)

        steps = jnp.arange(idx.shape[0])
        (params, opt_state), (losses, recons) = jax.lax.scan(body, (params, opt_state), (steps, idx, w))
        counts = jnp.sum(w, axis=1)
        n = jnp.sum(counts)
        return params, opt_state, jnp.sum(losses * counts) / n, jnp.sum(recons * counts) / n

    return jax.jit(plan), jax.jit(step), jax.jit(epoch)


@functools.lru_cache(maxsize=32)
def _eval_fn(graphdef, chunk: int, window: int | None):
    """Jitted validation: weighted mean loss (full beta, fixed key) and deterministic recon MSE."""

    def evaluate(params, rest, data, starts, key, beta, recon_weight):
        n = starts.shape[0]
        n_chunks = -(-n // chunk)
        pos = jnp.arange(n_chunks * chunk)
        idx = (pos % n).reshape(n_chunks, chunk)
        w = (pos < n).astype(jnp.float32).reshape(n_chunks, chunk)

        def body(acc, inp):
            i, bidx, bw = inp
            model = nnx.merge(graphdef, params, rest)
            x = _gather(data, starts[bidx], window)
            terms = model.per_sample_loss(
                x, jax.random.fold_in(key, i), recon_weight=recon_weight, beta=beta, train=False
            )
            err = recon_error(model, x)
            err = err.reshape(err.shape[0], -1).mean(axis=1)
            return (acc[0] + jnp.sum(terms["loss"] * bw), acc[1] + jnp.sum(err * bw)), None

        zero = jnp.zeros((), jnp.float32)
        (loss_sum, err_sum), _ = jax.lax.scan(body, (zero, zero), (jnp.arange(n_chunks), idx, w))
        return loss_sum / n, err_sum / n

    return jax.jit(evaluate)


# --------------------------------------------------------------------------------------------
# fit


def fit(
    model: Any,
    data: np.ndarray,
    *,
    config: TrainConfig,
    seed: int,
    window: int | None = None,
    segments: np.ndarray | None = None,
) -> tuple[Any, History]:
    """Train ``model`` on scaled data with one compiled train step.

    Samples are rows (``window=None``, row models) or every stride-1 window of length ``window``
    lying fully inside one of ``segments`` (window models; ``window`` defaults to
    ``model.seq_len``). Validation holds out the *last* ``val_split`` fraction of the samples in
    time order (never shuffled into training); for windows, the training windows that share rows
    with a validation window are dropped too. The monitored loss is the validation loss (full KL
    weight, fixed key) or, without a validation set, the epoch's training loss; the monitored
    reconstruction MSE is that of ``decode(mu)`` on the validation set (without one: of the
    training batches). Training stops after ``patience`` epochs without a lower monitored loss,
    when the monitored reconstruction MSE drops below ``epsilon``, at ``epochs``, or when the loss
    becomes NaN/inf; the parameters of the best epoch are restored into ``model``.

    Args:
        model: an anogen model (updated in place and returned).
        data: ``(n, d)`` float rows, already scaled. Not modified.
        config: training settings.
        seed: integer seed of every random draw (init is the model's own ``rngs``).
        window: window length for window models (``None`` = ``model.seq_len``); must be
            ``None`` for row models.
        segments: ``(k, 2)`` half-open row ranges windows must lie in; ``None`` = whole array.

    Returns:
        ``(model, history)``.

    Raises:
        AnogenError: invalid config, data, window or segments, or a loss that is NaN/inf from
            the first epoch on.
    """
    t_start = time.perf_counter()
    if not isinstance(config, TrainConfig):
        raise AnogenError(f"config must be a TrainConfig, got {type(config).__name__}")
    config.validate()
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise AnogenError(f"seed={seed!r} is invalid: expected an integer")
    arr, window = _check_data(model, data, window)
    if getattr(model, "likelihood", None) == "bernoulli" and (arr.min() < -1e-6 or arr.max() > 1 + 1e-6):
        raise AnogenError(
            f"{type(model).__name__} with likelihood='bernoulli' needs data scaled to [0, 1] (min-max scaling); "
            f"got values in [{arr.min():.4g}, {arr.max():.4g}]: use likelihood='gaussian' or min-max scale"
        )
    if window is None:
        if segments is not None:
            raise AnogenError("segments are only used with window models (window=None here)")
        if len(arr) < 1:
            raise AnogenError("data has no rows")
        starts = np.arange(len(arr), dtype=np.int32)
    else:
        starts = window_starts(len(arr), window, segments)
    train_starts, val_starts = _split_samples(starts, float(config.val_split), window, len(arr))

    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    rw = model.default_recon_weight if config.recon_weight is None else config.recon_weight
    recon_weight = jnp.asarray(rw, jnp.float32)
    opt_spec = _optimizer_spec(config)
    tx = _build_optimizer(opt_spec)
    bs = int(config.batch_size)
    plan_fn, step_fn, epoch_fn = _train_fns(graphdef, opt_spec, bs, window)
    has_val = len(val_starts) > 0
    if has_val:
        eval_fn = _eval_fn(graphdef, int(min(len(val_starts), 1024)), window)

    opt_state = tx.init(params)
    data_dev = jax.device_put(arr)
    train_dev = jax.device_put(train_starts)
    val_dev = jax.device_put(val_starts) if has_val else None
    key, val_key = jax.random.split(jax.random.key(int(seed)))

    hist = History(train_loss=[], val_loss=[], recon=[], epochs_run=0, stopped="max_epochs", seconds=0.0)
    best_loss, best_params, best_epoch, wait = math.inf, params, -1, 0
    beta_full = float(config.beta)

    from tqdm.auto import tqdm

    bar = tqdm(total=config.epochs, desc=f"train {type(model).__name__}", unit="epoch", disable=not config.progress)
    try:
        for e in range(config.epochs):
            t_epoch = time.perf_counter()
            ekey = jax.random.fold_in(key, e)
            if config.kl_warmup_epochs > 0:
                beta_e = beta_full * min(1.0, (e + 1) / config.kl_warmup_epochs)
            else:
                beta_e = beta_full
            beta_arr = jnp.asarray(beta_e, jnp.float32)
            if config.scan_epochs:
                params, opt_state, tl, tr = epoch_fn(
                    params, opt_state, rest, data_dev, train_dev, ekey, beta_arr, recon_weight
                )
            else:
                params, opt_state, tl, tr = _epoch_stepwise(
                    plan_fn, step_fn, params, opt_state, rest, data_dev, train_dev, ekey, beta_arr, recon_weight
                )
            train_loss = float(tl)
            if has_val:
                vl, vr = eval_fn(
                    params, rest, data_dev, val_dev, val_key, jnp.asarray(beta_full, jnp.float32), recon_weight
                )
                mon_loss, mon_recon = float(vl), float(vr)
                hist.val_loss.append(mon_loss)
            else:
                mon_loss, mon_recon = train_loss, float(tr)
            hist.train_loss.append(train_loss)
            hist.recon.append(mon_recon)
            hist.epochs_run = e + 1
            if e == 0:
                hist.compile_seconds = time.perf_counter() - t_epoch
            postfix = {"loss": f"{train_loss:.4g}", "recon": f"{mon_recon:.4g}"}
            if has_val:
                postfix["val"] = f"{mon_loss:.4g}"
            bar.set_postfix(postfix, refresh=False)
            bar.update(1)

            if not (math.isfinite(train_loss) and math.isfinite(mon_loss)):
                hist.stopped = "non_finite"
                break
            if mon_loss < best_loss:
                best_loss, best_params, best_epoch, wait = mon_loss, params, e, 0
            else:
                wait += 1
            if config.epsilon > 0 and mon_recon < config.epsilon:
                hist.stopped = "epsilon"
                break
            if config.patience > 0 and wait >= config.patience:
                hist.stopped = "early_stopping"
                break
    finally:
        bar.close()

    if best_epoch < 0:
        raise AnogenError(
            f"training diverged: the loss is {hist.train_loss[-1]} in the first epoch; "
            f"lower train.learning_rate (now {config.learning_rate}) or check the data scaling"
        )
    nnx.update(model, best_params)
    hist.best_epoch = best_epoch
    hist.seconds = time.perf_counter() - t_start
    return model, hist


def evaluate(
    model: Any,
    data: np.ndarray,
    *,
    window: int | None = None,
    segments: np.ndarray | None = None,
    beta: float = 1.0,
    recon_weight: float | None = None,
    seed: int = 0,
    batch_size: int = 1024,
) -> dict[str, float]:
    """Mean loss and reconstruction MSE of a trained model on (held-out) data, jitted and batched.

    The loss is the model's training objective with fixed weights (``beta``, ``recon_weight`` =
    the model default when ``None``), eval mode (no dropout) and latent noise from ``seed``: the
    same quantity as :class:`History`'s ``val_loss``, so it stays comparable across runs that
    trained with different weights.

    Args:
        model: an anogen model.
        data: ``(n, d)`` scaled rows.
        window: window length (window models; ``None`` = ``model.seq_len``).
        segments: ``(k, 2)`` half-open row ranges windows must lie in; ``None`` = whole array.
        beta: KL weight of the reported loss.
        recon_weight: reconstruction weight; ``None`` = the model's default.
        seed: seed of the latent noise.
        batch_size: samples per compiled chunk.

    Returns:
        ``{"loss": mean loss per sample, "recon": mean squared error of decode(mu), "n": samples}``.
    """
    batch_size = _check_batch_size(batch_size)
    arr, window = _check_data(model, data, window)
    starts = np.arange(len(arr), dtype=np.int32) if window is None else window_starts(len(arr), window, segments)
    if len(starts) == 0:
        raise AnogenError("data has no rows")
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    rw = model.default_recon_weight if recon_weight is None else recon_weight
    fn = _eval_fn(graphdef, _bucket(len(starts), batch_size), window)
    loss, recon = fn(
        params,
        rest,
        jax.device_put(arr),
        jax.device_put(starts),
        jax.random.key(int(seed)),
        jnp.asarray(beta, jnp.float32),
        jnp.asarray(rw, jnp.float32),
    )
    return {"loss": float(loss), "recon": float(recon), "n": int(len(starts))}


def _epoch_stepwise(plan_fn, step_fn, params, opt_state, rest, data, starts, key, beta, recon_weight):
    """One epoch with one jitted call per step (same maths as the scanned epoch)."""
    idx, w = plan_fn(starts, key)
    step_key = jax.random.fold_in(key, 1)
    loss_sum = jnp.zeros((), jnp.float32)
    recon_sum = jnp.zeros((), jnp.float32)
    counts = jnp.sum(w, axis=1)
    for i in range(idx.shape[0]):
        params, opt_state, loss, recon = step_fn(
            params, opt_state, rest, data, starts, idx[i], w[i], jax.random.fold_in(step_key, i), beta, recon_weight
        )
        loss_sum = loss_sum + loss * counts[i]
        recon_sum = recon_sum + recon * counts[i]
    n = jnp.sum(counts)
    return params, opt_state, loss_sum / n, recon_sum / n


# --------------------------------------------------------------------------------------------
# batched inference


def _bucket(n: int, batch_size: int) -> int:
    """Chunk size: ``batch_size``, or the next power of two >= n when n is smaller (few compiles)."""
    if n >= batch_size:
        return batch_size
    return min(batch_size, 1 << max(0, (n - 1).bit_length()))


def _check_batch_size(batch_size: Any) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise AnogenError(f"batch_size={batch_size!r} is invalid: expected an integer >= 1")
    return int(batch_size)


@functools.lru_cache(maxsize=64)
def _apply_fn(graphdef, method: str, window: int | None):
    def apply(params, rest, data, idx):
        model = nnx.merge(graphdef, params, rest)
        x = data[idx] if window is None else _gather(data, idx, window)
        return getattr(model, method)(x)

    return jax.jit(apply)


def _run_batched(model: Any, method: str, data: np.ndarray, idx: np.ndarray, window: int | None, batch_size: int):
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    fn = _apply_fn(graphdef, method, window)
    data_dev = jax.device_put(data)
    chunk = _bucket(len(idx), batch_size)
    outs: list[Any] = []
    for s in range(0, len(idx), chunk):
        part = idx[s : s + chunk]
        m = len(part)
        if m < chunk:
            part = np.concatenate([part, np.full(chunk - m, part[0], part.dtype)])
        res = fn(params, rest, data_dev, jax.device_put(part))
        outs.append(jax.tree.map(lambda a, m=m: a[:m], res))
    return jax.tree.map(lambda *a: np.concatenate([np.asarray(x) for x in a]), *outs)


def _as_samples(model: Any, data: Any, window: int | None, segments: np.ndarray | None):
    """Normalise inference input to ``(array, sample_index, window)``."""
    arr = np.asarray(data)
    if model.kind == "window" and arr.ndim == 3:
        if arr.shape[1:] != (model.seq_len, model.n_features):
            raise AnogenError(
                f"windows have shape {arr.shape}: expected (n, {model.seq_len}, {model.n_features})"
            )
        if not np.isfinite(arr).all():
            raise AnogenError("windows contain NaN or inf")
        flat = arr.astype(np.float32).reshape(-1, model.n_features)
        starts = (np.arange(arr.shape[0]) * model.seq_len).astype(np.int32)
        return flat, starts, model.seq_len
    arr, window = _check_data(model, arr, window)
    if window is None:
        return arr, np.arange(len(arr), dtype=np.int32), None
    return arr, window_starts(len(arr), window, segments), window


def encode(
    model: Any,
    data: np.ndarray,
    *,
    window: int | None = None,
    segments: np.ndarray | None = None,
    batch_size: int = 4096,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Encode rows or windows in jitted batches.

    Args:
        model: an anogen model.
        data: ``(n, d)`` scaled rows, or for window models also ``(n_windows, L, d)`` windows.
            With ``(n, d)`` and a window model, every stride-1 window inside ``segments`` is
            encoded (``window`` defaults to ``model.seq_len``).
        window: window length (window models only).
        segments: ``(k, 2)`` half-open row ranges for the windows; ``None`` = whole array.
        batch_size: samples per compiled call.

    Returns:
        ``(mu, logvar)``, each ``(n_samples, latent_dim)`` float32; for the (deterministic)
        ``LSTMAE`` ``(z, None)``.
    """
    batch_size = _check_batch_size(batch_size)
    arr, idx, window = _as_samples(model, data, window, segments)
    out = _run_batched(model, "encode", arr, idx, window, batch_size)
    if isinstance(out, tuple):
        return out[0], out[1]
    return out, None


def decode(model: Any, z: np.ndarray, *, batch_size: int = 4096) -> np.ndarray:
    """Decode latent codes in jitted batches.

    Args:
        model: an anogen model.
        z: ``(n, latent_dim)`` codes.
        batch_size: codes per compiled call.

    Returns:
        ``(n, L, d)`` windows or ``(n, d)`` rows (data space; sigmoid applied for a Bernoulli
        MLP-VAE), float32.
    """
    batch_size = _check_batch_size(batch_size)
    arr = np.asarray(z)
    if arr.ndim != 2 or arr.shape[1] != model.latent_dim:
        raise AnogenError(f"z has shape {arr.shape}: expected (n, {model.latent_dim}) latent codes")
    if not np.isfinite(arr).all():
        raise AnogenError("z contains NaN or inf")
    return _run_batched(
        model, "decode", arr.astype(np.float32), np.arange(len(arr), dtype=np.int32), None, batch_size
    )


@functools.lru_cache(maxsize=64)
def _window_error_fn(graphdef, window: int, chunk: int):
    """Jitted per-step squared error, scatter-averaged over every window covering the step."""

    def run(params, rest, data, starts):
        n_rows = data.shape[0]
        n = starts.shape[0]
        n_chunks = -(-n // chunk)
        pos = jnp.arange(n_chunks * chunk)
        sidx = starts[pos % n].reshape(n_chunks, chunk)
        w = (pos < n).astype(jnp.float32).reshape(n_chunks, chunk)
        offs = jnp.arange(window, dtype=starts.dtype)

        def body(acc, inp):
            s, bw = inp
            model = nnx.merge(graphdef, params, rest)
            rows = s[:, None] + offs[None, :]
            err = recon_error(model, data[rows]) * bw[:, None]
            sums = acc[0].at[rows.reshape(-1)].add(err.reshape(-1))
            counts = acc[1].at[rows.reshape(-1)].add(jnp.broadcast_to(bw[:, None], rows.shape).reshape(-1))
            return (sums, counts), None

        zeros = jnp.zeros((n_rows,), jnp.float32)
        (sums, counts), _ = jax.lax.scan(body, (zeros, zeros), (sidx, w))
        return sums, counts

    return jax.jit(run)


def reconstruction_error(
    model: Any,
    data: np.ndarray,
    *,
    window: int | None = None,
    segments: np.ndarray | None = None,
    batch_size: int = 4096,
) -> np.ndarray:
    """Per-row reconstruction error, the score of the reconstruction detectors.

    Row models: mean over features of ``(x - reconstruct(x))^2`` per row. Window models: the
    same per time step of every stride-1 window inside ``segments``, averaged over all windows
    covering the step; steps covered by no window (outside every segment, or in a segment
    shorter than the window) take the value of the nearest covered step (the earlier one on a
    tie). Reconstructions are deterministic (VAEs decode the posterior mean).

    Args:
        model: an anogen model.
        data: ``(n, d)`` scaled rows.
        window: window length (window models; ``None`` = ``model.seq_len``).
        segments: ``(k, 2)`` half-open row ranges windows must lie in; ``None`` = whole array.
        batch_size: windows/rows per compiled chunk.

    Returns:
        ``(n,)`` float64 errors (higher = more anomalous).
    """
    batch_size = _check_batch_size(batch_size)
    arr, window = _check_data(model, data, window)
    if window is None:
        err = _run_batched(model, "reconstruct", arr, np.arange(len(arr), dtype=np.int32), None, batch_size)
        return np.mean(np.square(arr - err), axis=-1).astype(np.float64)
    starts = window_starts(len(arr), window, segments)
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    chunk = _bucket(len(starts), max(1, batch_size))
    sums, counts = _window_error_fn(graphdef, window, chunk)(params, rest, jax.device_put(arr), jax.device_put(starts))
    sums, counts = np.asarray(sums, np.float64), np.asarray(counts, np.float64)
    covered = counts > 0
    out = np.zeros(len(arr), np.float64)
    out[covered] = sums[covered] / counts[covered]
    if not covered.all():
        pos = np.flatnonzero(covered)
        missing = np.flatnonzero(~covered)
        right = np.clip(np.searchsorted(pos, missing), 0, len(pos) - 1)
        left = np.clip(right - 1, 0, len(pos) - 1)
        use_left = np.abs(missing - pos[left]) <= np.abs(pos[right] - missing)
        out[missing] = out[np.where(use_left, pos[left], pos[right])]
    return out

