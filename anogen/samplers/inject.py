"""Typed anomaly injection (``sampler=inject``): GutenTAG's and MATLAB's anomaly kinds, and more.

Each event changes ``channels`` columns (one by default, chosen at random among ``columns``) over
a segment of the clean test fold; every other column keeps its clean values. What an event does
is its *kind*: one class in :mod:`anogen.samplers.kinds` (its docstring gives the exact
transform), configured by ``_target_`` in the sampler's ``catalog`` and chosen by ``kinds`` with
weights; ``combine`` stacks several kinds in one event. Where an event starts (``position``), how
it fades in (``creeping``) and how many columns it spans (``channels``) are set for all kinds here
and per kind in the catalog.

Never a no-op: kinds that need variation only start where the segment is not constant in an
allowed column (their eligibility masks ride on the slot requests), and any row a transform
leaves exactly unchanged (e.g. the centre of a reversed segment, repeated values of quantised
data) is moved by ``0.01 * s`` in the direction of the segment's mean change, so labels always
cover whole events (kinds that change some rows on purpose, such as ``outlier_cluster``, opt out:
their labels are the rows they changed).

No state between ``plan`` and ``fill``: each request's ``payload`` carries its kind label and
kind object, which :func:`~anogen.placement.allocate` copies to the slot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, Literal

import numpy as np

from anogen.config import build, to_plain
from anogen.params import NonNegativeFloat, PositiveInt, Ratio, check_params, check_value
from anogen.paths import conf_file
from anogen.placement import start_mask
from anogen.samplers.base import SampleContext, Sampler, Slot, SlotRequest, anomaly_count, resolve_columns
from anogen.samplers.kinds.base import (NUDGE, AnomalyKind, Channels, Creeping, Position, Segment, WindowScan,
                                        creep_rows, ramp)
from anogen.types import AnogenError, Edit

__all__ = ["Inject", "packaged_catalog"]

_CONF = conf_file("sampler", "inject")


@lru_cache(maxsize=1)
def _packaged_nodes() -> dict[str, dict[str, Any]]:
    from omegaconf import OmegaConf

    return to_plain(OmegaConf.load(_CONF).catalog)


@lru_cache(maxsize=1)
def _packaged() -> dict[str, AnomalyKind]:
    return {name: build(node, f"sampler.catalog.{name}") for name, node in _packaged_nodes().items()}


def packaged_catalog() -> dict[str, AnomalyKind]:
    """``{label: kind}`` of the packaged ``catalog`` in ``conf/sampler/inject.yaml`` (a new dict)."""
    return dict(_packaged())


def _catalog_entry(name: str, entry: Any) -> AnomalyKind:
    key = f"sampler.catalog.{name}"
    if isinstance(entry, Mapping) and "_target_" not in entry:
        if name not in _packaged_nodes():
            raise AnogenError(f"{key}: a new kind needs a _target_ (its class, e.g. mypkg.mykind.MyKind)")
        entry = build({**_packaged_nodes()[name], **entry}, key)
    elif isinstance(entry, Mapping):
        entry = build(entry, key)
    if not isinstance(entry, AnomalyKind):
        raise AnogenError(f"{key}: expected an anomaly kind (a subclass of anogen.samplers.kinds.base.AnomalyKind "
                          f"given by _target_), got {type(entry).__name__}")
    return entry


def _resolve_catalog(catalog: Mapping[str, Any] | None) -> dict[str, AnomalyKind]:
    """The packaged catalog, with ``catalog``'s entries added or replacing packaged ones by label
    (an entry without ``_target_`` overrides parameters of the packaged kind; ``None`` drops it)."""
    out = packaged_catalog()
    for name, entry in to_plain(catalog or {}).items():
        if entry is None:
            out.pop(str(name), None)
        else:
            out[str(name)] = _catalog_entry(str(name), entry)
    return out


def _parse_kinds(kinds: Any, catalog: dict[str, AnomalyKind]) -> dict[str, float] | None:
    """``None`` (every kind) or ``{label: weight > 0}``; kind objects in a list join ``catalog``."""
    kinds = to_plain(kinds)
    if kinds is None:
        return None
    if isinstance(kinds, (str, AnomalyKind)):
        kinds = [kinds]
    if isinstance(kinds, Mapping):
        items = [(str(k), check_value(w, NonNegativeFloat, f"sampler.kinds.{k}")) for k, w in kinds.items()]
    elif isinstance(kinds, Sequence):
        items = []
        for k in kinds:
            if isinstance(k, AnomalyKind):
                catalog[k.name] = k
                k = k.name
            items.append((k, 1.0))
    else:
        raise AnogenError(f"sampler.kinds must be a list of kinds or a {{kind: weight}} mapping, got {kinds!r}")
    if not items:
        raise AnogenError(f"sampler.kinds is empty; valid kinds: {list(catalog)}")
    out: dict[str, float] = {}
    for k, w in items:
        if k not in catalog:
            raise AnogenError(f"sampler.kinds: unknown kind {k!r}; valid kinds: {list(catalog)}")
        if k in out:
            raise AnogenError(f"sampler.kinds: {k!r} is listed twice")
        out[k] = float(w)
    if sum(out.values()) <= 0:
        raise AnogenError("sampler.kinds: at least one weight must be > 0")
    return {k: w for k, w in out.items() if w > 0}


def _spread(count: int, p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``count`` kind indices in random order, each kind ``floor(count * p)`` times and the rest
    given to distinct kinds drawn by the leftover fractions: the kinds' shares follow their weights
    in every fold (independent draws gave ``count=3`` over three kinds one kind only, 1 time in 9).
    """
    want = count * np.asarray(p, dtype=np.float64)
    base = np.floor(want + 1e-9).astype(int)
    rest = count - int(base.sum())
    if rest > 0:
        frac = np.clip(want - base, 0.0, None)
        pool = np.flatnonzero(frac > 0)
        extra = rng.choice(pool, size=rest, replace=False, p=frac[pool] / frac[pool].sum()) if len(pool) >= rest \
            else rng.choice(len(p), size=rest, p=p)
        np.add.at(base, extra, 1)
    return rng.permutation(np.repeat(np.arange(len(p)), base))


def _force_change(new: np.ndarray, old: np.ndarray, sd: float, label: str, start: int,
                  column: str) -> tuple[np.ndarray, int]:
    """Rows ``new`` leaves equal to ``old`` moved by ``NUDGE * sd`` (the mean change's direction).

    Returns:
        The values and the number of rows moved.
    """
    same = new == old
    k = int(same.sum())
    if k == 0:
        return new, 0
    new = new.copy()
    diff = float(np.mean(new - old))
    sgn = 1.0 if diff >= 0 else -1.0
    new[same] = old[same] + sgn * NUDGE * sd
    if (new == old).any():
        raise AnogenError(
            f"sampler inject: a {label!r} anomaly at row {start} cannot change column {column!r} (its train "
            f"std {sd:g} is below the floating-point resolution of its values)")
    return new, k


class Inject(Sampler):
    """Typed anomalies written into the clean test fold (see the module docstring).

    Args:
        ratio: fraction of anomalous test rows, in (0, 0.5] (``int(n * ratio)`` rows, at least 1;
            the event lengths are cut so the total matches as closely as ``min_length`` allows).
            Give ``ratio`` or ``count``, not both; both ``None`` means ``ratio=0.01`` (or one event
            per start row when ``position`` lists exact starts).
        count: exact number of events.
        kinds: labels of the ``catalog`` (equal weights; kind objects are accepted too) or
            ``{label: weight}``; ``None`` = every catalog kind the data allows
            (``correlation_break`` is left out for a single column) whose events are labelled
            whole: the sparse kinds (``stuck``, ``noise_burst`` in bursts, ``outlier_cluster``,
            which label only the rows they change) are used when listed, so ``ratio`` stays exact.
        min_length: shortest event in rows (kinds with a fixed length, such as ``spike``, keep it).
        max_length: longest event in rows (>= ``min_length``).
        columns: columns an event may change (``channels`` of them per event, drawn at random);
            empty = all.
        catalog: ``{label: kind}`` added to (or replacing entries of) the packaged catalog of
            ``conf/sampler/inject.yaml``; an entry is a kind object, a ``_target_`` node, a mapping
            of parameters overriding the packaged kind of that label, or ``None`` (removed).
        mode: only ``"replace"`` (typed anomalies transform existing rows).
        position: where events start: ``random``, ``beginning`` / ``middle`` / ``end`` (a start in
            that third of the test fold) or a list of exact start rows (each used at most once).
        creeping: ramp-in of every event: 0 (none), a fraction of the event in (0, 1) or rows; the
            anomaly fades in linearly from the clean values (``clean + w (anomalous - clean)``).
        channels: columns one event changes at once (each transformed by the kind on its own), or
            ``all`` (every allowed column).

    A catalog entry's own ``position`` / ``creeping`` / ``channels`` win over the sampler's.

    Raises:
        AnogenError: any invalid argument, naming its key and what is valid.
    """

    name = "inject"

    def __init__(self, ratio: Ratio | None = None, count: PositiveInt | None = None, kinds: Any = None,
                 min_length: PositiveInt = 5, max_length: PositiveInt = 20, columns: list[str] | None = None,
                 catalog: Mapping[str, Any] | None = None, mode: Literal["replace"] = "replace",
                 position: Position = "random", creeping: Creeping = 0, channels: Channels = 1) -> None:
        p = check_params(Inject, {"ratio": ratio, "count": count, "min_length": min_length,
                                  "max_length": max_length, "columns": columns, "mode": mode,
                                  "position": position, "creeping": creeping, "channels": channels}, "sampler")
        if p["ratio"] is not None and p["count"] is not None:
            raise AnogenError(f"sampler.ratio ({ratio}) and sampler.count ({count}) are exclusive: set one and "
                              "leave the other null")
        self.position, self.creeping, self.channels = p["position"], p["creeping"], p["channels"]
        exact = isinstance(self.position, tuple)
        self.count: int | None = p["count"] if p["count"] is not None or p["ratio"] is not None or not exact \
            else len(self.position)
        self.ratio: float | None = None if self.count is not None else (p["ratio"] or 0.01)
        self.min_length: int = p["min_length"]
        self.max_length: int = p["max_length"]
        self.columns = [str(c) for c in (p["columns"] or [])]
        self.mode = p["mode"]
        if len(set(self.columns)) != len(self.columns):
            raise AnogenError(f"sampler.columns lists a column twice: {self.columns}")
        if self.min_length > self.max_length:
            raise AnogenError(
                f"sampler.min_length ({self.min_length}) is greater than sampler.max_length ({self.max_length})")
        self.catalog = _resolve_catalog(catalog)
        self.kinds = _parse_kinds(kinds, self.catalog)
        self._resolve()
        self._check_min_length()

    def _resolve(self) -> None:
        """Resolve references between catalog entries (``combine``'s parts); an entry whose parts
        were removed from the catalog is dropped unless ``kinds`` lists it."""
        for label, kind in list(self.catalog.items()):
            try:
                self.catalog[label] = kind.resolve(self.catalog, f"sampler.catalog.{label}")
            except AnogenError:
                if self.kinds is not None and label in self.kinds:
                    raise
                del self.catalog[label]

    def _check_min_length(self) -> None:
        enabled = self.kinds if self.kinds is not None else {k for k, v in self.catalog.items() if v.nudges()}
        short = sorted(k for k in enabled if self.catalog[k].length is None
                       and self.min_length < self.catalog[k].min_length)
        if short:
            need = max(self.catalog[k].min_length for k in short)
            raise AnogenError(
                f"sampler.min_length must be >= {need} for segment kinds {short}, got {self.min_length} "
                "(spikes are always 1 row)")

    def __repr__(self) -> str:
        amount = f"count={self.count}" if self.count is not None else f"ratio={self.ratio}"
        return (f"Inject({amount}, kinds={self.kinds or 'all'}, length=[{self.min_length}, {self.max_length}], "
                f"columns={self.columns or 'all'}, position={self.position!r}, creeping={self.creeping}, "
                f"channels={self.channels})")

    # ---------------------------------------------------------------- placement controls
    def _control(self, label: str, name: str) -> tuple[Any, str]:
        """A placement control of a kind (its own, else the sampler's) and the key it came from."""
        own = getattr(self.catalog[label], name)
        return (own, f"sampler.catalog.{label}.{name}") if own is not None else (getattr(self, name), f"sampler.{name}")

    def _need(self, label: str, k: int) -> int:
        """Columns one event of ``label`` changes, given ``k`` allowed columns."""
        ch, key = self._control(label, "channels")
        if ch == "all":
            return k
        if ch > k:
            raise AnogenError(f"{key}: {ch} columns per event, but only {k} columns may change "
                              "(sampler.columns); lower it or allow more columns")
        return int(ch)

    # ---------------------------------------------------------------- planning
    def _weights(self, ctx: SampleContext) -> tuple[list[str], np.ndarray]:
        """The labels that may be drawn and their probabilities."""
        if self.kinds is None:  # sparse kinds label fewer rows than they span: only when listed
            names = [k for k, kind in self.catalog.items() if kind.unsupported(ctx) is None and kind.nudges()]
            if not names:
                raise AnogenError(f"sampler.kinds: no kind of the catalog {list(self.catalog)} suits the data")
            w = np.ones(len(names))
        else:
            for k in self.kinds:
                why = self.catalog[k].unsupported(ctx)
                if why:
                    raise AnogenError(f"sampler.kinds: {k} {why}")
            names = list(self.kinds)
            w = np.array([self.kinds[k] for k in names], dtype=np.float64)
        return names, w / w.sum()

    def _length(self, label: str, rng: np.random.Generator) -> int:
        fixed = self.catalog[label].length
        return int(fixed) if fixed is not None else int(rng.integers(self.min_length, self.max_length + 1))

    def _draw_events(self, n: int, rng: np.random.Generator, names: list[str],
                     p: np.ndarray) -> list[tuple[str, int]]:
        """``(label, length)`` of every event: ``count`` of them, or as many as cover the ratio."""
        if self.count is not None:
            ks = rng.choice(len(names), size=self.count, p=p) if len(names) == 1 else _spread(self.count, p, rng)
            return [(names[k], self._length(names[k], rng)) for k in ks.tolist()]
        target = anomaly_count(n, self.ratio)
        fillers = [k for k in names if self.catalog[k].length is not None]  # e.g. one-row spikes
        events: list[tuple[str, int]] = []
        rows = 0
        while rows < target:
            label = names[int(rng.choice(len(names), p=p))]
            L = self._length(label, rng)
            rem = target - rows
            if L > rem:
                fits = [k for k in fillers if self.catalog[k].length <= rem]
                if self.catalog[label].length is None and rem >= self.min_length:
                    L = rem
                elif fits:  # fill the remainder with fixed-length events
                    label, L = fits[0], int(self.catalog[fits[0]].length)
                elif events and rem < self.min_length - rem:  # stopping is closer than overshooting
                    break
                elif self.catalog[label].length is None:
                    L = self.min_length
            events.append((label, L))
            rows += L
        return events

    def _check_exact(self, events: list[tuple[str, int]]) -> None:
        """Each list of exact start rows has at least as many starts as events drawn for it."""
        drawn: dict[str, list[int]] = {}
        for label, _ in events:
            pos, key = self._control(label, "position")
            if isinstance(pos, tuple):
                drawn.setdefault(key, [len(pos), 0])[1] += 1
        for key, (starts, k) in drawn.items():
            if k > starts:
                raise AnogenError(f"{key} lists {starts} start row(s) but {k} events were drawn for it; set "
                                  f"sampler.count={starts} or list more start rows")

    def _start_mask(self, label: str, L: int, scan: WindowScan, n: int, names_c: tuple[str, ...],
                    memo: dict) -> np.ndarray | None:
        """``(n,)`` allowed starts of a ``label`` event of ``L`` rows (``None`` = all): where the
        kind can change ``channels`` of the allowed columns, within its ``position``. Kinds with
        the same eligibility array, channels and position share one mask (``memo``)."""
        kind = self.catalog[label]
        need = self._need(label, len(names_c))
        ok = kind.eligible(scan, L)
        pos, key = self._control(label, "position")
        memo_key = (None if ok is None else id(ok), need, pos, L)
        if memo_key not in memo:
            memo[memo_key] = (ok, self._mask(label, L, ok, need, pos, key, n, names_c))  # ok kept alive: its id stays unique
        return memo[memo_key][1]

    def _mask(self, label: str, L: int, ok: np.ndarray | None, need: int, pos: Any, key: str, n: int,
              names_c: tuple[str, ...]) -> np.ndarray | None:
        kind = self.catalog[label]
        m = None
        if ok is not None or need > 1:
            ok = np.ones((n - L + 1, len(names_c)), dtype=bool) if ok is None else np.asarray(ok, dtype=bool)
            if ok.shape != (n - L + 1, len(names_c)):
                raise AnogenError(f"sampler.catalog.{label}: eligible() returned shape {ok.shape}, "
                                  f"expected {(n - L + 1, len(names_c))}")
            m = np.zeros(n, dtype=bool)
            m[: ok.shape[0]] = ok.sum(axis=1) >= need
            if not m.any():
                which = f"one of the columns {list(names_c)}" if need == 1 else f"{need} of the columns {list(names_c)}"
                raise AnogenError(
                    f"sampler.kinds: {label!r} needs a {L}-row segment that {kind.requirement()} in {which}, but "
                    f"the test fold has none; drop {label!r} or change sampler.columns")
        pm = start_mask(pos, n, L, key)
        if pm is not None:
            m = pm if m is None else m & pm
            if not m.any():
                raise AnogenError(f"{key}: no start at {pos!r} suits a {L}-row {label!r} event (it needs a segment "
                                  f"that {kind.requirement()}); change the position or the kind")
        return None if m is None or m[: n - L + 1].all() else m

    def plan(self, ctx: SampleContext, rng: np.random.Generator) -> list[SlotRequest]:
        """Draw the kind and length of every event and the allowed starts of each.

        Args:
            ctx: the fold's sampling context.
            rng: random generator.

        Returns:
            One :class:`SlotRequest` per event (``replace``, ``payload=(label, kind)``); requests of
            kinds with an eligibility rule or a position carry an ``eligible`` mask.

        Raises:
            AnogenError: unknown columns, a kind the data cannot support, no eligible segment, or
                a position that no event fits.
        """
        fold = ctx.fold
        n = ctx.n_test
        cols, names_c = resolve_columns(self.columns, fold.columns)
        names, p = self._weights(ctx)
        events = self._draw_events(n, rng, names, p)
        longest = max(L for _, L in events)
        if longest > n:
            raise AnogenError(
                f"sampler.max_length: an event of {longest} rows is longer than the test fold ({n} rows)")
        for label in dict.fromkeys(k for k, _ in events):
            self.catalog[label].check_data(ctx, max(L for k, L in events if k == label))
        self._check_exact(events)
        scan = WindowScan(np.asarray(fold.test, dtype=np.float64)[:, cols])
        masks: dict[tuple[str, int], np.ndarray | None] = {}  # one array per (kind, length): allocate groups by it
        memo: dict = {}
        requests = []
        for label, L in events:
            if (label, L) not in masks:
                masks[(label, L)] = self._start_mask(label, L, scan, n, names_c, memo)
            requests.append(SlotRequest(L, "replace", masks[(label, L)], payload=(label, self.catalog[label])))
        return requests

    # ---------------------------------------------------------------- filling
    def fill(self, ctx: SampleContext, slots: list[Slot], rng: np.random.Generator) -> list[Edit]:
        """Write each planned event into its allocated slot.

        Args:
            ctx: the fold's sampling context (same as for ``plan``).
            slots: slots allocated for this sampler's requests (any subset, any order); each
                ``payload`` is the ``(label, kind)`` of its request.
            rng: random generator.

        Returns:
            One :class:`Edit` per slot, ``kind`` = the kind label (``combine``: its parts' labels
            joined by ``+``), ``params`` = the column(s) and the parameters used (JSON-able).

        Raises:
            AnogenError: a slot without a planned kind, or a transform that cannot change the data.
        """
        test = np.asarray(ctx.fold.test, dtype=np.float64)
        cols, _ = resolve_columns(self.columns, ctx.fold.columns)
        cache: dict[Any, Any] = {}  # shared by this call's events (e.g. dominant periods)
        return [self._fill_one(ctx, test, cols, slot, cache, rng) for slot in slots]

    def _choose_columns(self, label: str, kind: AnomalyKind, seg: np.ndarray, cols: list[int], s: int,
                        rng: np.random.Generator) -> list[int]:
        """The columns one event changes: ``channels`` of those the kind can change in ``seg``."""
        ok = [c for c, good in zip(cols, kind.column_ok(seg[:, cols])) if good]
        need = self._need(label, len(cols))
        if len(ok) < need:
            raise AnogenError(f"sampler inject: no {need} column(s) can take a {label!r} anomaly at row {s}")
        if need == 1:
            return [int(ok[int(rng.integers(len(ok)))]) if len(ok) > 1 else int(ok[0])]
        return sorted(int(c) for c in rng.choice(ok, size=need, replace=False)) if len(ok) > need else ok

    def _fill_one(self, ctx: SampleContext, test: np.ndarray, cols: list[int], slot: Slot,
                  cache: dict, rng: np.random.Generator) -> Edit:
        payload = slot.payload
        if not (isinstance(payload, tuple) and len(payload) == 2 and isinstance(payload[1], AnomalyKind)):
            raise AnogenError("sampler inject: fill() got a slot without a planned kind (slot.payload); pass the "
                              "slots that allocate() returned for this sampler's plan() requests")
        label, kind = payload
        s, L = slot.start, slot.length
        seg = test[s:s + L]
        creep = creep_rows(self._control(label, "creeping")[0], L)
        values = seg.copy()
        infos: dict[str, dict] = {}
        for c in self._choose_columns(label, kind, seg, cols, s, rng):
            new, info = kind.apply(Segment(ctx, test, c, s, L, cache), rng)
            new = np.asarray(new, dtype=np.float64)
            if new.shape != (L,):
                raise AnogenError(f"sampler.catalog.{label}: apply() returned shape {new.shape}, expected {(L,)}")
            if creep:  # fade in: clean + w * (anomalous - clean)
                new = seg[:, c] + ramp(L, creep) * (new - seg[:, c])
            column = ctx.fold.columns[c]
            if kind.nudges():
                new, nudged = _force_change(new, seg[:, c], float(ctx.std[c]), label, s, column)
                if nudged:
                    info = {**info, "nudged_rows": nudged}
            values[:, c] = new
            infos[column] = info
        return Edit(s, values, "replace", kind.event_kind(label), tuple(infos), self.name,
                    _event_params(label, kind, infos, creep))


def _event_params(label: str, kind: AnomalyKind, infos: dict[str, dict], creep: int) -> dict[str, Any]:
    """The event's ``params``: ``column`` and the kind's parameters (one column), or ``columns``
    and ``by_column`` (several); ``creeping`` rows and the catalog ``label`` when they add news."""
    if len(infos) == 1:
        ((column, info),) = infos.items()
        out: dict[str, Any] = {"column": column, **info}
    else:
        out = {"columns": list(infos), "by_column": infos}
    if creep:
        out["creeping"] = creep
    if kind.event_kind(label) != label:
        out["label"] = label
    return out
