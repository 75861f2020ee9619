"""Filter 1 of seed 001: decoded candidates must stay within the train limits plus a buffer.

Per column ``j`` the allowed interval is
``[min_j - buffer * range_j, max_j + buffer * range_j]`` with ``range_j = max_j - min_j`` of the
train data (the seed's "small percentage buffer": anomalies need not stay strictly inside the
train domain). ``domain: {column: [low, high]}`` replaces either end for that column with an
absolute limit (e.g. a relative humidity in ``[0, 100]``); a ``null`` end keeps the buffered train
limit, ``.inf``/``-.inf`` removes the limit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Annotated, Optional

import numpy as np
from pydantic import AfterValidator

from anogen.filters import Filter, check_candidates
from anogen.params import NonNegativeFloat, check_attributes
from anogen.types import AnogenError

__all__ = ["Bounds"]

_BLOCK = 1 << 18  # values compared per block


def _not_nan(v: float) -> float:
    if math.isnan(v):
        raise ValueError("must be a number or null, not NaN")
    return v


#: one end of a domain interval: a number (``.inf``/``-.inf`` remove the limit) or null (keep the train limit)
Limit = Optional[Annotated[float, AfterValidator(_not_nan)]]


def _pairs(domain: object) -> list[tuple[str, tuple]]:
    """The well-formed ``(column, (low, high))`` items of ``domain`` (the rest is left to the type check)."""
    if not isinstance(domain, Mapping):
        return []
    return [(str(c), tuple(v)) for c, v in domain.items() if isinstance(v, (list, tuple)) and len(v) == 2
            and all(e is None or isinstance(e, (int, float)) for e in v)]


class Bounds(Filter):
    """Keep candidates whose every value lies within the (buffered) train limits.

    Args:
        buffer: fraction of each column's train range added below the minimum and above the
            maximum (``0`` = the strict train limits of the seed's code; >= 0).
        domain: optional ``{column: [low, high]}``; a number replaces that end of the buffered
            train limit, ``None`` keeps it. ``low`` must not exceed ``high``.

    Attributes:
        low_: ``(d,)`` lower limits after ``fit``.
        high_: ``(d,)`` upper limits after ``fit``.
        rejected_by_column_: ``(d,)`` how many candidates each column put out of bounds so far
            (a candidate out of bounds in two columns counts in both).
    """

    name = "bounds"

    def __init__(self, buffer: NonNegativeFloat = 0.05,
                 domain: dict[str, tuple[Limit, Limit]] | None = None) -> None:
        self.buffer = buffer
        self.domain = domain
        for col, (lo, hi) in _pairs(domain):
            if lo is not None and hi is not None and lo > hi:
                raise AnogenError(f"filters.bounds.domain.{col}: low {float(lo)} is greater than high {float(hi)}")
        self.low_: np.ndarray | None = None
        self.high_: np.ndarray | None = None
        self.columns_: tuple[str, ...] = ()
        self.rejected_by_column_: np.ndarray | None = None

    def __repr__(self) -> str:
        return f"Bounds(buffer={self.buffer}, domain={self.domain or None})"

    def fit(self, *, z_normal: np.ndarray | None = None, x_train: np.ndarray,
            columns: tuple[str, ...] | Sequence[str]) -> "Bounds":
        """Compute the limits from the train data.

        Args:
            z_normal: unused (protocol argument).
            x_train: ``(n, d)`` train data in original units.
            columns: the ``d`` column names.

        Returns:
            self.

        Raises:
            AnogenError: an invalid parameter, an unknown column in ``domain``, empty or non-finite
                train data, or a domain end that leaves an empty interval with the train limit it keeps.
        """
        check_attributes(self, "filters.bounds")
        x = np.asarray(x_train, dtype=np.float64)
        columns = tuple(columns)
        if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] != len(columns):
            raise AnogenError(
                f"filters.bounds: train data must be (n>0, {len(columns)}), got shape {x.shape}")
        if not np.isfinite(x).all():
            raise AnogenError("filters.bounds: the train data contains NaN or inf")
        domain = dict(self.domain or {})
        for col in domain:
            if col not in columns:
                raise AnogenError(
                    f"filters.bounds.domain: unknown column {col!r}; valid columns: {list(columns)}")
        mn, mx = x.min(axis=0), x.max(axis=0)
        rng = mx - mn
        low, high = mn - self.buffer * rng, mx + self.buffer * rng
        for col, (lo, hi) in domain.items():
            j = columns.index(col)
            if lo is not None:
                low[j] = float(lo)
            if hi is not None:
                high[j] = float(hi)
            if low[j] > high[j]:
                raise AnogenError(
                    f"filters.bounds.domain.{col}: the interval [{low[j]}, {high[j]}] is empty "
                    f"(train range of {col!r} is [{mn[j]}, {mx[j]}])")
        self.low_, self.high_, self.columns_ = low, high, columns
        self.rejected_by_column_ = np.zeros(len(columns), dtype=np.int64)
        return self

    def __call__(self, z: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Keep-mask of the candidates inside the limits.

        Args:
            z: ``(b, k)`` latent points (unused apart from shape checks).
            x: ``(b, d)`` rows or ``(b, L, d)`` windows in original units; a window is kept only
                if every time step is inside. NaN values are out of bounds.

        Returns:
            ``(b,)`` bool.
        """
        if self.low_ is None or self.high_ is None:
            raise AnogenError("filters.bounds: call fit(...) before filtering")
        z, x = check_candidates(z, x, self.name)
        d = self.low_.shape[0]
        if x.shape[-1] != d:
            raise AnogenError(f"filters.bounds: candidates have {x.shape[-1]} columns, fitted on {d}")
        b = x.shape[0]
        if x.ndim == 3:  # a window is inside when each of its L steps is: compare (b, L*d) rows
            steps = x.shape[1]
            if steps == 0:
                return np.ones(b, dtype=bool)
            x2 = x.reshape(b, steps * d)
            low, high = np.tile(self.low_, steps), np.tile(self.high_, steps)
        else:
            steps, x2, low, high = 1, x, self.low_, self.high_
        keep = np.empty(b, dtype=bool)
        width = x2.shape[1]
        block = max(1, _BLOCK // max(width, 1))  # rows per block: the bool temporaries stay in cache
        ins = np.empty((min(block, b), width), dtype=bool)
        tmp = np.empty_like(ins)
        for s in range(0, b, block):
            xb = x2[s:s + block]
            m = xb.shape[0]
            i = np.greater_equal(xb, low, out=ins[:m])  # NaN fails both comparisons
            np.less_equal(xb, high, out=tmp[:m])
            i &= tmp[:m]
            k = np.logical_and.reduce(i, axis=1, out=keep[s:s + m])
            if not k.all():
                out = ~i[~k].reshape(-1, steps, d).all(axis=1)  # (rejected, d)
                self.rejected_by_column_ += out.sum(axis=0)
        return keep

    def covers(self, low: np.ndarray, high: np.ndarray) -> bool:
        """Whether every value in the per-column ranges ``[low, high]`` is inside the limits.

        A sampler asks this with the range its decoder can produce (a sigmoid decoder on min-max
        scaled data can only produce values inside the train range): ``True`` means this filter
        can reject nothing, which the sampler reports.
        """
        if self.low_ is None or self.high_ is None:
            raise AnogenError("filters.bounds: call fit(...) before asking what it covers")
        return bool(np.all(np.asarray(low) >= self.low_) and np.all(np.asarray(high) <= self.high_))

    def report(self) -> dict[str, int]:
        """``{column: candidates rejected by that column}`` so far."""
        if self.rejected_by_column_ is None:
            return {}
        return {c: int(v) for c, v in zip(self.columns_, self.rejected_by_column_)}
