"""The selection job (``+experiment=select``): which detector for this data, and how sure.

Per fold, every candidate detector is fitted once on clean rows (:func:`anogen.evaluation.fit_detectors`)
and scored on every cell of the battery (:mod:`anogen.selection.battery`: typed kinds and noise
variants x a difficulty ladder x seeds); the cells' rankings are aggregated by
:func:`anogen.selection.consensus.summarize` (trimmed Borda of Goswami et al. 2023, a cluster
bootstrap, Kendall's W, the real-data prior). With real labels (``data.labels=COLUMN``) the labelled
test part is scored too, and the report shows the real ranking beside the synthetic one; the
battery then goes into a held-out tail of the clean train rows, never into the labelled part.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from anogen.evaluation import Case, DetectorRun, fit_detectors, fresh_detectors, score_cases
from anogen.seeding import name_seed, stage_seed
from anogen.selection.battery import Cell, ladder, local_scale, plan_battery, rescale
from anogen.selection.consensus import Selection, summarize
from anogen.selection.settings import SelectSettings
from anogen.types import AnogenError, Event, Fold, Injected, RunResult

log = logging.getLogger("anogen")

__all__ = ["run_selection", "battery_rows", "battery_split", "labelled_case", "run_select_job", "name_seed",
           "real_comparison", "learned_nodes", "for_rows", "without_rows", "labelled_folds", "window_variants",
           "data_period", "surrogate_rows"]


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
    return Case("real", inj, scaler.transform(fold.test), tags={"fold": fold.number})


def _catalog(settings: SelectSettings) -> tuple[list[str], dict[str, int], dict[str, str]]:
    """The battery's inject kinds, their shortest events and declared families."""
    from anogen.samplers.inject import packaged_catalog

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
    from anogen.config import packaged_option

    return packaged_option("sampler", name, "select.learned")


def learned_nodes(fold: Fold, names: Sequence[str], model: tuple[Any, Any], seed: int,
                  min_gap: int) -> tuple[dict[str, dict], dict[str, str]]:
    """The learned samplers whose generator report's verdict is ``ok`` on this fold (the others
    are reported with their verdict and reasons, :mod:`anogen.samplers.report`)."""
    from anogen.config import build
    from anogen.samplers import SampleContext, generate_fold
    from anogen.samplers.report import generator_report

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


def _make_case(cell: Cell, fold: Fold, scaler: Any, local: np.ndarray, seed: int, min_gap: int,
               model: tuple[Any, Any] = (None, None)) -> Case:
    from anogen.config import build
    from anogen.jobs.run import inject_fold

    s = stage_seed(seed, fold.number, name_seed(cell.kind), cell.seed)
    gen = model if cell.family == "learned" else (None, None)
    inj, _ = inject_fold(build(dict(cell.node), f"select.battery.{cell.kind}"), fold, gen[0], gen[1], s, s + 1,
                         min_gap)
    inj = rescale(inj, cell.level * local)
    tags = _tags(cell, fold)
    return Case(tags["cell"], inj, scaler.transform(inj.values), tags=tags)


def _tags(cell: Cell, fold: Fold) -> dict[str, Any]:
    return {"fold": fold.number, "cell": f"fold{fold.number}/{cell.name}", "kind": cell.kind,
            "family": cell.family, "level": cell.level, "seed": cell.seed,
            "cluster": f"fold{fold.number}/{cell.cluster}"}


def _rows(runs: Sequence[DetectorRun], metrics: Sequence[str]) -> pd.DataFrame:
    out = []
    for r in runs:
        row = {**r.tags, "detector": r.detector, "error": r.error}
        row.update({m: r.metrics.get(m, np.nan) for m in metrics})
        out.append(row)
    return pd.DataFrame(out)


def _series_cases(bfold: Fold, scaler: Any, settings: SelectSettings, seed: int, min_gap: int,
                  model: tuple[Any, Any], learned: Mapping[str, dict]) -> tuple[list[Case], dict[str, str]]:
    """The series battery: typed kinds + noise variants (+ learned) x the ladder x seeds."""
    local = local_scale(bfold.train, bfold.train_segments)
    levels = settings.levels or ladder(local, bfold.train.std(axis=0), settings.steps, settings.gross)
    kinds, min_len, declared = _catalog(settings)
    cells = plan_battery(kinds, bfold.test.shape[0], levels, settings.seeds, noise=settings.noise,
                         min_lengths=min_len, declared=declared, learned=learned)
    cases, skipped = [], {}
    for cell in cells:
        try:
            cases.append(_make_case(cell, bfold, scaler, local, seed, min_gap, model))
        except AnogenError as e:
            skipped[f"fold{bfold.number}/{cell.name}"] = str(e)
    return cases, skipped


def _tabular_cases(bfold: Fold, scaler: Any, settings: SelectSettings, seed: int, min_gap: int,
                   model: tuple[Any, Any], learned: Mapping[str, dict]) -> tuple[list[Case], dict[str, str]]:
    """The tabular battery: ADBench's row kinds (+ learned) x strengths x seeds."""
    from anogen.selection.rows import ROW_KINDS, RowModel, inject_rows

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
                                  tags=_tags(cell, bfold)))
    lcases, skipped = [], {}
    if learned:
        cells = plan_battery([], bfold.test.shape[0], levels, settings.seeds, noise=False, learned=learned)
        for cell in cells:
            try:
                lcases.append(_make_case(cell, bfold, scaler, np.ones(bfold.train.shape[1]), seed, min_gap, model))
            except AnogenError as e:
                skipped[f"fold{bfold.number}/{cell.name}"] = str(e)
    return cases + lcases, skipped


def for_rows(detectors: Mapping[str, Any]) -> dict[str, Any]:
    """Tabular mode: every windowed estimator detector (``window`` and ``stride`` parameters) sees
    single rows (``window=1``); the others are unchanged."""
    from anogen.evaluation import fresh_detectors

    out = fresh_detectors(detectors)
    for det in out.values():
        params = det.get_params(deep=False) if hasattr(det, "get_params") else {}
        if "window" in params and "stride" in params:
            det.set_params(window=1, stride=1)
    return out


def battery_rows(fold: Fold, detectors: Mapping[str, Any], metrics: Mapping[str, Any], threshold: Any,
                 settings: SelectSettings, *, scaling: str = "standard", min_gap: int = 1, seed: int = 0,
                 labels: np.ndarray | None = None, get_model: Callable[[Fold], tuple[Any, Any]] | None = None
                 ) -> tuple[pd.DataFrame, pd.DataFrame | None, dict[str, str], pd.DataFrame]:
    """One fold: fit once, score every battery cell (and the labelled test part when ``labels``).

    Returns:
        ``(rows, real_rows, skipped, surrogates)``: one row per (cell, detector) with the metrics;
        the same for the labelled test part (``None`` without labels); ``{cell: reason}`` of cells
        that could not be made (the others go on); the label-free surrogate voters
        (``settings.surrogates``, :func:`surrogate_rows`; empty when none).
    """
    from threadpoolctl import threadpool_limits

    from anogen.data.scaling import Scaler

    bfold = battery_split(fold, settings.battery_fraction) if labels is not None else fold
    scaler = Scaler(scaling).fit(bfold.train)
    if settings.learned and get_model is None:
        raise AnogenError("select.learned needs a generative model: add model=vae (windows) or model=vae_mlp (rows)")
    model = get_model(bfold) if settings.learned else (None, None)
    learned, skipped = learned_nodes(bfold, settings.learned, model, seed, min_gap)
    make = _tabular_cases if settings.mode == "tabular" else _series_cases
    cases, more = make(bfold, scaler, settings, seed, min_gap, model, learned)
    skipped.update(more)
    if not cases:
        raise AnogenError("select: no battery cell could be made on this data: " + "; ".join(
            f"{k}: {v}" for k, v in list(skipped.items())[:3]))
    dets = for_rows(detectors) if settings.mode == "tabular" else fresh_detectors(detectors)
    with threadpool_limits(1):  # many small scoring calls: threads only contend (2 shared cores)
        fitted, errors, secs = fit_detectors(dets, scaler.transform(bfold.train), bfold.train_segments)
        runs = score_cases(fitted, cases, threshold, metrics, fit_errors=errors, fit_seconds=secs,
                           order=list(detectors))
        real, target = None, None
        if labels is not None and labels.any():   # a test part without a labelled row cannot rank anything
            real_runs = score_cases(fitted, [labelled_case(fold, labels, scaler)], threshold, metrics,
                                    fit_errors=errors, order=list(detectors))
            real = _rows(real_runs, list(metrics))
            target = {r.detector: r.scores for r in real_runs}
        surrogates = surrogate_rows(fitted, scaler.transform(fold.test), fold.number, list(detectors),
                                    settings.surrogates, target)
    return _rows(runs, list(metrics)), real, skipped, surrogates


def surrogate_rows(fitted: Mapping[str, Any], x_target: np.ndarray, fold: int, detectors: Sequence[str],
                   names: Sequence[str], scores: Mapping[str, np.ndarray | None] | None = None) -> pd.DataFrame:
    """The label-free surrogate voters of one fold (:mod:`anogen.selection.surrogates`), computed on
    the fold's test part (its labels, if any, unused): one row per surrogate with a column per detector.

    ``scores``: the detectors' scores of the test part when already computed (``None`` = score it here;
    a detector that fails gets NaN).
    """
    from anogen.evaluation import scores_of
    from anogen.selection.surrogates import SURROGATES

    if not names:
        return pd.DataFrame()
    if scores is None:
        scores = {}
        for name, det in fitted.items():
            try:
                scores[name] = scores_of(det, x_target)
            except Exception as e:  # noqa: BLE001 - the detector gets no vote from the surrogate
                log.warning("detector %s failed to score the test part for select.surrogates: %s", name, e)
                scores[name] = None
    out = []
    for name in names:
        c = SURROGATES[name]({d: scores.get(d) for d in detectors})
        out.append({"voter": f"fold{fold}/surrogate:{name}", "kind": name, "cluster": f"fold{fold}/surrogate:{name}",
                    "fold": fold, **c})
    return pd.DataFrame(out)


def real_comparison(sel: Selection, real_rows: pd.DataFrame, metrics: Sequence[str]) -> dict[str, Any]:
    """The real ranking (Borda over folds x metrics of the labelled test parts) and its agreement
    with the selection, with and without the prior."""
    from anogen.selection.aggregation import borda, ranks
    from anogen.selection.agreement import agreement

    dets = list(sel.ranking["detector"])
    table = [real_rows[real_rows["fold"] == f].set_index("detector").reindex(dets)[m].to_numpy(np.float64)
             for f in sorted(real_rows["fold"].unique()) for m in metrics]
    real_pts = dict(zip(dets, borda(ranks(np.array(table)))))
    means = real_rows.groupby("detector")[list(metrics)].mean().reindex(dets)
    pred = dict(zip(dets, sel.ranking["points"]))
    syn = dict(zip(dets, sel.ranking["points_synthetic"]))
    per_metric = {m: agreement(syn, means[m].to_dict()) for m in metrics}
    return {"points": real_pts, "scores": means.reset_index().to_dict(orient="records"),
            "agreement": agreement(pred, real_pts), "agreement_without_prior": agreement(syn, real_pts),
            "agreement_by_metric": per_metric}


def data_period(train: np.ndarray) -> int | None:
    """The dominant period of ``(n, d)`` rows: the median of the columns' periods (``None``
    when no column has a clear cycle, :func:`anogen.samplers.kinds.signal.dominant_period`)."""
    from anogen.samplers.kinds.signal import dominant_period

    found = [p for p in (dominant_period(np.asarray(train)[:, j]) for j in range(np.shape(train)[1])) if p]
    return int(np.median(found)) if found else None


def window_variants(detectors: Mapping[str, Any], windows: Sequence[Any],
                    train: np.ndarray) -> tuple[dict[str, Any], dict[str, int]]:
    """The candidates plus a variant of every windowed one (``window`` and ``stride`` parameters)
    per entry of ``windows`` (an int or ``"period"``): ``({name: detector}, {variant: window})``.
    A variant whose window equals its candidate's is left out."""
    from anogen.evaluation import fresh_detectors

    out, sizes = dict(detectors), {}
    for w in windows:
        if w == "period":
            size = data_period(train)
            if size is None:
                raise AnogenError("select.windows: period: the train data have no clear cycle (no autocorrelation "
                                  "peak above 0.2 in any column); give window lengths instead, e.g. [10, 50]")
            label = "period"
        else:
            size, label = int(w), f"w{int(w)}"
        for name, det in fresh_detectors(detectors).items():
            params = det.get_params(deep=False) if hasattr(det, "get_params") else {}
            if "window" not in params or "stride" not in params or params["window"] == size:
                continue
            det.set_params(window=size, **({"name": f"{name}@{label}"} if "name" in params else {}))
            out[f"{name}@{label}"] = det
            sizes[f"{name}@{label}"] = size
    return out, sizes


def run_selection(folds: Sequence[Fold], detectors: Mapping[str, Any], metrics: Mapping[str, Any], threshold: Any,
                  settings: SelectSettings, *, scaling: str = "standard", min_gap: int = 1, seed: int = 0,
                  labels_for: Callable[[Fold], np.ndarray] | None = None, prior: Any = "default",
                  get_model: Callable[[Fold], tuple[Any, Any]] | None = None) -> Selection:
    """The whole selection on clean folds (objects in, a :class:`Selection` out, no files).

    Args:
        folds: folds whose train part is clean (and whose test part is too, without labels).
        detectors: ``{name: unfitted detector}`` candidates (cloned per fold).
        metrics: ``{name: Metric}``; the voting metrics (``settings.voters``) must be among them.
        threshold: the threshold strategy (for range-F1 and the other label metrics).
        settings: the ``select`` node.
        scaling, min_gap, seed: as for the other jobs.
        labels_for: ``fold -> (n_test,)`` real labels of its test part, to compare with.
        prior: ``"default"`` (the shipped prior, per ``settings.prior``) or a
            :class:`~anogen.selection.prior.Prior` / ``None``.
        get_model: ``fold -> (model, scaler)`` for ``settings.learned`` (learned generators join
            the battery only when their generator report's verdict is ``ok``).
    """
    from anogen.selection.prior import load_prior

    missing = [m for m in settings.voters if m not in metrics]
    if missing:
        raise AnogenError(f"select.metrics: {missing} not among the configured metrics {list(metrics)}; add the "
                          "metric group (e.g. metrics=[vus,range])")
    mets = {m: metrics[m] for m in settings.voters}
    labels = [np.asarray(labels_for(f), dtype=bool) for f in folds] if labels_for is not None else [None] * len(folds)
    if labels_for is not None and not any(y.any() for y in labels):
        sizes = ", ".join(f"{f.test.shape[0]} rows in fold {f.number}" for f in folds)
        raise AnogenError(f"labels: the labelled test part ({sizes}) holds no row labelled 1, so there is no real "
                          "ranking to compare with; move the split (data.test_fraction or data.dates) so that the "
                          f"test part covers the labelled anomalies{getattr(labels_for, 'hint', '')}")
    detectors, windows = window_variants(detectors, settings.windows, folds[0].train)
    if windows:
        log.info("select.windows: %s", ", ".join(f"{k} = {v} rows" for k, v in windows.items()))
    parts = [battery_rows(f, detectors, mets, threshold, settings, scaling=scaling, min_gap=min_gap, seed=seed,
                          labels=y, get_model=get_model) for f, y in zip(folds, labels)]
    rows = pd.concat([p[0] for p in parts], ignore_index=True)
    skipped = {k: v for p in parts for k, v in p[2].items()}
    surrogates = pd.concat([p[3] for p in parts], ignore_index=True) if settings.surrogates else None
    use_prior = settings.prior != "off" and (settings.mode == "series" or prior != "default")  # series prior
    pr = (load_prior() if prior == "default" else prior) if use_prior else None
    weight = settings.prior if isinstance(settings.prior, float) else None
    sel = summarize(rows, list(detectors), settings.voters, trim=settings.trim, n_boot=settings.bootstrap,
                    balance=settings.balance, min_spread=settings.min_spread, prior=pr, prior_weight=weight,
                    seed=seed, skipped=skipped, surrogates=surrogates, aggregate=settings.aggregate,
                    family_weights=settings.family_weights)
    sel.windows = windows
    if labels_for is not None:
        sel.real = real_comparison(sel, pd.concat([p[1] for p in parts if p[1] is not None], ignore_index=True),
                                   settings.voters)
    return sel


def without_rows(fold: Fold, drop: np.ndarray) -> Fold:
    """The fold with the train rows marked in ``drop`` left out; a train segment is split where
    rows leave it (the windows of the detectors never span the gap)."""
    drop = np.asarray(drop, dtype=bool)
    n = fold.train.shape[0]
    seg_id = np.full(n, -1, dtype=np.int64)
    for k, (a, b) in enumerate(np.asarray(fold.train_segments, dtype=np.int64).reshape(-1, 2)):
        seg_id[a:b] = k
    pos = np.flatnonzero(~drop)
    breaks = np.flatnonzero((np.diff(pos) != 1) | (np.diff(seg_id[pos]) != 0)) + 1
    bounds = np.r_[0, breaks, len(pos)]
    segments = np.stack([bounds[:-1], bounds[1:]], axis=1).astype(np.int64) if len(pos) else np.zeros((0, 2), np.int64)
    return replace(fold, train=fold.train[pos], train_index=fold.train_index[pos], train_segments=segments)


def labelled_folds(folds: Sequence[Fold], source: Any) -> tuple[list[Fold], int]:
    """``data.labels``: rows labelled 1 in a fold's train part are anomalies, not normal data:
    they leave the train part (logged). Returns the folds and how many rows left."""
    out, left = [], 0
    for f in folds:
        bad = source.labels_for(f, "train")
        if bad.any():
            log.info("data.labels: %d row(s) labelled 1 left out of fold %d's train part", int(bad.sum()), f.number)
            f, left = without_rows(f, bad), left + int(bad.sum())
        out.append(f)
    return out, left


def run_select_job(job: Any, folds: Sequence[Fold], out: Any, overrides: list[str], t0: float) -> RunResult:
    """``+experiment=select``: the selection, its report files and plots, the two-line verdict."""
    from anogen.jobs.writers import write_config
    from anogen.selection.report import selection_json, write_selection

    from anogen.jobs.run import train_generator

    labels_for = None
    if getattr(job.source, "labels", None):
        folds, left = labelled_folds(folds, job.source)

        def labels_for(fold: Fold) -> np.ndarray:
            return job.source.labels_for(fold)
        labels_for.hint = f" ({left} labelled rows are in the train part)" if left else ""
    get_model = (lambda fold: train_generator(job, fold)[:2]) if job.model_cfg is not None else None
    prior: Any = "default"
    shipped = getattr(job.source, "series", None)   # data=real: a series the shipped prior was built from
    if shipped and job.select.mode == "series" and job.select.prior != "off":
        from anogen.selection.prior import load_prior, without_group

        prior = without_group(load_prior(), shipped)
    sel = run_selection(folds, job.detectors, job.metrics, job.threshold, job.select,
                        scaling=getattr(job.source, "scaling", "standard"), min_gap=job.min_gap, seed=job.seed,
                        labels_for=labels_for, get_model=get_model, prior=prior)
    if not sel.ranking["points"].notna().any() or sel.rows["error"].notna().all():
        raise AnogenError("every detector failed: " + "; ".join(sorted(set(sel.rows["error"].dropna()))[:3]))
    seconds = time.perf_counter() - t0
    results = {**selection_json(sel), "status": "ok", "seconds": seconds, "overrides": overrides}
    write_selection(out, sel, results)
    write_config(out, job.config, overrides)
    flat = {f"{r.detector}/{k}": float(getattr(r, k)) for r in sel.ranking.itertuples() for k in ("points", "p_best")}
    flat["trust/kendalls_w"] = float(sel.trust["kendalls_w"])
    out.log_metrics(flat, prefix="select/")
    out.summary = {"select/best": sel.best, **{f"select/{k}": v for k, v in flat.items()}}
    log.info("selection done in %.1f s%s", seconds, f", results in {out.out_dir}" if out.writes else "")
    log.info("%s", sel.recommendation_line())
    log.info("%s", sel.trust_line())
    return RunResult(metrics=flat, injected=[], run_dir=str(out.out_dir) if out.writes else None,
                     errors={k: v for k, v in sel.skipped.items()}, results=results, leaderboard=sel.ranking,
                     rows=sel.rows)
