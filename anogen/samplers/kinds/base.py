"""What an anomaly kind of ``sampler=inject`` is: one frozen dataclass with typed parameters.

A kind changes ONE column over a segment of the clean test fold. Writing a new one takes one
Python file and one YAML entry (no registry to edit)::

    # mypkg/dropout.py
    from dataclasses import dataclass
    from typing import ClassVar

    import numpy as np

    from anogen.params import Probability
    from anogen.samplers.kinds.base import AnomalyKind, Segment

    @dataclass(frozen=True)
    class Dropout(AnomalyKind):
        "Each row replaced by 0 with probability ``p``."

        name: ClassVar[str] = "dropout"
        family: ClassVar[str] = "point"  # for the selection battery (optional for a plug-in)
        p: Probability = 0.5

        def apply(self, seg: Segment, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
            keep = rng.random(seg.length) >= self.p
            return np.where(keep, seg.values, 0.0), {"p": self.p}

    # the sampler config (e.g. conf/sampler/inject.yaml or an experiment):
    catalog:
      dropout: {_target_: mypkg.dropout.Dropout, p: 0.3}

The catalog key (``dropout``) is the event's kind label and the name ``sampler.kinds`` selects it
by; parameter errors name ``sampler.catalog.dropout.p``. Rows an ``apply`` leaves exactly
unchanged are nudged by the sampler, so labels always cover whole events (a kind whose events are
sparse by nature, such as ``outlier_cluster``, sets ``nudge = False``: its labels are then the rows
it changed, one event per contiguous run).

Every kind also takes the placement controls (keyword-only fields of this base class, ``None`` =
the sampler's own ``position`` / ``creeping`` / ``channels``), applied by the sampler, never by the
kind: ``position`` (``random``, ``beginning``, ``middle``, ``end`` = a third of the fold, or a list
of exact start rows), ``creeping`` (a ramp-in: rows, or a fraction of the event, over which the
anomaly fades in linearly from the clean values) and ``channels`` (how many columns one event
changes at once, or ``all``).

This module is deliberately written without ``from __future__ import annotations``: the placement
fields' types must stay objects so that kinds defined in other modules resolve them.
"""

import dataclasses
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, Union

import numpy as np
from pydantic import PlainValidator

from anogen.params import check_params
from anogen.samplers.base import SampleContext

__all__ = ["AnomalyKind", "Segment", "WindowScan", "Direction", "PositiveSpread", "FactorSpread", "spread",
           "word_or_number",
           "draw", "sign", "nudge_off", "NUDGE", "Position", "Creeping", "Channels", "SECTIONS", "PLACEMENT",
           "creep_rows", "ramp"]

#: std units: how far the sampler moves a row a transform left exactly unchanged
NUDGE = 0.01

def word_or_number(*words: str) -> Any:
    """A parameter type: one of ``words`` or a finite number (``flatline``'s ``hold|mean|x``)."""
    listed = ", ".join(repr(w) for w in words)

    def check(v: Any) -> str | float:
        if isinstance(v, str) and v in words:
            return v
        if not isinstance(v, (str, bool)):
            try:
                f = float(v)
            except (TypeError, ValueError):
                f = math.nan
            if math.isfinite(f):
                return f
        raise ValueError(f"must be {listed} or a finite number")
    return Annotated[Union[str, float], PlainValidator(check)]


#: ``up``, ``down`` or ``both`` (a random sign per event)
Direction = Literal["up", "down", "both"]


def _spread_check(gt: float):
    def check(v: Any) -> float | tuple[float, float]:
        pair = isinstance(v, (list, tuple))
        vals = list(v) if pair else [v]
        if pair and len(vals) != 2:
            raise ValueError("must be a number or a range [low, high]")
        out = []
        for x in vals:
            try:
                if isinstance(x, bool):
                    raise TypeError
                f = float(x)
            except (TypeError, ValueError):
                raise ValueError("must be a number or a range [low, high]") from None
            if not math.isfinite(f):
                raise ValueError("must be finite")
            if not f > gt:
                raise ValueError(f"must be > {gt:g}")
            out.append(f)
        if pair and out[0] > out[1]:
            raise ValueError(f"range low {out[0]:g} is greater than high {out[1]:g}")
        return (out[0], out[1]) if pair else out[0]

    return check


def spread(gt: float) -> Any:
    """The type of a magnitude: a number ``> gt``, or a range ``[low, high]`` of such numbers
    (drawn uniformly per event by :func:`draw`); a range is kept as a ``(low, high)`` tuple."""
    return Annotated[Union[float, tuple[float, float]], PlainValidator(_spread_check(gt))]


#: a number > 0 or a range [low, high] of them
PositiveSpread = spread(0.0)
#: a number > 1 or a range [low, high] of them (a factor and its inverse)
FactorSpread = spread(1.0)


#: the named positions: anywhere, or start in the first / middle / last third of the fold
SECTIONS = ("random", "beginning", "middle", "end")
#: the placement controls every kind takes (keyword-only fields of :class:`AnomalyKind`)
PLACEMENT = ("position", "creeping", "channels")


def _position(v: Any) -> str | tuple[int, ...]:
    if isinstance(v, str):
        if v in SECTIONS:
            return v
    elif isinstance(v, (list, tuple)) and v:
        out = []
        for x in v:
            if isinstance(x, bool) or not isinstance(x, (int, np.integer, float)) or int(x) != x or x < 0:
                raise ValueError("exact start rows must be whole numbers >= 0")
            out.append(int(x))
        if len(set(out)) != len(out):
            raise ValueError("lists a start row twice")
        return tuple(sorted(out))
    raise ValueError("must be 'random', 'beginning', 'middle', 'end' or a list of start rows")


def _creeping(v: Any) -> float | int:
    try:
        if isinstance(v, bool):
            raise TypeError
        f = float(v)
    except (TypeError, ValueError):
        f = math.nan
    if math.isfinite(f) and f == 0:
        return 0
    if math.isfinite(f) and 0 < f < 1:
        return f
    if math.isfinite(f) and f >= 1 and f == int(f):
        return int(f)
    raise ValueError("must be 0, a fraction of the event in (0, 1) or a whole number of rows >= 1")


def _channels(v: Any) -> int | str:
    if v == "all":
        return "all"
    if not isinstance(v, bool) and isinstance(v, (int, np.integer, float)) and int(v) == v and v >= 1:
        return int(v)
    raise ValueError("must be a whole number of columns >= 1 or 'all'")


#: ``random``, ``beginning``, ``middle``, ``end`` or a list of exact start rows
Position = Annotated[Union[str, tuple[int, ...]], PlainValidator(_position)]
#: ramp-in: 0 (none), a fraction of the event in (0, 1), or whole rows >= 1
Creeping = Annotated[Union[int, float], PlainValidator(_creeping)]
#: columns one event changes at once: a number >= 1 or ``all``
Channels = Annotated[Union[int, str], PlainValidator(_channels)]


def creep_rows(creeping: float | int, length: int) -> int:
    """Rows of the ramp-in of a ``length``-row event (a fraction is rounded; the last row is
    always at full strength, so at most ``length - 1``)."""
    rows = int(round(creeping * length)) if isinstance(creeping, float) else int(creeping)
    return max(0, min(rows, length - 1))


def ramp(length: int, rows: int) -> np.ndarray:
    """``(length,)`` weights of a creeping onset: ``(i + 1) / (rows + 1)`` on the first ``rows``
    rows (never 0, so every row changes), then 1."""
    w = np.ones(length, dtype=np.float64)
    if rows > 0:
        w[:rows] = np.arange(1, rows + 1, dtype=np.float64) / (rows + 1)
    return w


def draw(spec: float | tuple[float, float], rng: np.random.Generator) -> float:
    """A number as is, or a uniform draw from ``(low, high)`` (no draw when ``low == high``)."""
    if isinstance(spec, (tuple, list)):
        return float(rng.uniform(spec[0], spec[1])) if spec[1] > spec[0] else float(spec[0])
    return float(spec)


def sign(direction: str, rng: np.random.Generator) -> float:
    """``+1`` (up), ``-1`` (down) or a random one of them (both)."""
    if direction == "both":
        return float(rng.choice([-1.0, 1.0]))
    return 1.0 if direction == "up" else -1.0


def nudge_off(v: float, x: np.ndarray, step: float) -> float:
    """``v`` moved (by less than the gap to the nearest other value of ``x``, at most ``step``)
    so that no value of ``x`` equals it."""
    if not (x == v).any():
        return v
    others = np.abs(x[x != v] - v)
    gap = float(others.min()) if others.size else math.inf
    w = min(0.5 * gap, step)
    return v + w if v + w != v else float(np.nextafter(v, math.inf))


@dataclass(frozen=True)
class Segment:
    """The clean rows one event replaces, and what a kind may read around them.

    Attributes:
        ctx: the fold's sampling context (``ctx.fold`` the clean fold, ``ctx.std`` train stds).
        test: ``(n, d)`` float64 clean test fold.
        column: index of the column the event changes.
        start: first row of the segment.
        length: rows ``L`` of the segment.
        cache: memo shared by the events of one ``fill`` call (e.g. a column's dominant period).
        current: ``(L,)`` values of the segment so far when kinds are stacked (``combine``):
            the next kind transforms these instead of the clean values; ``None`` = clean.
    """

    ctx: SampleContext
    test: np.ndarray
    column: int
    start: int
    length: int
    cache: dict = dataclasses.field(default_factory=dict, compare=False)
    current: np.ndarray | None = dataclasses.field(default=None, compare=False)

    @property
    def values(self) -> np.ndarray:
        """``(L,)`` values of the column in the segment (clean, or ``current`` when stacked)."""
        if self.current is not None:
            return self.current
        return self.test[self.start:self.start + self.length, self.column]

    @property
    def clean(self) -> np.ndarray:
        """``(L,)`` clean values of the column in the segment."""
        return self.test[self.start:self.start + self.length, self.column]

    @property
    def series(self) -> np.ndarray:
        """``(n,)`` the whole test column (clean; with ``current`` written in when stacked)."""
        col = self.test[:, self.column]
        if self.current is None:
            return col
        col = col.copy()
        col[self.start:self.start + self.length] = self.current
        return col

    @property
    def std(self) -> float:
        """Train standard deviation of the column (zeros replaced by 1)."""
        return float(self.ctx.std[self.column])

    @property
    def train(self) -> np.ndarray:
        """``(n_train,)`` the clean train column."""
        return self.ctx.fold.train[:, self.column]

    @property
    def column_name(self) -> str:
        return self.ctx.fold.columns[self.column]


class WindowScan:
    """Window statistics of the columns an event may change, cached per plan.

    Args:
        x: ``(n, k)`` float64 clean test values of the allowed columns.
    """

    def __init__(self, x: np.ndarray) -> None:
        self.x = x
        self._cache: dict[Any, np.ndarray] = {}

    def _counts(self, key: Any, hits: Any) -> np.ndarray:
        """``(n + 1, k)`` cumulative counts of a ``(n, k)`` bool array (row 0 = zeros), cached."""
        if key not in self._cache:
            h = hits()
            out = np.zeros((h.shape[0] + 1, h.shape[1]), dtype=np.int64)
            np.cumsum(h, axis=0, out=out[1:])
            self._cache[key] = out
        return self._cache[key]

    @staticmethod
    def _windows(csum: np.ndarray, L: int, offset: int = 0) -> np.ndarray:
        """``(n - L + 1, k)`` hits in rows ``[s + offset, s + L)`` for every start ``s``
        (``csum`` from an array of ``n - offset`` rows)."""
        n = csum.shape[0] - 1 + offset
        return csum[L - offset: n - offset + 1] - csum[: n - L + 1]

    def varying(self, L: int) -> np.ndarray:
        """``(n - L + 1, k)`` bool: the length-``L`` window at each start is not constant."""
        key = ("varying", L)
        if key not in self._cache:
            csum = self._counts("changes", lambda: self.x[1:] != self.x[:-1])
            self._cache[key] = self._windows(csum, L, offset=1) > 0
        return self._cache[key]

    def not_all_equal(self, value: float, L: int) -> np.ndarray:
        """``(n - L + 1, k)`` bool: some row of the length-``L`` window differs from ``value``."""
        key = ("not_all_equal", value, L)
        if key not in self._cache:
            csum = self._counts(("equal", value), lambda: self.x == value)
            self._cache[key] = self._windows(csum, L) < L
        return self._cache[key]

    def never_equal(self, value: float, L: int) -> np.ndarray:
        """``(n - L + 1, k)`` bool: no row of the length-``L`` window equals ``value``."""
        key = ("never_equal", value, L)
        if key not in self._cache:
            csum = self._counts(("equal", value), lambda: self.x == value)
            self._cache[key] = self._windows(csum, L) == 0
        return self._cache[key]


@dataclass(frozen=True)
class AnomalyKind(ABC):
    """Base of the anomaly kinds of ``sampler=inject`` (subclass it as a frozen dataclass).

    An abstract base class: a subclass that does not define :meth:`apply` cannot be instantiated
    (``TypeError``).

    Constructor parameters are the dataclass fields, typed with :mod:`anogen.params` types,
    ``Literal[...]``, :data:`PositiveSpread` ...; :func:`anogen.config.build` checks them before any
    data are loaded and direct Python construction checks them too.

    Class attributes:
        name: default kind label (the catalog key overrides it).
        family: the anomaly family (``point``, ``collective``, ``contextual``, ``shape``, see
            :data:`anogen.selection.battery.FAMILIES`) the selection battery files the kind under;
            every packaged kind declares one (``tests/test_kinds.py`` walks them), a plug-in kind
            needs one only to join a battery (``None``: :func:`anogen.selection.battery.family_of`
            refuses it rather than guessing).
        length: fixed event length in rows (``spike``: 1); ``None`` = drawn in the sampler's
            ``[min_length, max_length]``.
        min_length: the sampler's ``min_length`` must be at least this (a kind needing variation
            needs 2 rows); ignored when ``length`` is fixed.
        needs_variation: start only where the segment is not constant in the chosen column
            (transforms such as scaling or reversal are a no-op on a constant segment).
        nudge: move rows the transform leaves exactly unchanged (so the event is one labelled
            run); ``False`` for kinds that change only some rows on purpose (bursts, clusters).

    Placement fields (keyword-only, ``None`` = the sampler's value): ``position``, ``creeping``,
    ``channels`` (see the module docstring).
    """

    name: ClassVar[str] = "kind"
    family: ClassVar[str | None] = None
    length: ClassVar[int | None] = None
    min_length: ClassVar[int] = 2
    needs_variation: ClassVar[bool] = False
    nudge: ClassVar[bool] = True
    position: Position | None = dataclasses.field(default=None, kw_only=True)
    creeping: Creeping | None = dataclasses.field(default=None, kw_only=True)
    channels: Channels | None = dataclasses.field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        given = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.init}
        for k, v in check_params(type(self), given, f"sampler.catalog.{self.name}").items():
            object.__setattr__(self, k, v)

    def nudges(self) -> bool:
        """Whether the sampler moves rows :meth:`apply` left unchanged (see ``nudge``)."""
        return self.nudge

    def event_kind(self, label: str) -> str:
        """The kind recorded in the event (the catalog label; ``combine`` joins its parts')."""
        return label

    def resolve(self, catalog: dict, key: str) -> "AnomalyKind":
        """This kind with references to other catalog entries resolved (``combine``); called by
        the sampler once its catalog is complete."""
        return self

    def unsupported(self, ctx: SampleContext) -> str | None:
        """Why the fold cannot take this kind at all (e.g. too few columns), or ``None``.

        With ``sampler.kinds: null`` such kinds are left out; listed explicitly, it is an error.
        """
        return None

    def check_data(self, ctx: SampleContext, longest: int) -> None:
        """Plan-time check of the fold for events up to ``longest`` rows (raise AnogenError)."""

    def eligible(self, scan: WindowScan, length: int) -> np.ndarray | None:
        """``(n - length + 1, k)`` bool: where an event may start in each allowed column;
        ``None`` = everywhere."""
        return scan.varying(length) if self.needs_variation else None

    def requirement(self) -> str:
        """What :meth:`eligible` asks of a segment, for the error when no segment qualifies."""
        return "is not constant"

    def column_ok(self, values: np.ndarray) -> np.ndarray:
        """``(k,)`` bool: which columns of an allocated ``(L, k)`` segment this kind can change."""
        ok = self.eligible(WindowScan(values), values.shape[0])
        return np.ones(values.shape[1], dtype=bool) if ok is None else ok[0]

    @abstractmethod
    def apply(self, seg: Segment, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Any]]:
        """The anomalous values of one event.

        Args:
            seg: where the event goes (``seg.values`` the ``(L,)`` clean values).
            rng: random generator.

        Returns:
            ``(L,)`` new values of the column, and the JSON-able parameters used (recorded in
            the event's ``params`` next to ``column``).
        """
