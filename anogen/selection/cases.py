"""The battery's cases on one fold: each cell (a kind or noise variant x a difficulty level x a
seed, :mod:`anogen.selection.battery`) injected into clean rows as a :class:`~anogen.evaluation.Case`;
the tabular battery (ADBench's row kinds, :mod:`anogen.selection.rows`); the learned samplers that
pass their quality verdict; and the labelled test part as a case of its own."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping, Sequence

import numpy as np

from anogen.config import build, packaged_option
from anogen.data.period import MAX_WINDOW
from anogen.evaluation import Case
from anogen.samplers import SampleContext, generate_fold
from anogen.samplers.folds import inject_fold
from anogen.samplers.inject import packaged_catalog
from anogen.samplers.report import generator_report
from anogen.seeding import name_seed, stage_seed
from anogen.selection.battery import Cell, ladder, local_scale, plan_battery, rescale
from anogen.selection.rows import ROW_KINDS, RowModel, inject_rows
from anogen.selection.settings import SelectSettings
from anogen.types import AnogenError, Event, Fold, Injected

__all__ = ["battery_split", "labelled_case", "preceding_train_rows", "CONTEXT_ROWS", "battery_kinds", "learned_nodes", "make_case", "cell_tags",
           "series_cases", "tabular_cases"]


def _clip_segments(segments: np.ndarray, lo: int, hi: int) -> np.ndarray:
    segs = [(max(a, lo) - lo, min(b, hi) - lo) for a, b in np.asarray(segments).tolist() if min(b, hi) > max(a, lo)]
    return np.array(segs, dtype=np.int64).reshape(-1, 2)


def battery_split(fold: Fold, fraction: float) -> Fold:
    """A fold whose train part is the first ``1 - fraction`` of ``fold.train`` and whose test part
    is the rest (clean rows that can carry the battery when the real test part is labelled)."""
    n = fold.train.shape[0]
    cut = int(round(n * (1 - fraction)))
    if cut < 2 or n - cut < 4:
        raise AnogenError(f"select.battery_fraction: fold {fold.number} has {n} train rows, too few to hold out "
                          f"{fraction:g} of them for the battery")
    return replace(fold, train=fold.train[:cut], test=fold.train[cut:], train_index=fold.train_index[:cut],
                   test_index=fold.train_index[cut:], train_segments=_clip_segments(fold.train_segments, 0, cut))


def labelled_case(fold: Fold, labels: np.ndarray, scaler: Any) -> Case:
    """The fold's test part with real labels as a :class:`~anogen.evaluation.Case` (events = label runs)."""
    y = np.asarray(labels, dtype=bool)
    if y.shape != (fold.test.shape[0],):
        raise AnogenError(f"labels: {y.shape[0]} labels for {fold.test.shape[0]} test rows of fold {fold.number}")
    d = np.diff(np.r_[0, y.astype(np.int8), 0])
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    events = tuple(Event(int(s), int(e), "real", tuple(fold.columns), "labels") for s, e in zip(starts, ends))
    kinds = np.where(y, "real", "").astype(object)
    inj = Injected(fold.test, y, events, tuple(fold.columns), fold.test_index, fold.test, kinds)
    return Case("real", inj, scaler.transform(fold.test), tags={"fold": fold.number},
                context=scaler.transform(preceding_train_rows(fold)))


#: the most train rows kept as a labelled case's context (twice the longest period window)
CONTEXT_ROWS = 2 * MAX_WINDOW


def preceding_train_rows(fold: Fold, limit: int = CONTEXT_ROWS) -> np.ndarray:
    """The last ``limit`` rows of the train segment the test part follows (the latest segment that
    starts before the test's first time stamp; the last segment when the stamps do not compare)."""
    seg = np.asarray(fold.train_segments)
    if seg.shape[0] == 0 or fold.train.shape[0] == 0:
        return fold.train[:0]
    a, b = (int(v) for v in seg[-1])
    if seg.shape[0] > 1 and len(fold.test_index):
        try:
            before = [i for i, (s, _) in enumerate(seg) if fold.train_index[int(s)] < fold.test_index[0]]
        except TypeError:
            before = []
        if before:
            a, b = (int(v) for v in seg[before[-1]])
    return fold.train[max(a, b - int(limit)):b]


def battery_kinds(settings: SelectSettings) -> tuple[list[str], dict[str, int], dict[str, str]]:
    """The battery's inject kinds, their shortest events and declared families."""
    cat = packaged_catalog()
    kinds = list(settings.kinds) if settings.kinds is not None else [k for k in cat if k not in settings.exclude]
    unknown = [k for k in kinds if k not in cat]
    if unknown:
        raise AnogenError(f"select.kinds: unknown kind(s) {unknown}; valid: {list(cat)}")
    min_len = {k: int(cat[k].length or cat[k].min_length) for k in kinds}
    declared = {k: str(getattr(cat[k], "family")) for k in kinds if getattr(cat[k], "family", None)}
    return kinds, min_len, declared


def _sampler_node(name: str) -> dict:
    """A packaged sampler option (``conf/sampler/{name}.yaml``) as a plain node."""
    return packaged_option("sampler", name, "select.learned")


def learned_nodes(fold: Fold, names: Sequence[str], model: tuple[Any, Any], seed: int,
                  min_gap: int) -> tuple[dict[str, dict], dict[str, str]]:
    """The learned samplers whose generator report's verdict is ``ok`` on this fold (the others
    are reported with their verdict and reasons, :mod:`anogen.samplers.report`)."""
    ok, skipped = {}, {}
    for name in names:
        node = _sampler_node(name)
        sampler = build(node, f"select.learned.{name}")
        s = stage_seed(seed, fold.number, name_seed(f"learned:{name}"))
        ctx = SampleContext.from_fold(fold, model=model[0], scaler=model[1], seed=s)
        inj = generate_fold(sampler, ctx, np.random.default_rng(s + 1), min_gap=min_gap)
        rep = generator_report(ctx, inj, seed).get(getattr(sampler, "name", name))
        if rep is not None and rep.verdict == "ok":
            ok[name] = node
        else:
            why = f"quality verdict {rep.verdict}: {'; '.join(rep.reasons)}" if rep else "no generator report"
            skipped[f"fold{fold.number}/learned:{name}"] = why
    return ok, skipped


def make_case(cell: Cell, fold: Fold, scaler: Any, local: np.ndarray, seed: int, min_gap: int,
               model: tuple[Any, Any] = (None, None)) -> Case:
    s = stage_seed(seed, fold.number, name_seed(cell.kind), cell.seed)
    gen = model if cell.family == "learned" else (None, None)
    inj, _ = inject_fold(build(dict(cell.node), f"select.battery.{cell.kind}"), fold, gen[0], gen[1], s, s + 1,
                         min_gap)
    inj = rescale(inj, cell.level * local)
    tags = cell_tags(cell, fold)
    return Case(tags["cell"], inj, scaler.transform(inj.values), tags=tags)


def cell_tags(cell: Cell, fold: Fold) -> dict[str, Any]:
    return {"fold": fold.number, "cell": f"fold{fold.number}/{cell.name}", "kind": cell.kind,
            "family": cell.family, "level": cell.level, "seed": cell.seed,
            "cluster": f"fold{fold.number}/{cell.cluster}"}


def series_cases(bfold: Fold, scaler: Any, settings: SelectSettings, seed: int, min_gap: int,
                  model: tuple[Any, Any], learned: Mapping[str, dict]) -> tuple[list[Case], dict[str, str]]:
    """The series battery: typed kinds + noise variants (+ learned) x the ladder x seeds."""
    local = local_scale(bfold.train, bfold.train_segments)
    levels = settings.levels or ladder(local, bfold.train.std(axis=0), settings.steps, settings.gross)
    kinds, min_len, declared = battery_kinds(settings)
    cells = plan_battery(kinds, bfold.test.shape[0], levels, settings.seeds, noise=settings.noise,
                         min_lengths=min_len, declared=declared, learned=learned)
    cases, skipped = [], {}
    for cell in cells:
        try:
            cases.append(make_case(cell, bfold, scaler, local, seed, min_gap, model))
        except AnogenError as e:
            skipped[f"fold{bfold.number}/{cell.name}"] = str(e)
    return cases, skipped


def tabular_cases(bfold: Fold, scaler: Any, settings: SelectSettings, seed: int, min_gap: int,
                   model: tuple[Any, Any], learned: Mapping[str, dict]) -> tuple[list[Case], dict[str, str]]:
    """The tabular battery: ADBench's row kinds (+ learned) x strengths x seeds."""
    rows = RowModel(bfold.train, seed=stage_seed(seed, bfold.number, 4))
    levels = settings.levels or (1.1, 2.0, 5.0)
    cases = []
    for kind in (settings.kinds or ROW_KINDS):
        if kind not in ROW_KINDS:
            raise AnogenError(f"select.kinds: {kind!r} is not a row kind; valid in tabular mode: {list(ROW_KINDS)}")
        for lv in levels:
            for sd in settings.seeds:
                inj = inject_rows(bfold.test, bfold.columns, bfold.test_index, rows, kind, float(lv),
                                  settings.row_ratio, stage_seed(seed, bfold.number, name_seed(kind), sd))
                cell = Cell(kind, kind, float(lv), int(sd))
                cases.append(Case(f"fold{bfold.number}/{cell.name}", inj, scaler.transform(inj.values),
                                  tags=cell_tags(cell, bfold)))
    lcases, skipped = [], {}
    if learned:
        cells = plan_battery([], bfold.test.shape[0], levels, settings.seeds, noise=False, learned=learned)
        for cell in cells:
            try:
                lcases.append(make_case(cell, bfold, scaler, np.ones(bfold.train.shape[1]), seed, min_gap, model))
            except AnogenError as e:
                skipped[f"fold{bfold.number}/{cell.name}"] = str(e)
    return cases + lcases, skipped
