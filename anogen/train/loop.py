"""The training loop: :func:`fit` and its :class:`History`.

Every epoch is one call of the compiled :func:`anogen.train.step.train_epoch` (a ``lax.scan``
over its batches); validation is one call of the compiled chunked evaluation, which also gives
the diagnostics a VAE practitioner checks (reconstruction error relative to the data's variance,
KL per latent dimension, number of active dimensions). Keys:
``key, val_key = split(key(seed))``; epoch ``e`` uses ``fold_in(key, e)``; validation always
uses ``val_key`` (common random numbers across epochs). No global random state: same seed, same
data, same config -> identical losses. Early stopping is flax's
:class:`~flax.training.early_stopping.EarlyStopping`.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import jax
import numpy as np
from flax import nnx
from flax.training.early_stopping import EarlyStopping

from anogen.outputs.signals import raise_if_interrupted
from anogen.train.config import TrainConfig, as_train_config
from anogen.train.inference import eval_diagnostics, map_chunks
from anogen.train.optim import optimizer_spec, shared_optimizer
from anogen.train.samples import bucket, check_model_data, pad_rows, sample_starts, split_samples, to_device
from anogen.train.parallel import epoch_function
from anogen.train.step import Hyper, TrainState
from anogen.types import AnogenError

__all__ = ["History", "fit"]


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
        recon_rel: per epoch, the monitored reconstruction MSE divided by the mean per-feature
            variance of the (scaled) training data: 1 = no better than predicting the mean.
        kl: per epoch, the mean KL divergence (nats per sample) on the monitor set (the
            validation set, else up to 1024 training samples).
        kl_dims: per epoch, the mean KL of each latent dimension (nats).
        active_dims: per epoch, latent dimensions whose posterior mean varies over the monitor
            set (variance > 0.01, Burda et al. 2016); 0 = posterior collapse.
    """

    train_loss: list[float] = dataclasses.field(default_factory=list)
    val_loss: list[float] = dataclasses.field(default_factory=list)
    recon: list[float] = dataclasses.field(default_factory=list)
    epochs_run: int = 0
    stopped: str = "max_epochs"
    seconds: float = 0.0
    best_epoch: int = 0
    compile_seconds: float = 0.0
    recon_rel: list[float] = dataclasses.field(default_factory=list)
    kl: list[float] = dataclasses.field(default_factory=list)
    kl_dims: list[list[float]] = dataclasses.field(default_factory=list)
    active_dims: list[int] = dataclasses.field(default_factory=list)


#: a latent dimension is active when the variance of its posterior mean over the data exceeds this
ACTIVE_VAR = 0.01

_MONITOR = 1024  # training samples diagnosed per epoch when there is no validation set


@dataclasses.dataclass
class _Run:
    """The device-side inputs of one fit (padded, see :func:`_prepare`)."""

    data: jax.Array
    train: jax.Array
    n_train: jax.Array
    val: jax.Array | None
    n_val: int
    window: int | None
    recon_weight: float
    monitor: jax.Array
    n_monitor: int
    data_var: float


def _prepare(model: Any, data: Any, config: TrainConfig, window: int | None, segments: Any) -> _Run:
    """Check the data, list and split the samples, and put everything on the device once.

    Shapes are padded so that data sets of nearby sizes (the folds of one data set) share the
    compiled epoch and validation: rows to :func:`~anogen.train.samples.bucket` size, training
    samples to whole batches (no extra step: the last batch is masked anyway), validation
    samples to bucket size (masked).
    """
    arr, window = check_model_data(model, data, window)
    if getattr(model, "likelihood", None) == "bernoulli" and (arr.min() < -1e-6 or arr.max() > 1 + 1e-6):
        raise AnogenError(
            f"{type(model).__name__} with likelihood='bernoulli' needs data scaled to [0, 1] (min-max scaling); "
            f"got values in [{arr.min():.4g}, {arr.max():.4g}]: use likelihood='gaussian' or min-max scale"
        )
    starts = sample_starts(len(arr), window, segments)
    train, val = split_samples(starts, float(config.val_split), window, len(arr))
    rw = model.default_recon_weight if config.recon_weight is None else config.recon_weight
    bs = config.batch_size
    mon = val if len(val) else train[:_MONITOR]
    return _Run(
        data=to_device(pad_rows(arr, bucket(len(arr)))),
        train=to_device(pad_rows(train, -(-len(train) // bs) * bs)),
        n_train=to_device(len(train), np.int32),
        val=to_device(pad_rows(val, bucket(len(val)))) if len(val) else None,
        n_val=len(val),
        window=window,
        recon_weight=float(rw),
        monitor=to_device(pad_rows(mon, bucket(len(mon)))),
        n_monitor=len(mon),
        data_var=_data_var(arr, segments),
    )


def _data_var(arr: np.ndarray, segments: Any) -> float:
    """Mean per-column variance of the rows the samples come from (inside ``segments``), float64."""
    rows = arr if segments is None else np.concatenate([arr[a:b] for a, b in np.asarray(segments, dtype=np.int64)])
    v = float(np.mean(rows.astype(np.float64).var(axis=0))) if len(rows) else 0.0
    return v if np.isfinite(v) and v > 0 else 1.0


def _hyper(config: TrainConfig, epoch: int, recon_weight: float) -> Hyper:
    """The 0-based ``epoch``'s run-time hyperparameters (KL warm-up: ``beta`` ramps up linearly; the
    1-based epoch number for a model whose loss depends on it, e.g. USAD)."""
    ramp = min(1.0, (epoch + 1) / config.kl_warmup_epochs) if config.kl_warmup_epochs > 0 else 1.0
    return Hyper.of(config.learning_rate, config.weight_decay, config.beta * ramp, recon_weight, config.free_bits,
                    epoch + 1)


def _diagnose(state: TrainState, run: _Run, key: jax.Array, config: TrainConfig) -> dict[str, Any]:
    """Loss (full KL weight, fixed key), reconstruction MSE, KL per dimension and active dimensions
    on the monitor set (the validation set, else the first training samples)."""
    extra = (to_device(config.beta, np.float32), to_device(run.recon_weight, np.float32))
    out = map_chunks(state.params, state.rest, run.data, run.monitor, key, extra, graphdef=state.graphdef,
                     fn=eval_diagnostics, window=run.window, chunk=min(int(run.monitor.shape[0]), 1024))  # fmt: skip
    loss, err, kl_dims, mu = (np.asarray(a, np.float64)[: run.n_monitor] for a in out)
    with np.errstate(over="ignore", invalid="ignore"):  # a diverged model: inf/NaN, reported as such
        kl_mean = kl_dims.mean(axis=0)
        active = int(np.sum(mu.var(axis=0) > ACTIVE_VAR))
        return {"loss": float(loss.mean()), "recon": float(err.mean()), "kl": float(kl_mean.sum()),
                "kl_dims": [float(v) for v in kl_mean], "active": active}


def _stop_reason(config: TrainConfig, losses: tuple[float, float], recon: float, stopper: EarlyStopping,
                 epoch: int) -> str | None:
    """Why training stops after this 0-based epoch (a :attr:`History.stopped` value), or ``None``."""
    if not all(math.isfinite(v) for v in losses):
        return "non_finite"
    if config.epsilon > 0 and recon < config.epsilon:
        return "epsilon"
    if stopper.should_stop and epoch + 1 >= config.min_epochs:
        return "early_stopping"
    return None


def _early_stopping(patience: int) -> EarlyStopping:
    """flax's EarlyStopping stops after ``patience + 1`` epochs without improvement; ours after ``patience``."""
    return EarlyStopping(min_delta=0.0, patience=patience - 1 if patience > 0 else math.inf)


def fit(
    model: Any, data: np.ndarray, *, config: TrainConfig | dict, seed: int, window: int | None = None,
    segments: np.ndarray | None = None,
) -> tuple[Any, History]:
    """Train ``model`` on scaled data; the parameters of the best epoch are restored into ``model``.

    Samples are rows (row models) or every stride-1 window of ``window`` rows inside one of
    ``segments`` (window models; ``window`` defaults to ``model.seq_len``). Validation holds
    out the *last* ``val_split`` of the samples in time order (training windows that share rows
    with a validation window are dropped). The monitored loss is the validation loss (full KL
    weight, fixed key) or, without a validation set, the epoch's training loss; the monitored
    reconstruction MSE is that of ``decode(mu)`` on the validation set (without one: of the
    training batches). Training stops after ``patience`` epochs without a lower monitored loss
    (counted from the end of the KL warm-up, and never before ``min_epochs``), when the monitored
    reconstruction MSE drops below ``epsilon``, at ``epochs``, or when a loss becomes NaN/inf.
    The restored parameters are those of the best monitored epoch after the warm-up (the last
    finite epoch when training ended inside the warm-up).

    Args:
        model: an anogen model (updated in place and returned).
        data: ``(n, d)`` float rows, already scaled. Not modified.
        config: a :class:`TrainConfig` or a mapping of its fields.
        seed: integer seed of every random draw (init is the model's own ``rngs``).
        window: window length for window models (``None`` = ``model.seq_len``); ``None`` for row models.
        segments: ``(k, 2)`` half-open row ranges windows must lie in; ``None`` = whole array.

    Returns:
        ``(model, history)``.

    Raises:
        AnogenError: invalid config, data, window or segments, or a loss that is NaN/inf from
            the first epoch on.
    """
    t_start = time.perf_counter()
    config = as_train_config(config)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise AnogenError(f"seed={seed!r} is invalid: expected an integer")
    run = _prepare(model, data, config, window, segments)
    state = TrainState.create(model, shared_optimizer(optimizer_spec(config)))
    best, hist = _train(state, run, config, jax.random.key(int(seed)), type(model).__name__)
    if best is None:
        raise AnogenError(
            f"training diverged: the loss is {hist.train_loss[-1]} in the first epoch",
            hint=f"lower trainer.learning_rate (now {config.learning_rate}) or check the data scaling",
            refs=("trainer.learning_rate",),
        )
    nnx.update(model, best)
    hist.seconds = time.perf_counter() - t_start
    return model, hist


def _record(hist: History, run: _Run, train_loss: float, diag: dict[str, Any], mon: tuple[float, float]) -> None:
    """Append one epoch to the history."""
    hist.train_loss.append(train_loss)
    hist.recon.append(mon[1])
    if run.val is not None:
        hist.val_loss.append(mon[0])
    hist.recon_rel.append(diag["recon"] / run.data_var)
    hist.kl.append(diag["kl"])
    hist.kl_dims.append(diag["kl_dims"])
    hist.active_dims.append(diag["active"])


def _train(state: TrainState, run: _Run, config: TrainConfig, key: jax.Array, label: str) -> tuple[Any, History]:
    """The epoch loop; returns the best parameters (``None`` if no epoch was finite) and the history."""
    from tqdm.auto import tqdm

    key, val_key = jax.random.split(key)
    train_epoch = epoch_function(config.batch_size, config.free_bits)  # data-parallel where it pays
    hist, stopper, best, last = History(), _early_stopping(config.patience), None, None
    bar = tqdm(total=config.epochs, desc=f"train {label}", unit="epoch", disable=not config.progress)
    with bar:
        for e in range(config.epochs):
            raise_if_interrupted()  # a safe point: an interrupt swallowed in JAX's GC callback ends the run here
            t_epoch = time.perf_counter()
            state, tl, tr = train_epoch(state, run.data, run.train, jax.random.fold_in(key, e),
                                        _hyper(config, e, run.recon_weight), batch_size=config.batch_size,
                                        window=run.window, n_valid=run.n_train)  # fmt: skip
            train_loss = float(tl)
            diag = _diagnose(state, run, val_key, config)
            mon = (diag["loss"], diag["recon"]) if run.val is not None else (train_loss, float(tr))
            _record(hist, run, train_loss, diag, mon)
            hist.epochs_run = e + 1
            if e == 0:
                hist.compile_seconds = time.perf_counter() - t_epoch
            bar.set_postfix({"loss": f"{train_loss:.4g}", "monitor": f"{mon[0]:.4g}"}, refresh=False)
            bar.update(1)
            if math.isfinite(mon[0]) and math.isfinite(train_loss):
                last = (state.params, e)
                if e + 1 >= config.kl_warmup_epochs:  # the KL weight is at its final value
                    stopper = stopper.update(mon[0])
                    if stopper.has_improved:
                        best, hist.best_epoch = state.params, e
            reason = _stop_reason(config, (train_loss, mon[0]), mon[1], stopper, e)
            if reason is not None:
                hist.stopped = reason
                break
    if best is None and last is not None:
        best, hist.best_epoch = last
    return best, hist
