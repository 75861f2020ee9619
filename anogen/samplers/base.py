"""The sampler protocol: samplers *plan* slots, placement *allocates* them, samplers *fill* them.

Two phases let several samplers share one fold without overlapping (``sampler=compose``):

1. ``plan(ctx, rng) -> list[SlotRequest]``: how many anomalies of which length and mode.
2. :func:`anogen.placement.allocate` picks non-overlapping start positions for all requests of
   all samplers at once (uniformly at random, honouring ``min_gap`` and eligibility masks).
3. ``fill(ctx, slots, rng) -> list[Edit]``: the anomalous rows for each allocated slot.
4. :func:`anogen.placement.apply_edits` writes the edits into the clean fold and returns an
   :class:`~anogen.types.Injected` whose labels are exactly the changed or inserted rows.

:func:`anogen.samplers.generate_fold` runs the four steps. A sampler keeps no state between
``plan`` and ``fill``: whatever ``plan`` decided for a slot (a kind, its parameters) rides on
``SlotRequest.payload`` and comes back as ``Slot.payload``. :class:`~anogen.samplers.compose.Compose`
is a sampler made of samplers (its plan concatenates theirs; its fill routes each slot back).
Constructor parameters are typed (:mod:`anogen.params`): :func:`anogen.config.build` checks a
config, :func:`anogen.params.check_attributes` checks a sampler built in Python at its first ``plan``.

:class:`SlotRequest` and :class:`Slot` live in :mod:`anogen.placement` (which allocates them, one
floor below the samplers) and are re-exported here for samplers.

:class:`Sampler` is an abstract base class: a subclass that does not define ``plan`` and ``fill``
cannot be instantiated (``TypeError``). A class that defines both without subclassing it (a
duck-typed plug-in) still passes ``isinstance(obj, Sampler)``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from anogen.params import Ratio, check_value
from anogen.placement import Slot, SlotRequest
from anogen.types import AnogenError, Edit, Fold

__all__ = ["SlotRequest", "Slot", "SampleContext", "Sampler", "resolve_columns", "anomaly_count", "config_node"]


@dataclass
class SampleContext:
    """Everything a sampler may use for one fold.

    Attributes:
        fold: the clean fold (original units).
        mean: ``(d,)`` train mean per column.
        std: ``(d,)`` train standard deviation per column (zeros replaced by 1).
        lo: ``(d,)`` train minimum per column.
        hi: ``(d,)`` train maximum per column.
        scaler: the fitted scaler (``transform``/``inverse_transform`` on ``(n, d)`` arrays), used by
            model-based samplers; ``None`` when no model is involved.
        model: trained generative model or ``None``.
        seed: integer seed of this fold's sampling stage (for JAX keys).
        extra: free-form (e.g. latent codes for plots), filled by samplers.
    """

    fold: Fold
    mean: np.ndarray
    std: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    scaler: Any = None
    model: Any = None
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_fold(cls, fold: Fold, **kw: Any) -> "SampleContext":
        train = fold.train
        std = train.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        return cls(fold=fold, mean=train.mean(axis=0), std=std, lo=train.min(axis=0),
                   hi=train.max(axis=0), **kw)

    @property
    def n_test(self) -> int:
        return int(self.fold.test.shape[0])


class Sampler(ABC):
    """What every sampler implements (see module docstring); subclass it.

    A subclass must define :meth:`plan` and :meth:`fill` (else instantiating it raises
    ``TypeError``) and should set ``name`` (its result key).
    """

    name: str

    @abstractmethod
    def plan(self, ctx: SampleContext, rng: np.random.Generator) -> list[SlotRequest]:
        """How many anomalies of which length and mode (see module docstring)."""

    @abstractmethod
    def fill(self, ctx: SampleContext, slots: list[Slot], rng: np.random.Generator) -> list[Edit]:
        """The anomalous rows for each allocated slot (see module docstring)."""

    @classmethod
    def __subclasshook__(cls, other: type) -> Any:
        """A class with ``plan`` and ``fill`` is a sampler for ``isinstance`` (duck-typed plug-ins)."""
        if cls is Sampler:
            has = [any(m in vars(k) and vars(k)[m] is not None for k in other.__mro__) for m in ("plan", "fill")]
            return True if all(has) else NotImplemented
        return NotImplemented


def resolve_columns(requested: list[str] | tuple[str, ...] | None, available: tuple[str, ...],
                    key: str = "sampler.columns") -> tuple[list[int], tuple[str, ...]]:
    """Map column names to positions; empty/None = all columns.

    Raises:
        AnogenError: naming the unknown column and the valid ones.
    """
    if not requested:
        return list(range(len(available))), tuple(available)
    idx = []
    for c in requested:
        if c not in available:
            raise AnogenError(f"unknown column {c!r}; valid columns: {list(available)}", key=key)
        idx.append(available.index(c))
    return idx, tuple(requested)


def anomaly_count(n: int, ratio: float, key: str = "sampler.ratio") -> int:
    """``int(n * ratio)`` anomalous rows (the seed's rule), at least 1.

    Raises:
        AnogenError: ratio is not a :data:`~anogen.params.Ratio` (in (0, 0.5]), naming ``key``.
    """
    return max(1, int(n * check_value(ratio, Ratio, key)))


def config_node(cls: type, **params: Any) -> dict[str, Any]:
    """The config node that :func:`anogen.config.build` turns into ``cls(**params)``.

    Code that writes sampler, kind or data nodes names the class itself, never a hand-written dotted
    string, so renaming or moving a class breaks an import (seen by the import graph and the tests),
    not a user's run.
    """
    return {"_target_": f"{cls.__module__}.{cls.__qualname__}", **params}
