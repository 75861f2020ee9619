"""Typed anomaly injection (``sampler=inject``): the kinds users of GutenTAG/TimeEval expect.

Each event changes one column (chosen at random among ``columns``) over a segment of the clean
test fold; every other column keeps its clean values. Magnitudes default to multiples of the
column's train standard deviation ``s`` (``ctx.std``). A numeric parameter may be given as a
number or as ``[low, high]`` (drawn uniformly per event); ``direction`` is ``up``, ``down`` or
``both`` (random per event).

========================  ======================================================================
kind                      what happens to the segment ``x`` (length ``L``) of column ``c``
========================  ======================================================================
``spike``                 one row: ``x + sign * magnitude * s`` (extremum; ``L = 1``)
``level_shift``           ``x + sign * offset * s``
``amplitude``             ``m + f * (x - m)``, ``m`` = mean of a centred ``context`` window
                          (default ``4 L`` rows, rounded up to whole cycles when the train
                          column has a clear dominant period); ``f = factor`` (up) or
                          ``1 / factor`` (down)
``trend``                 ``x + sign * slope * s * (1..L) / L`` (a ramp reaching ``slope * s``)
``variance``              ``x + N(0, (scale * s)^2)`` noise
``frequency``             the column resampled ``factor`` times faster (up) or slower (down)
                          around the segment centre, re-centred on the segment mean
``pattern``               shape distortion: ``warp`` (time ``u -> u ** g`` inside the segment,
                          ``g`` = ``strength`` or its inverse), ``reverse`` (time reversal;
                          weak on a nearly symmetric stretch such as a peak) or
                          ``flip`` (mirrored around the segment mean)
``flatline``              stuck sensor: constant ``value`` = ``hold`` (the last value before the
                          segment), ``mean`` (segment mean) or a number in original units
``correlation_break``     the column's deviations replaced by those of the train segment (among
                          ``candidates`` random ones) least correlated with them, rescaled to the
                          segment's std and mean: the channel decouples from the others (``d >= 2``)
``contextual``            the train segment (among ``candidates`` random ones) farthest from the
                          segment (mean absolute difference): values that are normal elsewhere but
                          out of place here, e.g. the opposite phase of a cycle
========================  ======================================================================

Never a no-op: kinds that need variation (``amplitude``, ``frequency``, ``pattern``, ``flatline``,
``correlation_break``) only start where the segment is not constant in an allowed column; a
flat-line value or an amplitude baseline that coincides with a value of the segment is moved by
less than the gap to the nearest other value; and any row a transform leaves exactly unchanged
(e.g. the centre of a reversed segment, repeated values of quantised data) is moved by
``0.01 * s`` in the direction of the segment's mean change, so labels always cover whole events.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Callable

import numpy as np

from anogen.samplers.base import SampleContext, Slot, SlotRequest, anomaly_count, resolve_columns
from anogen.types import AnogenError, Edit

__all__ = ["Inject", "KINDS", "DEFAULTS"]

KINDS: tuple[str, ...] = ("spike", "level_shift", "amplitude", "trend", "variance", "frequency",
                          "pattern", "flatline", "correlation_break", "contextual")

#: per-kind default parameters (magnitudes in units of the column's train std)
DEFAULTS: dict[str, dict[str, Any]] = {
    "spike": {"magnitude": 5.0, "direction": "both"},
    "level_shift": {"offset": 2.0, "direction": "both"},
    "amplitude": {"factor": 2.0, "direction": "both", "context": None},
    "trend": {"slope": 3.0, "direction": "both"},
    "variance": {"scale": 1.0},
    "frequency": {"factor": 2.0, "direction": "both"},
    "pattern": {"style": "warp", "strength": 3.0},
    "flatline": {"value": "hold"},
    "correlation_break": {"candidates": 16},
    "contextual": {"candidates": 32},
}

# kinds that are a no-op on a constant segment: they only start where the segment varies
_VARYING = frozenset({"amplitude", "frequency", "pattern", "flatline", "correlation_break"})
_DIRECTIONS = ("up", "down", "both")
_STYLES = ("warp", "reverse", "flip")
_NUDGE = 0.01  # std units: move for rows a transform leaves exactly unchanged


# --------------------------------------------------------------------------------------------
# parameter validation
# --------------------------------------------------------------------------------------------
def _number(v: Any, key: str) -> float:
    if isinstance(v, bool):
        raise AnogenError(f"{key} must be a number, got {v!r}")
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise AnogenError(f"{key} must be a number, got {v!r}") from None
    if not math.isfinite(f):
        raise AnogenError(f"{key} must be finite, got {v!r}")
    return f


def _magnitude(low: float, low_open: bool = True) -> Callable[[Any, str], Any]:
    """Validator for a number or a ``[low, high]`` range, each value > low (or >= low)."""
    op = ">" if low_open else ">="

    def check(v: Any, key: str) -> float | list[float]:
        if isinstance(v, Sequence) and not isinstance(v, (str, bytes)):
            if len(v) != 2:
                raise AnogenError(f"{key} must be a number or a range [low, high], got {list(v)!r}")
            a, b = _number(v[0], key), _number(v[1], key)
            if a > b:
                raise AnogenError(f"{key}: range low {a} is greater than high {b}")
            vals = [a, b]
        else:
            vals = [_number(v, key)]
        for x in vals:
            if (x <= low) if low_open else (x < low):
                raise AnogenError(f"{key} must be {op} {low:g}, got {v!r}")
        return vals if len(vals) == 2 else vals[0]

    return check


def _choice(options: Sequence[str]) -> Callable[[Any, str], str]:
    def check(v: Any, key: str) -> str:
        if v not in options:
            raise AnogenError(f"{key} must be one of {list(options)}, got {v!r}")
        return str(v)

    return check


def _int_at_least(low: int, allow_none: bool = False) -> Callable[[Any, str], Any]:
    def check(v: Any, key: str) -> int | None:
        if v is None and allow_none:
            return None
        if isinstance(v, bool) or not isinstance(v, (int, np.integer, float)) or float(v) != int(v):
            raise AnogenError(f"{key} must be an integer >= {low}{' or null' if allow_none else ''}, got {v!r}")
        if int(v) < low:
            raise AnogenError(f"{key} must be an integer >= {low}, got {v!r}")
        return int(v)

    return check


def _flat_value(v: Any, key: str) -> str | float:
    if v in ("hold", "mean"):
        return str(v)
    if isinstance(v, str):
        raise AnogenError(f"{key} must be 'hold', 'mean' or a number, got {v!r}")
    return _number(v, key)


_VALIDATORS: dict[str, dict[str, Callable[[Any, str], Any]]] = {
    "spike": {"magnitude": _magnitude(0.0), "direction": _choice(_DIRECTIONS)},
    "level_shift": {"offset": _magnitude(0.0), "direction": _choice(_DIRECTIONS)},
    "amplitude": {"factor": _magnitude(1.0), "direction": _choice(_DIRECTIONS),
                  "context": _int_at_least(1, allow_none=True)},
    "trend": {"slope": _magnitude(0.0), "direction": _choice(_DIRECTIONS)},
    "variance": {"scale": _magnitude(0.0)},
    "frequency": {"factor": _magnitude(1.0), "direction": _choice(_DIRECTIONS)},
    "pattern": {"style": _choice(_STYLES), "strength": _magnitude(1.0)},
    "flatline": {"value": _flat_value},
    "correlation_break": {"candidates": _int_at_least(1)},
    "contextual": {"candidates": _int_at_least(1)},
}


def _draw(spec: float | list[float], rng: np.random.Generator) -> float:
    """A number, or a uniform draw from ``[low, high]``."""
    if isinstance(spec, list):
        return float(rng.uniform(spec[0], spec[1])) if spec[1] > spec[0] else float(spec[0])
    return float(spec)


def _sign(direction: str, rng: np.random.Generator) -> float:
    if direction == "both":
        return float(rng.choice([-1.0, 1.0]))
    return 1.0 if direction == "up" else -1.0


def _parse_kinds(kinds: Any) -> dict[str, float] | None:
    """``None`` (all kinds) or a ``{kind: weight}`` dict with positive weights."""
    if kinds is None:
        return None
    if isinstance(kinds, str):
        kinds = [kinds]
    if isinstance(kinds, Mapping):
        items = [(str(k), w) for k, w in kinds.items()]
    elif isinstance(kinds, Sequence):
        items = [(k, 1.0) for k in kinds]
    else:
        raise AnogenError(f"sampler.kinds must be a list of kinds or a {{kind: weight}} mapping, got {kinds!r}")
    if not items:
        raise AnogenError(f"sampler.kinds is empty; valid kinds: {list(KINDS)}")
    out: dict[str, float] = {}
    for k, w in items:
        if k not in KINDS:
            raise AnogenError(f"sampler.kinds: unknown kind {k!r}; valid kinds: {list(KINDS)}")
        if k in out:
            raise AnogenError(f"sampler.kinds: {k!r} is listed twice")
        w = _number(w, f"sampler.kinds.{k}")
        if w < 0:
            raise AnogenError(f"sampler.kinds.{k}: weight must be >= 0, got {w}")
        out[k] = w
    if sum(out.values()) <= 0:
        raise AnogenError("sampler.kinds: at least one weight must be > 0")
    return {k: w for k, w in out.items() if w > 0}


# --------------------------------------------------------------------------------------------
# array helpers
# --------------------------------------------------------------------------------------------
def _window_counts(hits: np.ndarray) -> np.ndarray:
    """``(n + 1, k)`` cumulative counts of a ``(n, k)`` bool array (row 0 = zeros)."""
    out = np.zeros((hits.shape[0] + 1, hits.shape[1]), dtype=np.int64)
    np.cumsum(hits, axis=0, out=out[1:])
    return out


def _windows_with(csum: np.ndarray, L: int, offset: int = 0) -> np.ndarray:
    """``(n - L + 1, k)`` number of hits in rows ``[s, s + L - offset)`` for every start ``s``,
    from :func:`_window_counts` of an ``(n, k)`` (``offset=0``) array."""
    n = csum.shape[0] - 1 + offset
    return csum[L - offset: n - offset + 1] - csum[: n - L + 1]


def _nudge_off(v: float, x: np.ndarray, step: float) -> float:
    """``v`` moved (by less than the gap to the nearest other value of ``x``) so no ``x`` equals it."""
    if not (x == v).any():
        return v
    others = np.abs(x[x != v] - v)
    gap = float(others.min()) if others.size else math.inf
    w = min(0.5 * gap, step)
    return v + w if v + w != v else float(np.nextafter(v, math.inf))


def _interp_at(col: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``col`` (length >= 2) at fractional row positions in ``[0, n - 1]``
    (O(len(pos)), unlike ``np.interp`` over the whole column)."""
    i0 = np.minimum(np.floor(pos).astype(np.int64), col.shape[0] - 2)
    frac = pos - i0
    return col[i0] * (1.0 - frac) + col[i0 + 1] * frac


def _reflect(pos: np.ndarray, n: int) -> np.ndarray:
    """Positions reflected into ``[0, n - 1]``."""
    if n == 1:
        return np.zeros_like(pos)
    period = 2.0 * (n - 1)
    p = np.mod(pos, period)
    return np.where(p > n - 1, period - p, p)


def _dominant_period(x: np.ndarray, max_rows: int = 1 << 17) -> int | None:
    """Dominant period in rows of a 1-D series (first autocorrelation peak after the first zero
    crossing, if it is above 0.2), or ``None`` for a series without a clear cycle."""
    x = np.asarray(x[:max_rows], dtype=np.float64)
    n = x.shape[0]
    if n < 8:
        return None
    x = x - x.mean()
    if not (x != 0).any():
        return None
    f = np.fft.rfft(x, 2 * n)
    acf = np.fft.irfft(f * np.conj(f))[:n]
    acf = acf / acf[0]
    neg = np.flatnonzero(acf[: n // 2] < 0)
    if neg.size == 0:
        return None
    lag = int(neg[0] + np.argmax(acf[neg[0]: n // 2]))
    return lag if acf[lag] > 0.2 else None


def _train_windows(fold_train: np.ndarray, segments: np.ndarray, L: int, k: int,
                   rng: np.random.Generator) -> np.ndarray:
    """``k`` random starts of length-``L`` windows inside contiguous train segments."""
    segs = np.asarray(segments, dtype=np.int64).reshape(-1, 2) if segments is not None else np.zeros((0, 2))
    if segs.shape[0] == 0:
        segs = np.array([[0, fold_train.shape[0]]], dtype=np.int64)
    room = np.maximum(segs[:, 1] - segs[:, 0] - L + 1, 0)
    total = int(room.sum())
    if total <= 0:
        raise AnogenError(
            f"sampler: no contiguous train segment has {L} rows (segments "
            f"{segs.tolist()}); use a shorter sampler.max_length")
    idx = rng.integers(0, total, size=k)
    cum = np.cumsum(room)
    seg = np.searchsorted(cum, idx, side="right")
    before = np.concatenate([[0], cum[:-1]])
    return segs[seg, 0] + (idx - before[seg])


# --------------------------------------------------------------------------------------------
# the sampler
# --------------------------------------------------------------------------------------------
class Inject:
    """Typed anomalies (spike, level shift, amplitude, trend, variance, frequency, pattern,
    flatline, correlation break, contextual) written into the clean test fold.

    Args:
        ratio: fraction of anomalous test rows, in (0, 0.5] (``int(n * ratio)`` rows, at least 1;
            the event lengths are cut so the total matches as closely as ``min_length`` allows).
            Give ``ratio`` or ``count``, not both; both ``None`` means ``ratio=0.01``.
        count: exact number of events (>= 1).
        kinds: list of kinds (equal weights) or ``{kind: weight}``; ``None`` = every kind the data
            allows (``correlation_break`` is left out for a single column).
        min_length: shortest event in rows (>= 2; spikes are always 1 row).
        max_length: longest event in rows (>= ``min_length``).
        columns: columns an event may change (one per event, drawn at random); empty = all.
        params: per-kind overrides of :data:`DEFAULTS`, e.g. ``{"spike": {"magnitude": [4, 8]}}``.
        mode: only ``"replace"`` (typed anomalies transform existing rows).

    Raises:
        AnogenError: any invalid argument, naming it and what is valid.
    """

    name = "inject"

    def __init__(self, ratio: float | None = None, count: int | None = None,
                 kinds: Sequence[str] | Mapping[str, float] | None = None, min_length: int = 5,
                 max_length: int = 20, columns: Sequence[str] | None = None,
                 params: Mapping[str, Mapping[str, Any]] | None = None, mode: str = "replace") -> None:
        if mode != "replace":
            raise AnogenError(f"sampler.mode: inject transforms existing rows, only 'replace' is valid, got {mode!r}")
        if ratio is not None and count is not None:
            raise AnogenError(
                f"sampler.ratio ({ratio}) and sampler.count ({count}) are exclusive: set one and leave the "
                "other null")
        if count is not None:
            if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
                raise AnogenError(f"sampler.count must be an integer >= 1, got {count!r}")
            self.count: int | None = int(count)
            self.ratio: float | None = None
        else:
            ratio = 0.01 if ratio is None else ratio
            anomaly_count(100, ratio)  # validates
            self.ratio, self.count = float(ratio), None
        self.kinds = _parse_kinds(kinds)
        self.min_length = _int_at_least(1)(min_length, "sampler.min_length")
        self.max_length = _int_at_least(1)(max_length, "sampler.max_length")
        if self.min_length > self.max_length:
            raise AnogenError(
                f"sampler.min_length ({self.min_length}) is greater than sampler.max_length ({self.max_length})")
        enabled = set(self.kinds) if self.kinds is not None else set(KINDS)
        if self.min_length < 2 and enabled - {"spike"}:
            raise AnogenError(
                f"sampler.min_length must be >= 2 for segment kinds {sorted(enabled - {'spike'})}, got "
                f"{self.min_length} (spikes are always 1 row)")
        if columns is not None and (isinstance(columns, str) or not isinstance(columns, Sequence)):
            raise AnogenError(f"sampler.columns must be a list of column names, got {columns!r}")
        self.columns = [str(c) for c in (columns or [])]
        if len(set(self.columns)) != len(self.columns):
            raise AnogenError(f"sampler.columns lists a column twice: {self.columns}")
        self.params: dict[str, dict[str, Any]] = {k: dict(v) for k, v in DEFAULTS.items()}
        if params is None:
            params = {}
        if not isinstance(params, Mapping):
            raise AnogenError(f"sampler.params must be a mapping {{kind: {{param: value}}}}, got {params!r}")
        for kind, over in params.items():
            if kind not in KINDS:
                raise AnogenError(f"sampler.params: unknown kind {kind!r}; valid kinds: {list(KINDS)}")
            if over is None:
                continue
            if not isinstance(over, Mapping):
                raise AnogenError(f"sampler.params.{kind} must be a mapping of parameters, got {over!r}")
            for key, val in over.items():
                if key not in _VALIDATORS[kind]:
                    raise AnogenError(
                        f"sampler.params.{kind}: unknown parameter {key!r}; valid: {list(_VALIDATORS[kind])}")
                self.params[kind][key] = val
        for kind, ps in self.params.items():
            for key, val in ps.items():
                ps[key] = _VALIDATORS[kind][key](val, f"sampler.params.{kind}.{key}")
        self._planned: list[tuple[str, int]] = []
        self._periods: dict[int, int | None] = {}

    def __repr__(self) -> str:
        amount = f"count={self.count}" if self.count is not None else f"ratio={self.ratio}"
        return (f"Inject({amount}, kinds={self.kinds or 'all'}, length=[{self.min_length}, {self.max_length}], "
                f"columns={self.columns or 'all'})")

    # ---------------------------------------------------------------- planning
    def _weights(self, d: int) -> tuple[list[str], np.ndarray]:
        if self.kinds is None:
            names = [k for k in KINDS if not (k == "correlation_break" and d < 2)]
            w = np.ones(len(names))
        else:
            if "correlation_break" in self.kinds and d < 2:
                raise AnogenError(
                    "sampler.kinds: correlation_break decouples one channel from the others and needs at "
                    f"least 2 data columns, the data has {d}")
            names = list(self.kinds)
            w = np.array([self.kinds[k] for k in names], dtype=np.float64)
        return names, w / w.sum()

    def _draw_events(self, n: int, rng: np.random.Generator, names: list[str],
                     p: np.ndarray) -> list[tuple[str, int]]:
        def length(kind: str) -> int:
            return 1 if kind == "spike" else int(rng.integers(self.min_length, self.max_length + 1))

        if self.count is not None:
            ks = rng.choice(len(names), size=self.count, p=p)
            return [(names[k], length(names[k])) for k in ks.tolist()]
        target = anomaly_count(n, self.ratio)
        events: list[tuple[str, int]] = []
        rows = 0
        while rows < target:
            kind = names[int(rng.choice(len(names), p=p))]
            L = length(kind)
            rem = target - rows
            if L > rem:
                if rem >= self.min_length:
                    L = rem
                elif "spike" in names:  # fill the remainder with one-row events
                    kind, L = "spike", 1
                elif events and rem < self.min_length - rem:  # stopping is closer than overshooting
                    break
                else:
                    L = self.min_length
            events.append((kind, L))
            rows += L
        return events

    def plan(self, ctx: SampleContext, rng: np.random.Generator) -> list[SlotRequest]:
        """Draw the kind and length of every event and the eligible starts of each.

        Args:
            ctx: the fold's sampling context.
            rng: random generator.

        Returns:
            One :class:`SlotRequest` per event (``replace``); requests of kinds that need a
            varying segment carry an ``eligible`` mask.

        Raises:
            AnogenError: unknown columns, a kind the data cannot support, or no eligible segment.
        """
        fold = ctx.fold
        n, d = ctx.n_test, fold.n_features
        cols, names_c = resolve_columns(self.columns, fold.columns)
        names, p = self._weights(d)
        events = self._draw_events(n, rng, names, p)
        x = np.asarray(fold.test, dtype=np.float64)[:, cols]
        longest = max(L for _, L in events)
        if longest > n:
            raise AnogenError(
                f"sampler.max_length: an event of {longest} rows is longer than the test fold ({n} rows)")
        need_train = [L for k, L in events if k in ("correlation_break", "contextual")]
        if need_train:
            _train_windows(fold.train, fold.train_segments, max(need_train), 1, np.random.default_rng(0))
        masks: dict[tuple[Any, int], np.ndarray | None] = {}
        counts: dict[Any, np.ndarray] = {}  # cumulative counts of changes / flat-value hits
        requests = []
        for kind, L in events:
            key: tuple[Any, int] | None = None
            if kind == "flatline" and not isinstance(self.params["flatline"]["value"], str):
                key = (("value", self.params["flatline"]["value"]), L)
            elif kind in _VARYING:
                key = ("varying", L)
            if key is not None and key not in masks:
                if key[0] == "varying":  # some change between consecutive rows inside the window
                    if "varying" not in counts:
                        counts["varying"] = _window_counts(x[1:] != x[:-1])
                    ok = _windows_with(counts["varying"], L, offset=1) > 0
                else:  # no row of the window equals the flat-line value
                    if key[0] not in counts:
                        counts[key[0]] = _window_counts(x == key[0][1])
                    ok = _windows_with(counts[key[0]], L) == 0
                m = np.zeros(n, dtype=bool)
                m[: ok.shape[0]] = ok.any(axis=1)
                if not m.any():
                    what = ("is not constant" if key[0] == "varying"
                            else f"never equals the flat-line value {key[0][1]}")
                    raise AnogenError(
                        f"sampler.kinds: {kind!r} needs a {L}-row segment that {what} in one of the columns "
                        f"{list(names_c)}, but the test fold has none; drop {kind!r} or change sampler.columns")
                masks[key] = None if m[: n - L + 1].all() else m
            requests.append(SlotRequest(L, "replace", masks[key] if key is not None else None))
        self._planned = events
        return requests

    # ---------------------------------------------------------------- filling
    def fill(self, ctx: SampleContext, slots: list[Slot], rng: np.random.Generator) -> list[Edit]:
        """Write each planned event into its allocated slot.

        Args:
            ctx: the fold's sampling context (same as for ``plan``).
            slots: the allocated slots, in the order of ``plan``'s requests.
            rng: random generator.

        Returns:
            One :class:`Edit` per slot, ``kind`` = the anomaly kind, ``params`` = the column and
            the parameters used (JSON-able).

        Raises:
            AnogenError: slots that do not match the plan, or a transform that cannot change the data.
        """
        if len(slots) != len(self._planned) or any(s.length != L for s, (_, L) in zip(slots, self._planned)):
            raise AnogenError("sampler inject: fill() got slots that do not match its last plan()")
        fold = ctx.fold
        test = np.asarray(fold.test, dtype=np.float64)
        cols, _ = resolve_columns(self.columns, fold.columns)
        self._periods: dict[int, int | None] = {}  # dominant period per column (amplitude baseline)
        edits = []
        for slot, (kind, L) in zip(slots, self._planned):
            s = slot.start
            seg = test[s:s + L]
            ok = [c for c in cols if self._column_ok(kind, seg[:, c])]
            if not ok:
                raise AnogenError(f"sampler inject: no column can take a {kind!r} anomaly at row {s}")
            c = int(ok[int(rng.integers(len(ok)))]) if len(ok) > 1 else int(ok[0])
            new, info = getattr(self, f"_{kind}")(ctx, test, c, s, L, rng, self.params[kind])
            new, nudged = self._force_change(new, seg[:, c], float(ctx.std[c]), kind, s, fold.columns[c])
            values = seg.copy()
            values[:, c] = new
            info = {"column": fold.columns[c], **info}
            if nudged:
                info["nudged_rows"] = nudged
            edits.append(Edit(s, values, "replace", kind, (fold.columns[c],), self.name, info))
        return edits

    def _column_ok(self, kind: str, x: np.ndarray) -> bool:
        if kind == "flatline" and not isinstance(self.params["flatline"]["value"], str):
            return bool((x != self.params["flatline"]["value"]).all())
        if kind in _VARYING:
            return bool((x != x[0]).any())
        return True

    @staticmethod
    def _force_change(new: np.ndarray, old: np.ndarray, sd: float, kind: str, start: int,
                      column: str) -> tuple[np.ndarray, int]:
        same = new == old
        k = int(same.sum())
        if k == 0:
            return new, 0
        new = new.copy()
        diff = float(np.mean(new - old))
        sgn = 1.0 if diff >= 0 else -1.0
        new[same] = old[same] + sgn * _NUDGE * sd
        if (new == old).any():
            raise AnogenError(
                f"sampler inject: a {kind!r} anomaly at row {start} cannot change column {column!r} (its train "
                f"std {sd:g} is below the floating-point resolution of its values)")
        return new, k

    # ---------------------------------------------------------------- the kinds
    # each: (ctx, test (n, d), column c, start s, length L, rng, params) -> (new (L,), info)
    def _spike(self, ctx: SampleContext, test: np.ndarray, c: int, s: int, L: int,
                rng: np.random.Generator, p: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        mag, sign = _draw(p["magnitude"], rng), _sign(p["direction"], rng)
        return test[s:s + L, c] + sign * mag * ctx.std[c], {"magnitude": mag, "sign": sign}

    def _level_shift(self, ctx: SampleContext, test: np.ndarray, c: int, s: int, L: int,
                rng: np.random.Generator, p: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        off, sign = _draw(p["offset"], rng), _sign(p["direction"], rng)
        return test[s:s + L, c] + sign * off * ctx.std[c], {"offset": off, "sign": sign}

    def _trend(self, ctx: SampleContext, test: np.ndarray, c: int, s: int, L: int,
                rng: np.random.Generator, p: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        slope, sign = _draw(p["slope"], rng), _sign(p["direction"], rng)
        ramp = np.arange(1, L + 1, dtype=np.float64) / L
        return test[s:s + L, c] + sign * slope * ctx.std[c] * ramp, {"slope": slope, "sign": sign}

    def _variance(self, ctx: SampleContext, test: np.ndarray, c: int, s: int, L: int,
                rng: np.random.Generator, p: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        scale = _draw(p["scale"], rng)
        x = test[s:s + L, c]
        new = x + rng.standard_normal(L) * scale * ctx.std[c]
        for _ in range(8):  # an exact zero draw (or one lost to rounding): draw again
            same = new == x
            if not same.any():
                break
            new[same] = x[same] + rng.standard_normal(int(same.sum())) * scale * ctx.std[c]
        return new, {"scale": scale}

    def _amplitude(self, ctx: SampleContext, test: np.ndarray, c: int, s: int, L: int,
                rng: np.random.Generator, p: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        f0 = _draw(p["factor"], rng)
        up = _sign(p["direction"], rng) > 0
        f = f0 if up else 1.0 / f0
        n = test.shape[0]
        if p["context"] is not None:
            w = int(p["context"])
        else:
            w = 4 * L
            if c not in self._periods:
                self._periods[c] = _dominant_period(ctx.fold.train[:, c])
            period = self._periods[c]
            if period is not None:  # whole cycles, so the baseline is the cycle's centre line
                w = period * max(1, -(-w // period))
        w = max(min(n, w), L)
        a = max(0, s - (w - L) // 2)
        b = min(n, a + w)
        a = max(0, b - w)
        x = test[s:s + L, c]
        m = _nudge_off(float(test[a:b, c].mean()), x, _NUDGE * float(ctx.std[c]))
        return m + f * (x - m), {"factor": f, "baseline": m, "context": int(b - a)}

    def _frequency(self, ctx: SampleContext, test: np.ndarray, c: int, s: int, L: int,
                rng: np.random.Generator, p: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        f0 = _draw(p["factor"], rng)
        f = f0 if _sign(p["direction"], rng) > 0 else 1.0 / f0
        n = test.shape[0]
        centre = s + (L - 1) / 2.0
        pos = _reflect(centre + f * (np.arange(L) - (L - 1) / 2.0), n)
        vals = _interp_at(test[:, c], pos)
        x = test[s:s + L, c]
        return vals - vals.mean() + x.mean(), {"factor": f}

    def _pattern(self, ctx: SampleContext, test: np.ndarray, c: int, s: int, L: int,
                rng: np.random.Generator, p: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        x = test[s:s + L, c]
        style = p["style"]
        if style == "reverse":
            return x[::-1].copy(), {"style": style}
        if style == "flip":
            return 2.0 * x.mean() - x, {"style": style}
        g = _draw(p["strength"], rng)
        g = g if rng.random() < 0.5 else 1.0 / g
        # row i sits at time s + i = s - 0.5 + L * u_i, u_i = (i + 0.5) / L; warp u -> u ** g
        # (the neighbours just outside the segment anchor its ends, so no row stays put)
        n = test.shape[0]
        u = (np.arange(L) + 0.5) / L
        pos = _reflect(s - 0.5 + L * u**g, n)
        return _interp_at(test[:, c], pos), {"style": style, "exponent": g}

    def _flatline(self, ctx: SampleContext, test: np.ndarray, c: int, s: int, L: int,
                rng: np.random.Generator, p: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        x = test[s:s + L, c]
        spec = p["value"]
        if spec == "hold":
            v = float(test[s - 1, c]) if s > 0 else float(x[0])
        elif spec == "mean":
            v = float(x.mean())
        else:
            v = float(spec)
        if isinstance(spec, str):
            v = _nudge_off(v, x, _NUDGE * float(ctx.std[c]))
        return np.full(L, v), {"value": v, "mode": spec if isinstance(spec, str) else "fixed"}

    def _source_windows(self, ctx: SampleContext, c: int, L: int, k: int,
                        rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``k`` random train windows of column ``c``: (starts ``(k,)``, values ``(k, L)``)."""
        fold = ctx.fold
        starts = _train_windows(fold.train, fold.train_segments, L, k, rng)
        win = np.asarray(fold.train, dtype=np.float64)[starts[:, None] + np.arange(L)[None, :], c]
        return starts, win

    def _correlation_break(self, ctx: SampleContext, test: np.ndarray, c: int, s: int, L: int,
                rng: np.random.Generator, p: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        x = test[s:s + L, c]
        starts, win = self._source_windows(ctx, c, L, int(p["candidates"]), rng)
        dev = win - win.mean(axis=1, keepdims=True)
        sd = dev.std(axis=1)
        xd = x - x.mean()
        xs = xd.std()
        usable = sd > 0
        if not usable.any():  # flat train windows: invert the segment's own deviations instead
            return x.mean() - xd, {"source": "inverted", "corr": -1.0}
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = (dev @ xd) / (L * sd * xs)
        corr = np.where(usable, corr, np.inf)
        j = int(np.argmin(np.abs(corr)))
        new = x.mean() + dev[j] * (xs / sd[j])
        return new, {"source_start": int(starts[j]), "corr": float(corr[j])}

    def _contextual(self, ctx: SampleContext, test: np.ndarray, c: int, s: int, L: int,
                rng: np.random.Generator, p: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        x = test[s:s + L, c]
        starts, win = self._source_windows(ctx, c, L, int(p["candidates"]), rng)
        dist = np.abs(win - x[None, :]).mean(axis=1)
        j = int(np.argmax(dist))
        if dist[j] <= 0:
            raise AnogenError(
                f"sampler inject: 'contextual' at row {s}: no train segment of column "
                f"{ctx.fold.columns[c]!r} differs from the test segment; raise params.contextual.candidates")
        return win[j].copy(), {"source_start": int(starts[j]),
                               "distance": float(dist[j] / ctx.std[c])}
