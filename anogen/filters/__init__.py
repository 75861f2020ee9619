"""Filters for latent samplers: keep only candidates that are realistic and not normal.

A filter is fitted once per fold and then called on batches of candidates:

* ``fit(*, z_normal, x_train, columns) -> self``: ``z_normal`` ``(m, k)`` latent codes of the normal
  data, ``x_train`` ``(n, d)`` train data in original units, ``columns`` the ``d`` feature names.
* ``filter(z, x) -> (b,) bool`` keep-mask: ``z`` ``(b, k)`` candidate latent points, ``x`` their
  decoded values in original units, ``(b, d)`` rows or ``(b, L, d)`` windows.

Filters are applied in order (``filters: [bounds, cluster]``), each one only on the survivors of the
previous ones, and each reports how many candidates it saw and kept (:func:`apply_filters`).

:class:`Filter` is an abstract base class: a subclass that does not define ``fit`` and ``__call__``
cannot be instantiated (``TypeError``); a class that defines both without subclassing it still
passes ``isinstance(obj, Filter)``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from anogen.types import AnogenError

__all__ = ["Filter", "FilterReport", "apply_filters", "check_candidates"]


class Filter(ABC):
    """What every filter implements (see module docstring); subclass it.

    A subclass must define :meth:`fit` and :meth:`__call__` (else instantiating it raises
    ``TypeError``) and should set ``name`` (its report key).
    """

    name: str

    @abstractmethod
    def fit(self, *, z_normal: np.ndarray, x_train: np.ndarray, columns: tuple[str, ...]) -> "Filter":
        """Fit on the fold's normal latent codes and train data; returns self."""

    @abstractmethod
    def __call__(self, z: np.ndarray, x: np.ndarray) -> np.ndarray:
        """``(b,)`` bool keep-mask of a batch of candidates (see module docstring)."""

    @classmethod
    def __subclasshook__(cls, other: type) -> Any:
        """A class with ``fit`` and ``__call__`` is a filter for ``isinstance`` (duck-typed plug-ins)."""
        if cls is Filter:
            has = [any(m in vars(k) and vars(k)[m] is not None for k in other.__mro__) for m in ("fit", "__call__")]
            return True if all(has) else NotImplemented
        return NotImplemented


@dataclass
class FilterReport:
    """Acceptance of one filter over all the batches it was applied to.

    Attributes:
        name: filter name.
        seen: candidates the filter was asked about (survivors of the filters before it).
        kept: candidates it kept.
    """

    name: str
    seen: int = 0
    kept: int = 0

    @property
    def acceptance(self) -> float:
        """``kept / seen`` (``nan`` before any candidate was seen)."""
        return self.kept / self.seen if self.seen else float("nan")

    @property
    def rejected(self) -> int:
        return self.seen - self.kept

    def to_dict(self) -> dict[str, float | int | str]:
        return {"name": self.name, "seen": int(self.seen), "kept": int(self.kept),
                "acceptance": float(self.acceptance)}


def check_candidates(z: np.ndarray, x: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Validate a batch: ``z`` ``(b, k)``, ``x`` ``(b, d)`` or ``(b, L, d)`` with the same ``b``.

    Returns:
        ``z`` and ``x`` as float arrays.

    Raises:
        AnogenError: wrong ranks or mismatched batch sizes.
    """
    z = np.asarray(z, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    if z.ndim != 2:
        raise AnogenError(f"filter {name!r}: latent candidates must be (b, k), got shape {z.shape}")
    if x.ndim not in (2, 3):
        raise AnogenError(f"filter {name!r}: decoded candidates must be (b, d) or (b, L, d), got shape {x.shape}")
    if x.shape[0] != z.shape[0]:
        raise AnogenError(f"filter {name!r}: {z.shape[0]} latent points but {x.shape[0]} decoded candidates")
    return z, x


def apply_filters(filters: Sequence[Filter] | Mapping[str, Filter], z: np.ndarray, x: np.ndarray,
                  reports: dict[str, FilterReport] | None = None) -> tuple[np.ndarray, dict[str, FilterReport]]:
    """Apply fitted filters in order, each to the survivors of the previous ones.

    Args:
        filters: fitted filters, a sequence or a ``{name: filter}`` mapping (insertion order).
        z: ``(b, k)`` candidate latent points.
        x: ``(b, d)`` or ``(b, L, d)`` decoded candidates in original units.
        reports: running reports to update in place (pass the returned dict back in for the
            next batch to accumulate acceptance over batches); ``None`` starts new ones.

    Returns:
        ``(keep, reports)``: ``keep`` ``(b,)`` bool mask of the candidates every filter kept;
        ``reports`` ``{name: FilterReport}`` in filter order.
    """
    items = list(filters.items()) if isinstance(filters, Mapping) else [(f.name, f) for f in filters]
    reports = {} if reports is None else reports
    z, x = check_candidates(z, x, "filters")
    alive = np.arange(z.shape[0])
    for key, f in items:
        rep = reports.setdefault(key, FilterReport(key))
        if alive.size == 0:
            continue
        k = np.asarray(f(z[alive], x[alive]), dtype=bool)
        if k.shape != alive.shape:
            raise AnogenError(f"filter {key!r} returned a mask of shape {k.shape}, expected {alive.shape}")
        rep.seen += int(alive.size)
        rep.kept += int(k.sum())
        alive = alive[k]
    keep = np.zeros(z.shape[0], dtype=bool)
    keep[alive] = True
    return keep, reports
