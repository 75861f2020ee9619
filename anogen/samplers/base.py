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
config, :func:`check_attributes` checks a sampler built in Python at its first ``plan``.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from anogen.params import Ratio, check_params, check_value
from anogen.types import AnogenError, Edit, Fold

__all__ = ["SlotRequest", "Slot", "SampleContext", "Sampler", "resolve_columns", "anomaly_count",
           "check_attributes"]


@dataclass(frozen=True)
class SlotRequest:
    """A request for room in the clean test fold.

    Attributes:
        length: rows the anomaly spans in the clean fold (``replace``) or rows it inserts
            (``insert``; an insert takes no clean rows but still keeps ``min_gap`` to others).
        mode: ``"replace"`` or ``"insert"``.
        eligible: optional ``(n_test,)`` bool mask of allowed *start* positions (e.g. rows where a
            relative change is not a no-op). ``None`` = every start that fits.
        payload: anything ``plan`` computed that ``fill`` needs (the kind and its parameters, the
            child sampler of a :class:`~anogen.samplers.compose.Compose`); copied unchanged into
            :attr:`Slot.payload`, so a sampler keeps no state between ``plan`` and ``fill``.
    """

    length: int
    mode: Literal["replace", "insert"] = "replace"
    eligible: np.ndarray | None = field(default=None, compare=False)
    payload: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class Slot:
    """An allocated room: ``start`` in the clean fold; ``length``, ``mode`` and ``payload`` as requested."""

    start: int
    length: int
    mode: Literal["replace", "insert"] = "replace"
    payload: Any = field(default=None, compare=False)


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


@runtime_checkable
class Sampler(Protocol):
    """What every sampler implements (see module docstring)."""

    name: str

    def plan(self, ctx: SampleContext, rng: np.random.Generator) -> list[SlotRequest]: ...

    def fill(self, ctx: SampleContext, slots: list[Slot], rng: np.random.Generator) -> list[Edit]: ...


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
            raise AnogenError(f"{key}: unknown column {c!r}; valid columns: {list(available)}")
        idx.append(available.index(c))
    return idx, tuple(requested)


def anomaly_count(n: int, ratio: float, key: str = "sampler.ratio") -> int:
    """``int(n * ratio)`` anomalous rows (the seed's rule), at least 1.

    Raises:
        AnogenError: ratio is not a :data:`~anogen.params.Ratio` (in (0, 0.5]), naming ``key``.
    """
    return max(1, int(n * check_value(ratio, Ratio, key)))


def check_attributes(obj: Any, key: str) -> None:
    """Validate the constructor parameters an object keeps under their own names (scikit-learn style).

    :func:`anogen.config.build` checks a config before the object exists; this checks an object
    built directly in Python (``Noise(direction="x")``) at its first use, against the same
    annotations, with the same one-line message (``sampler.direction: must be 'p', 'n' or 'both'``).

    Raises:
        AnogenError: one line naming ``key.param`` and what is valid.
    """
    names = inspect.signature(type(obj)).parameters
    check_params(type(obj), {n: getattr(obj, n) for n in names if hasattr(obj, n)}, key)
