"""Samples of a model: input checks, start rows of rows/windows, the validation split, the device gather.

A *sample* is a row (row models, ``window=None``) or a stride-1 window of ``window`` rows (window
models). The data go to the device once as ``(n, d)``; a sample is addressed by its start row and
a batch of windows is gathered on the device as ``data[starts[:, None] + arange(L)]``, so the
``(n_windows, L, d)`` array never exists.

Padded shapes (:func:`bucket`): compiled functions see the number of rows and of samples rounded
up to a few sizes per octave, so a new data length does not compile a new program.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from anogen.data.windows import window_starts
from anogen.types import AnogenError

__all__ = ["bucket", "check_model_data", "gather", "pad_rows", "sample_starts", "split_samples", "to_device"]


def to_device(a: Any, dtype: Any = None) -> jax.Array:
    """``a`` on the default device (as ``jnp.asarray(a, dtype)``, same values) without compiling anything.

    ``jnp.asarray`` of a NumPy array compiles and runs a small copy program per shape and dtype
    (``jit(stage)``, ``jit(convert_element_type)``: ~10-30 ms each to trace, lower and compile,
    and the persistent cache keeps none of them); ``jax.device_put`` of a host array of the right
    dtype is a plain transfer.
    """
    arr = np.asarray(a, dtype)
    if arr.dtype == np.float64:  # what jnp.asarray gives without x64
        arr = arr.astype(np.float32)
    elif arr.dtype == np.int64:
        arr = arr.astype(np.int32)
    return jax.device_put(arr)


def bucket(n: int, minimum: int = 16) -> int:
    """Padded size of ``n``: the smallest ``m * 2**k >= n`` with ``8 <= m < 16`` (at most 1/8 padding).

    Args:
        n: a count of rows or samples.
        minimum: smallest size returned.
    """
    n = max(int(n), int(minimum), 1)
    shift = max(n.bit_length() - 4, 0)
    return -(-n >> shift) << shift


def pad_rows(arr: np.ndarray, size: int) -> np.ndarray:
    """``arr`` with zero rows appended up to ``size`` rows (no copy when already that long)."""
    if len(arr) >= size:
        return arr
    pad = np.zeros((size - len(arr), *arr.shape[1:]), arr.dtype)
    return np.concatenate([arr, pad])


def gather(data: jax.Array, starts: jax.Array, window: int | None) -> jax.Array:
    """Samples from device data: ``(B, d)`` rows (``window=None``) or ``(B, L, d)`` windows.

    Args:
        data: ``(n, d)`` rows.
        starts: ``(B,)`` start rows.
        window: window length ``L``, or ``None`` for rows.
    """
    if window is None:
        return data[starts]
    return data[starts[:, None] + jnp.arange(window, dtype=starts.dtype)[None, :]]


def check_model_data(model: Any, data: Any, window: int | None, name: str = "data") -> tuple[np.ndarray, int | None]:
    """Check ``(n, d)`` data for a model and resolve the window length.

    Args:
        model: an anogen model (``kind``, ``n_features``, ``seq_len`` for window models).
        data: ``(n, d)`` real numbers.
        window: window length (window models; ``None`` = ``model.seq_len``); ``None`` for row models.
        name: name used in messages.

    Returns:
        ``(float32 array, window)``; ``window`` is ``None`` for row models.

    Raises:
        AnogenError: wrong shape, dtype, column count or window, NaN/inf, or not an anogen model.
    """
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
        window = model.seq_len if window is None else window
        if window != model.seq_len:
            raise AnogenError(f"window={window} does not match the model's seq_len={model.seq_len}")
    elif kind == "row":
        if window is not None:
            raise AnogenError(f"window={window} given for a row model ({type(model).__name__}): use window=None")
    else:
        raise AnogenError(f"{type(model).__name__} is not an anogen model (kind must be 'window' or 'row')")
    return arr, window


def sample_starts(n: int, window: int | None, segments: np.ndarray | None) -> np.ndarray:
    """``(m,)`` int32 start rows of every sample: all rows, or every stride-1 window inside ``segments``.

    Raises:
        AnogenError: no rows, segments given for a row model, bad segments, or no window fits.
    """
    if window is None:
        if segments is not None:
            raise AnogenError("segments are only used with window models (window=None here)")
        if n < 1:
            raise AnogenError("data has no rows")
        return np.arange(n, dtype=np.int32)
    return window_starts(n, window, segments, allow_empty=False).astype(np.int32)


def split_samples(
    starts: np.ndarray, val_split: float, window: int | None, n_rows: int
) -> tuple[np.ndarray, np.ndarray]:
    """Hold out the *last* ``val_split`` fraction of the samples (time order) for validation.

    Training windows that share rows with a validation window are dropped.

    Args:
        starts: ``(m,)`` sample start rows, ascending.
        val_split: fraction in ``[0, 1)``; 0 = no validation set.
        window: window length, or ``None`` for rows.
        n_rows: number of data rows.

    Returns:
        ``(train_starts, val_starts)``.

    Raises:
        AnogenError: no training sample is left.
    """
    n = len(starts)
    n_val = max(1, int(round(val_split * n))) if val_split > 0 else 0
    if n - n_val < 1:
        raise AnogenError(
            f"{val_split} leaves no training samples out of {n}: lower it or provide more data",
            key="trainer.val_split", sep="=",
        )
    train, val = starts[: n - n_val], starts[n - n_val :]
    if n_val and window is not None:
        in_val = np.zeros(n_rows + 1, np.int64)  # +1 at a validation start, -1 at its end
        np.add.at(in_val, val, 1)
        np.add.at(in_val, val + window, -1)
        covered = np.concatenate([[0], np.cumsum(np.cumsum(in_val)[:-1] > 0)])
        train = train[covered[train + window] - covered[train] == 0]
        if len(train) == 0:
            raise AnogenError(
                f"{val_split} leaves no training window that does not overlap the validation windows",
                key="trainer.val_split", sep="=",
            )
    return train, val
