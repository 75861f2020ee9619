"""Non-overlapping placement of anomalies, and writing them into a clean fold.

``allocate`` chooses start positions for a list of :class:`SlotRequest`
uniformly at random among all non-overlapping arrangements (stars and bars: O(k) after one
sort), then re-places, in vectorised rounds, any slot whose start is not in its request's
``eligible`` mask (when unconstrained slots took the few eligible starts, the constrained requests
are placed first and the others around them, so exact positions hold next to many random events).
:func:`start_mask` turns a ``position`` (``beginning``/``middle``/``end`` or exact start rows) into such a mask.
``apply_edits`` writes :class:`~anogen.types.Edit` objects into the fold and derives labels *and
each event's columns* from what actually changed, so labels, events and data always agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from anogen.params import NonNegativeInt, check_value
from anogen.types import AnogenError, Edit, Event, Fold, Injected

__all__ = ["SlotRequest", "Slot", "allocate", "apply_edits", "check_injected", "interpolate_index", "start_mask"]


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


_THIRDS = {"beginning": 0, "middle": 1, "end": 2}


def start_mask(position: str | Sequence[int], n: int, length: int, key: str = "sampler.position") -> np.ndarray | None:
    """Where a ``length``-row event may start for a ``position``.

    Args:
        position: ``random`` (anywhere), ``beginning`` / ``middle`` / ``end`` (a start in that third
            of the fold, GutenTAG's sections: ``[k n // 3, (k + 1) n // 3)``), or exact start rows.
        n: rows of the fold.
        length: rows of the event.
        key: config key for errors.

    Returns:
        ``(n,)`` bool mask of allowed starts, or ``None`` for ``random``.

    Raises:
        AnogenError: no start of that section fits the event, or an exact start leaves the fold.
    """
    if isinstance(position, str) and position == "random":
        return None
    last = n - length  # the last start that fits
    mask = np.zeros(n, dtype=bool)
    if isinstance(position, str):
        k = _THIRDS[position]
        lo, hi = k * n // 3, min((k + 1) * n // 3, last + 1)
        if hi <= lo:
            raise AnogenError(f"{key}: a {length}-row event cannot start in the {position} third of the "
                              f"test fold (rows {k * n // 3}..{(k + 1) * n // 3 - 1} of {n}); use shorter events")
        mask[lo:hi] = True
        return mask
    starts = np.asarray(list(position), dtype=np.int64)
    bad = starts[starts > last]
    if bad.size:
        raise AnogenError(f"{key}: a {length}-row event cannot start at row {int(bad[0])} (the test fold has "
                          f"{n} rows, so the last start is {last})")
    mask[starts] = True
    return mask


def _free_starts(n: int, length: int, slots: Sequence[Slot], min_gap: int) -> np.ndarray:
    """Bool mask ``(n + 1,)`` of starts where a replace window of ``length`` fits among ``slots``."""
    diff = np.zeros(n + 2, dtype=np.int64)
    bad = np.zeros(n + 2, dtype=np.int64)  # difference array over *starts*
    for s in slots:
        if s.mode == "replace" and s.length > 0:
            a, b = max(0, s.start - min_gap), min(n, s.start + s.length + min_gap)
            diff[a] += 1
            diff[b] -= 1
        else:  # an insert point p: no window may straddle it, and keep the gap
            p = s.start
            lo, hi = max(0, p - length - min_gap + 1), min(n + 1, p + min_gap)
            if hi > lo:
                bad[lo] += 1
                bad[hi] -= 1
    blocked_rows = np.cumsum(diff[:n]) > 0
    csum = np.concatenate([[0], np.cumsum(blocked_rows)])
    starts = np.arange(n + 1)
    ends = starts + length
    ok = ends <= n
    ok[ok] = (csum[ends[ok]] - csum[starts[ok]]) == 0
    ok &= np.cumsum(bad[: n + 1]) == 0
    return ok


def allocate(requests: Sequence[SlotRequest], n: int, rng: np.random.Generator,
             min_gap: NonNegativeInt = 0, max_rounds: int = 64) -> list[Slot]:
    """Choose non-overlapping start positions for every request.

    All requests are placed uniformly at random among the non-overlapping arrangements (stars
    and bars), then slots whose start is not in their request's ``eligible`` mask are re-placed
    in vectorised rounds. When that fails because unconstrained slots took the few eligible
    starts (e.g. exact positions next to many random events), the constrained requests are placed
    first and the others around them.

    Args:
        requests: what to place (from one or several samplers' ``plan``).
        n: number of rows of the clean fold.
        rng: random generator (the only source of randomness).
        min_gap: minimum number of untouched clean rows between two anomalies.
        max_rounds: re-placement rounds for slots whose start is not eligible.

    Returns:
        One :class:`Slot` per request, in the order of ``requests`` (each carries its request's
        ``payload``).

    Raises:
        AnogenError: the fold cannot hold the requests, or no eligible position is left.
    """
    k = len(requests)
    if k == 0:
        return []
    min_gap = check_value(min_gap, NonNegativeInt, "placement.min_gap")
    widths = np.array([r.length if r.mode == "replace" else 0 for r in requests], dtype=np.int64)
    if (np.array([r.length for r in requests]) <= 0).any():
        raise AnogenError("every anomaly must span at least one row")
    if widths.max() > n:
        raise AnogenError(
            f"an anomaly of {int(widths.max())} rows is longer than the test fold ({n} rows); "
            "use a shorter window/wave_length or a longer date range")
    total = int(widths.sum()) + min_gap * (k - 1)
    if total > n:
        raise AnogenError(
            f"the test fold ({n} rows) cannot hold {k} anomalies spanning {int(widths.sum())} rows "
            f"with min_gap {min_gap} (needs {total} rows); lower the ratio/count or the lengths")
    starts = _stars_and_bars(widths, 0, n, rng, min_gap)
    slots = [Slot(int(s), int(r.length), r.mode, r.payload) for s, r in zip(starts, requests)]
    try:
        _replace_ineligible(slots, requests, n, rng, min_gap, max_rounds)
    except AnogenError:
        constrained = [i for i, r in enumerate(requests) if r.eligible is not None]
        if len(constrained) == k:
            raise
        return _allocate_around(requests, constrained, widths, n, rng, min_gap, max_rounds)
    return slots


def _stars_and_bars(widths: np.ndarray, lo: int, hi: int, rng: np.random.Generator, min_gap: int) -> np.ndarray:
    """``(k,)`` starts in ``[lo, hi)`` for items of ``widths``: a uniformly random order and
    uniformly random gaps (every non-overlapping arrangement equally likely)."""
    k = widths.shape[0]
    free = (hi - lo) - int(widths.sum()) - min_gap * (k - 1)
    order = rng.permutation(k)
    x = np.sort(rng.choice(free + k, size=k, replace=False))
    w_ord = widths[order]
    before = np.concatenate([[0], np.cumsum(w_ord[:-1] + min_gap)])
    starts = np.empty(k, dtype=np.int64)
    starts[order] = lo + x - np.arange(k) + before
    return starts


def _allocate_around(requests: Sequence[SlotRequest], constrained: list[int], widths: np.ndarray, n: int,
                     rng: np.random.Generator, min_gap: int, max_rounds: int) -> list[Slot]:
    """The constrained requests placed first (among themselves), the others by stars and bars
    in the free stretches between them (each stretch drawn with a probability proportional to
    its room)."""
    sub = [requests[i] for i in constrained]
    sub_slots = [Slot(int(s), int(r.length), r.mode, r.payload)
                 for s, r in zip(_stars_and_bars(widths[constrained], 0, n, rng, min_gap), sub)]
    _replace_ineligible(sub_slots, sub, n, rng, min_gap, max_rounds)
    slots: list[Slot | None] = [None] * len(requests)
    for i, sl in zip(constrained, sub_slots):
        slots[i] = sl
    spans = sorted(_span(sl) for sl in sub_slots)
    edges = [0] + [x for a, b in spans for x in (a - min_gap, b + min_gap)] + [n]
    stretches = [(max(0, a), min(n, b)) for a, b in zip(edges[::2], edges[1::2])]
    members: list[list[int]] = [[] for _ in stretches]
    used = np.zeros(len(stretches), dtype=np.int64)
    for i in rng.permutation([i for i in range(len(requests)) if i not in set(constrained)]).tolist():
        extra = widths[i] + np.array([min_gap if m else 0 for m in members])
        room = np.array([b - a for a, b in stretches]) - used - extra
        fits = np.flatnonzero(room >= 0)
        if fits.size == 0:
            raise AnogenError(f"the test fold ({n} rows) cannot hold the anomalies around the ones at fixed "
                              "positions; lower the ratio/count or the lengths")
        j = int(rng.choice(fits, p=(room[fits] + 1) / (room[fits] + 1).sum()))
        members[j].append(i)
        used[j] += extra[j]
    for (a, b), mem in zip(stretches, members):
        if mem:
            for i, st in zip(mem, _stars_and_bars(widths[mem], a, b, rng, min_gap)):
                slots[i] = Slot(int(st), int(requests[i].length), requests[i].mode, requests[i].payload)
    return slots  # type: ignore[return-value]


def _span(s: Slot) -> tuple[int, int]:
    """Rows ``[a, b)`` a slot occupies (an insert: the empty span at its point)."""
    return (s.start, s.start + s.length) if s.mode == "replace" else (s.start, s.start)


def _replace_ineligible(slots: list[Slot], requests: Sequence[SlotRequest], n: int, rng: np.random.Generator,
                        min_gap: int, max_rounds: int) -> None:
    """Move, in vectorised rounds, every slot whose start is not in its request's ``eligible`` mask (in place)."""
    k = len(requests)
    bad = [i for i, r in enumerate(requests)
           if r.eligible is not None and not bool(np.asarray(r.eligible)[slots[i].start])]
    rounds = 0
    while bad:
        rounds += 1
        if rounds > max_rounds:
            raise AnogenError(
                f"could not place {len(bad)} of {k} anomalies at eligible positions after "
                f"{max_rounds} rounds; lower the ratio or the lengths")
        bad_set = set(bad)
        fixed = [s for i, s in enumerate(slots) if i not in bad_set]
        still = []
        # group the misplaced requests by (length, mode, mask identity) and place each group in one go
        groups: dict[tuple[int, str, int], list[int]] = {}
        for i in bad:
            groups.setdefault((requests[i].length, requests[i].mode, id(requests[i].eligible)), []).append(i)
        for (length, mode, _), members in groups.items():
            kept = _place_group(requests, members, fixed, n, rng, min_gap, k)
            for i, p in zip(members, kept):
                slots[i] = Slot(int(p), length, mode, requests[i].payload)
                fixed.append(slots[i])
            still.extend(members[len(kept):])
        bad = still


def _place_group(requests: Sequence[SlotRequest], members: list[int], fixed: list[Slot], n: int,
                 rng: np.random.Generator, min_gap: int, k: int) -> list[int]:
    """Eligible, mutually compatible starts for a group of requests of one length, mode and mask."""
    first = requests[members[0]]
    span = first.length if first.mode == "replace" else 1  # an insert takes no rows: a free 1-row point
    ok = _free_starts(n, span, fixed, min_gap)
    elig = np.asarray(first.eligible, dtype=bool)
    ok[: elig.shape[0]] &= elig
    ok[elig.shape[0]:] = False
    cand = np.flatnonzero(ok)
    if cand.size == 0:
        raise AnogenError(
            f"no eligible position left for an anomaly of {first.length} rows "
            f"({len(members)} of {k} unplaced); lower the ratio or the lengths")
    pick = np.sort(rng.choice(cand, size=min(len(members), cand.size), replace=False))
    kept, last_end = [], -(10**18)  # a subset that does not conflict with each other (greedy on sorted starts)
    for p in pick.tolist():
        if p >= last_end + min_gap:
            kept.append(p)
            last_end = p + span
    return kept


def interpolate_index(index: np.ndarray, positions: np.ndarray, counts: np.ndarray) -> list[np.ndarray]:
    """Time stamps for rows inserted before ``positions`` (``counts`` rows each).

    Stamps are spread evenly between the neighbours; at either end the median step extends the series.

    Args:
        index: ``(n,)`` datetime64 or numeric index of the clean fold.
        positions: ``(m,)`` insertion positions in ``[0, n]``.
        counts: ``(m,)`` rows inserted at each position.

    Returns:
        ``m`` arrays of ``counts[i]`` stamps (same dtype family as ``index``; numeric becomes float).
    """
    is_time = np.issubdtype(index.dtype, np.datetime64)
    num = index.astype("datetime64[ns]").astype(np.int64).astype(np.float64) if is_time \
        else index.astype(np.float64)
    n = num.shape[0]
    step = float(np.median(np.diff(num))) if n > 1 else 1.0
    out = []
    for p, c in zip(np.asarray(positions).tolist(), np.asarray(counts).tolist()):
        left = num[p - 1] if p > 0 else num[0] - step * (c + 1)
        right = num[p] if p < n else num[n - 1] + step * (c + 1)
        vals = left + (right - left) * np.arange(1, c + 1) / (c + 1)
        out.append(vals.round().astype(np.int64).astype("datetime64[ns]") if is_time else vals)
    return out


class _Pieces:
    """The output of :func:`apply_edits`, assembled piece by piece in output order."""

    def __init__(self, index_out: np.ndarray) -> None:
        self.vals: list[np.ndarray] = []
        self.clean: list[np.ndarray] = []
        self.labels: list[np.ndarray] = []
        self.index: list[np.ndarray] = []
        self.kinds: list[np.ndarray] = []
        self.events: list[Event] = []
        self.rows = 0
        self.index_out = index_out

    def add(self, vals: np.ndarray, clean: np.ndarray, changed: np.ndarray, index: np.ndarray,
            edit: Edit | None = None, columns: tuple[str, ...] = ()) -> None:
        """Append ``L`` rows; for an edit, one event per contiguous run of ``changed`` rows, naming
        the columns that differ from ``clean`` in that run (inserted rows: the edit's columns)."""
        self.vals.append(vals)
        self.clean.append(clean)
        self.labels.append(changed)
        self.index.append(index)
        self.kinds.append(np.where(changed, edit.kind, "").astype(object) if edit is not None
                          else np.full(changed.shape[0], "", dtype=object))
        if edit is not None:
            padded = np.concatenate([[False], changed, [False]])
            edges = np.flatnonzero(padded[1:] != padded[:-1])
            for a, b in zip(edges[::2], edges[1::2]):
                if edit.mode == "insert":
                    cols = tuple(edit.columns)
                else:
                    moved = (vals[a:b] != clean[a:b]).any(axis=0)
                    cols = tuple(c for c, m in zip(columns, moved) if m)
                self.events.append(Event(self.rows + int(a), self.rows + int(b), edit.kind, cols,
                                         edit.source, dict(edit.params)))
        self.rows += changed.shape[0]

    def add_clean(self, clean: np.ndarray, a: int, b: int) -> None:
        """Append the untouched clean rows ``[a, b)``."""
        if b > a:
            self.add(clean[a:b], clean[a:b], np.zeros(b - a, dtype=bool), self.index_out[a:b])


def _check_edit(e: Edit, d: int, n: int, pos: int) -> np.ndarray:
    """The edit's ``(L, d)`` values, checked for shape, finiteness and overlap with what came before."""
    v = np.asarray(e.values, dtype=np.float64)
    if v.ndim != 2 or v.shape[1] != d:
        raise AnogenError(f"{e.source!r} produced rows of shape {v.shape}, expected (L, {d})", key="sampler", sep=" ")
    if not np.isfinite(v).all():
        raise AnogenError(f"{e.source!r} produced non-finite values", key="sampler", sep=" ")
    if e.start < pos or e.start > n or (e.mode == "replace" and e.start + e.length > n):
        raise AnogenError(f"anomalies overlap or leave the fold at row {e.start} (sampler {e.source!r})")
    return v


def apply_edits(fold: Fold, edits: Sequence[Edit]) -> Injected:
    """Write edits into the clean test fold.

    Labels are the rows that actually differ from the clean fold (``replace``) plus every inserted
    row (``insert``); an event is emitted per contiguous run of such rows, so events cover exactly
    the labelled rows, and its ``columns`` are exactly the columns that differ in that run (an
    edit meant for ``Light`` that leaves ``Light`` at 0 does not name it).

    Args:
        fold: the clean fold.
        edits: non-overlapping edits (as produced from :func:`allocate` slots).

    Returns:
        The injected fold.

    Raises:
        AnogenError: overlapping edits, wrong widths, or an edit that changes nothing.
    """
    clean = np.asarray(fold.test, dtype=np.float64)
    n, d = clean.shape
    index = np.asarray(fold.test_index)
    index_out = index.astype("datetime64[ns]") if np.issubdtype(index.dtype, np.datetime64) \
        else index.astype(np.float64)
    eds = sorted(edits, key=lambda e: (e.start, 0 if e.mode == "insert" else 1))  # inserts first at a start
    ins = [e for e in eds if e.mode == "insert"]
    stamps = iter(interpolate_index(index, np.array([e.start for e in ins], dtype=np.int64),
                                    np.array([e.length for e in ins], dtype=np.int64))) if ins else iter(())
    out = _Pieces(index_out)
    pos = 0
    for e in eds:
        v = _check_edit(e, d, n, pos)
        out.add_clean(clean, pos, e.start)
        pos = e.start
        L = e.length
        if e.mode == "insert":
            out.add(v, np.full((L, d), np.nan), np.ones(L, dtype=bool), next(stamps), e)
            continue
        changed = (v != clean[pos:pos + L]).any(axis=1)
        if not changed.any():
            raise AnogenError(
                f"{e.source!r} produced a {e.kind!r} anomaly at row {e.start} that changes "
                "nothing (e.g. a relative change of zeros, or a zero magnitude)", key="sampler", sep=" ")
        out.add(v, clean[pos:pos + L], changed, index_out[pos:pos + L], e, tuple(fold.columns))
        pos += L
    out.add_clean(clean, pos, n)
    return Injected(
        values=np.concatenate(out.vals) if out.vals else clean.copy(),
        labels=np.concatenate(out.labels) if out.labels else np.zeros(n, bool),
        events=tuple(sorted(out.events, key=lambda ev: ev.start)),
        columns=tuple(fold.columns),
        index=np.concatenate(out.index) if out.index else index_out.copy(),
        clean=np.concatenate(out.clean) if out.clean else clean.copy(),
        kinds=np.concatenate(out.kinds) if out.kinds else np.full(n, "", dtype=object),
    )


def check_injected(inj: Injected) -> None:
    """Assert the invariants of an :class:`Injected` (used by tests and by the pipeline).

    * events are sorted, disjoint and cover exactly the labelled rows;
    * a labelled row differs from its clean counterpart or is inserted (clean is NaN);
    * an unlabelled row equals its clean counterpart;
    * an event of replaced rows names exactly the columns that differ in its rows.

    Raises:
        AssertionError: naming the first violated invariant.
    """
    n = inj.values.shape[0]
    cover = np.zeros(n, dtype=bool)
    last = -1
    for ev in inj.events:
        assert ev.start >= last, f"events overlap or are unsorted at {ev.start}"
        assert 0 <= ev.start < ev.end <= n, f"event out of range: {ev}"
        cover[ev.start:ev.end] = True
        last = ev.end
    assert np.array_equal(cover, inj.labels), "events do not cover exactly the labelled rows"
    inserted = np.isnan(inj.clean).all(axis=1)
    differs = (inj.values != inj.clean).any(axis=1) & ~inserted
    assert np.array_equal(inj.labels, differs | inserted), "labels disagree with the changed rows"
    for ev in inj.events:
        if inserted[ev.start:ev.end].any():
            continue
        moved = (inj.values[ev.start:ev.end] != inj.clean[ev.start:ev.end]).any(axis=0)
        assert set(ev.columns) == {c for c, m in zip(inj.columns, moved) if m}, \
            f"event at {ev.start} names columns {ev.columns} that are not the ones changed"
