"""The benchmark: samplers x detectors x folds x seeds -> a leaderboard (objects in, objects out;
:func:`write_benchmark` writes the files through the run's outputs).

Each detector is fitted once per fold on the clean train part; every sampler injects the fold's
test part once per seed; each injection is a :class:`~anogen.evaluation.Case` measured by the one
evaluation path (:mod:`anogen.evaluation`). With tuning, the threshold is chosen on a *validation*
half of the test fold with its own synthetic anomalies and reported on the held-out half.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from anogen.data.scaling import Scaler
from anogen.evaluation import TRAIN_SCORES, Case, DetectorRun, fit_detectors, fresh_detectors, score_cases
from anogen.metrics import HEADLINE, fpr, precision
from anogen.outputs import plots
from anogen.samplers.folds import inject_fold
from anogen.seeding import name_seed, stage_seed
from anogen.thresholds import Contamination, Percentile
from anogen.types import AnogenError, Fold

__all__ = ["run_benchmark", "leaderboard", "leaderboard_markdown", "split_fold", "BenchmarkResult",
           "write_benchmark", "flat_mean", "leaderboard_line", "expected_fpr", "fpr_limit", "fpr_warnings",
           "FPR_FACTOR", "FPR_FLOOR"]

#: a detector is warned about when its mean test false-positive rate at its threshold is above
#: ``max(FPR_FACTOR * expected, FPR_FLOOR)`` (:func:`fpr_warnings`)
FPR_FACTOR = 3.0
FPR_FLOOR = 0.1


@dataclass
class BenchmarkResult:
    """Rows (one per fold x seed x sampler x detector) and the first fold/seed's traces for plots."""

    rows: pd.DataFrame
    traces: dict[str, dict] = field(default_factory=dict)
    oracle: bool = False
    skipped: dict[str, str] = field(default_factory=dict)
    #: the false-positive rate the threshold aims at (:func:`expected_fpr`), ``None`` when it names none
    expected_fpr: float | None = None


def split_fold(fold: Fold) -> tuple[Fold, Fold]:
    """Validation (first half) and held-out (second half) copies of a fold's test part."""
    h = fold.test.shape[0] // 2
    if h < 2:
        raise AnogenError(f"tuning needs a test fold of at least 4 rows, fold {fold.number} has {fold.test.shape[0]}")
    return (replace(fold, test=fold.test[:h], test_index=fold.test_index[:h]),
            replace(fold, test=fold.test[h:], test_index=fold.test_index[h:]))


def _cases(fold: Fold, samplers: Mapping[str, Any], seeds: Sequence[int], scaler: Any,
           model_for: Callable[[str], tuple[Any, Any]], min_gap: int, tune: bool,
           skipped: dict[str, str] | None = None) -> list[Case]:
    """One case per seed and sampler. A sampler's anomalies are seeded from its *name* (not its
    position in the list); a sampler that cannot be placed on this fold is recorded in ``skipped``
    (``{"fold{i}/{sampler}/seed{s}": message}``) and the others go on. ``model_for(name)`` gives
    a generative sampler its ``(model, scaler)``."""
    val_part, held_part = split_fold(fold) if tune else (None, fold)
    cases = []
    for seed in seeds:
        for s_name, sampler in samplers.items():
            model, model_scaler = model_for(s_name) if getattr(sampler, "needs_model", False) else (None, None)

            def make(part: Fold, stage: int) -> Case:
                s = stage_seed(seed, fold.number, stage, name_seed(s_name))
                inj, _ = inject_fold(sampler, part, model, model_scaler, s, s, min_gap)
                return Case(f"{s_name}/seed{seed}", inj, scaler.transform(inj.values),
                            tags={"fold": fold.number, "seed": seed, "sampler": s_name})
            try:
                held = make(held_part, 10)
                cases.append(replace(held, validation=make(val_part, 100)) if tune else held)
            except AnogenError as e:
                if skipped is None:
                    raise
                skipped[f"fold{fold.number}/{s_name}/seed{seed}"] = str(e)
    return cases


def run_benchmark(folds: Sequence[Fold], samplers: Mapping[str, Any], detectors: Mapping[str, Any],
                  metrics: Mapping[str, Any], threshold: Any, seeds: Sequence[int] = (0,),
                  tuning: Mapping[str, Any] | None = None, scaling: str = "standard",
                  get_model: Callable[[Fold], tuple[Any, Any]] | None = None, min_gap: int = 1,
                  keep_traces: bool = True, incremental: bool = True,
                  train_scores: int | None = TRAIN_SCORES,
                  models: Mapping[str, Callable[[Fold], tuple[Any, Any]]] | None = None) -> BenchmarkResult:
    """Run the benchmark.

    Args:
        folds: clean folds.
        samplers: ``{name: sampler}``.
        detectors: ``{name: detector}`` prototypes (cloned, fitted once per fold).
        metrics: ``{name: Metric}``.
        threshold: strategy used without tuning.
        seeds: one injection per seed and sampler.
        tuning: ``{"enabled": bool, "objective": "f1"|"recall_at_fpr", "max_fpr": float}``.
        scaling: scaler kind for the detectors' inputs.
        get_model: ``fold -> (model, scaler)`` for samplers that need a generative model.
        min_gap: placement gap.
        keep_traces: keep labels/scores of the first fold and seed for plots.
        incremental, train_scores: how detectors are scored (:mod:`anogen.evaluation`).
        models: ``{sampler name: fold -> (model, scaler)}``: a model of its own for a sampler
            (e.g. ``vae_tail`` with the LSTM-VAE and ``latent_uniform`` with the MLP-VAE in one
            run); the others use ``get_model``. Each getter is called once per fold.
    """
    tune = bool((tuning or {}).get("enabled", False))
    skipped: dict[str, str] = {}
    runs: list[DetectorRun] = []
    rows: list[dict[str, Any]] = []
    traces: dict[str, dict] = {}
    for fold in folds:
        scaler = Scaler(scaling).fit(fold.train)
        cases = _cases(fold, samplers, seeds, scaler, _model_for(fold, get_model, models), min_gap, tune, skipped)
        if not cases:
            continue
        fitted, errors, secs = fit_detectors(fresh_detectors(detectors), scaler.transform(fold.train),
                                             fold.train_segments, train_scores=train_scores)
        fold_runs = score_cases(fitted, cases, threshold, metrics, tuning=tuning if tune else None,
                                fit_errors=errors, fit_seconds=secs, order=list(detectors), incremental=incremental)
        by_name = {c.name: c for c in cases}
        rows.extend(_row(r, by_name[r.case]) for r in fold_runs)
        runs.extend(fold_runs)
        if keep_traces and fold.number == folds[0].number:
            _keep_traces(traces, cases, fold_runs, seeds[0])
    if not runs:
        raise AnogenError("benchmark: no sampler could be placed on any fold: " + "; ".join(
            f"{k}: {v}" for k, v in list(skipped.items())[:3]))
    return BenchmarkResult(pd.DataFrame(rows), traces, oracle=bool(getattr(threshold, "oracle", False)) and not tune,
                           skipped=skipped, expected_fpr=expected_fpr(threshold, tuning if tune else None))


def _row(run: DetectorRun, case: Case) -> dict[str, Any]:
    """The run's result row, with what the warnings and the heatmap need whatever the metrics:
    ``precision`` and ``fpr`` at the threshold (when not configured) and ``events[{kind}]``, the
    number of events of each kind the ``recall[{kind}]`` of this run rests on."""
    row = run.row()
    if run.ok and run.predictions is not None:
        y = np.asarray(case.injected.labels, dtype=bool)
        for name, fn in (("precision", precision), ("fpr", fpr)):
            if name not in row:
                row[name] = float(fn(y, run.predictions))
        for e in case.injected.events:
            row[f"events[{e.kind}]"] = row.get(f"events[{e.kind}]", 0) + 1
    return row


def expected_fpr(threshold: Any, tuning: Mapping[str, Any] | None = None) -> float | None:
    """The false-positive rate a threshold aims at on normal data: ``1 - q/100`` for a train
    percentile, ``ratio`` for a contamination threshold, ``max_fpr`` when tuned for recall at a
    bounded FPR; ``None`` for the others (a fixed value, best F1, F1 tuning)."""
    if tuning:
        return float(tuning.get("max_fpr", 0.05)) if tuning.get("objective") == "recall_at_fpr" else None
    if isinstance(threshold, Percentile):
        return (100.0 - threshold.q) / 100.0
    if isinstance(threshold, Contamination):
        return threshold.ratio
    return None


def fpr_limit(expected: float | None) -> float:
    """The test false-positive rate above which a detector is warned about: ``max(FPR_FACTOR *
    expected, FPR_FLOOR)``, ``FPR_FLOOR`` when the threshold names no rate."""
    return max(FPR_FACTOR * expected, FPR_FLOOR) if expected is not None else FPR_FLOOR


def fpr_warnings(lb: pd.DataFrame, expected: float | None) -> dict[str, str]:
    """``{detector: message}`` for each detector whose mean test false-positive rate at its threshold
    (``lb["fpr"]``) is above :func:`fpr_limit`: a detector that flags many more normal rows than its
    threshold was set for finds most anomalies by flagging nearly everything, so its recall
    (``recall[{kind}]`` included) says little; the test part differs from the train part (drift) or
    the threshold does not suit the data. The rule needs both conditions so that a threshold set for
    a low rate (1%) is not warned about for a few false alarms on a short fold."""
    if "fpr" not in lb.columns:
        return {}
    limit = fpr_limit(expected)
    aim = f"the threshold aims at {expected:.3g}" if expected is not None else "the threshold names no rate"
    return {str(r.detector): (f"detector {r.detector}: false-positive rate {r.fpr:.2f} on the test part at its "
                              f"threshold, above {limit:.2g} ({aim}); the test data differ from the train data "
                              "(drift?) or the threshold does not suit them: its recall is inflated by false alarms")
            for r in lb.itertuples() if pd.notna(r.fpr) and r.fpr > limit}


def _model_for(fold: Fold, get_model: Callable[[Fold], tuple[Any, Any]] | None,
               models: Mapping[str, Callable[[Fold], tuple[Any, Any]]] | None) -> Callable[[str], tuple[Any, Any]]:
    """``sampler name -> (model, scaler)`` on this fold, each getter trained (or loaded) once."""
    trained: dict[int, tuple[Any, Any]] = {}

    def model_for(name: str) -> tuple[Any, Any]:
        getter = (models or {}).get(name, get_model)
        if getter is None:
            raise AnogenError(f"sampler {name} needs a generative model: add model=vae or model=vae_mlp")
        if id(getter) not in trained:
            trained[id(getter)] = getter(fold)
        return trained[id(getter)]
    return model_for


def _keep_traces(traces: dict, cases: list[Case], runs: list[DetectorRun], seed: int) -> None:
    by_name = {c.name: c for c in cases}
    for r in runs:
        case = by_name[r.case]
        if r.ok and case.tags.get("seed") == seed:
            t = traces.setdefault(case.tags["sampler"], {"injected": case.injected, "scores": {}, "pred": {}})
            t["scores"][r.detector] = r.scores
            t["pred"][r.detector] = r.predictions


def leaderboard(rows: pd.DataFrame, by: Sequence[str] = ("detector",)) -> pd.DataFrame:
    """Mean and standard deviation over folds/seeds (and samplers unless in ``by``) per metric.

    Columns: ``by``..., ``runs``, ``failed``, then ``{metric}`` (mean) and ``{metric}_std`` for every
    numeric metric, then ``events[{kind}]``: the number of events of each kind (summed over the runs)
    that ``recall[{kind}]`` rests on; sorted by the first of roc_auc/f1/pr_auc present (descending).
    """
    skip = {"fold", "seed", "sampler", "detector", "error", "threshold"}
    counts = [c for c in rows.columns if c.startswith("events[")]
    metric_cols = [c for c in rows.columns if c not in skip and c not in counts
                   and pd.api.types.is_numeric_dtype(rows[c])]
    g = rows.groupby(list(by), sort=False)
    out = g.size().rename("runs").to_frame()
    out["failed"] = g["error"].apply(lambda s: int(s.notna().sum()))
    out = out.join(g[metric_cols].mean()).join(g[metric_cols].std(ddof=0).add_suffix("_std"))
    if counts:
        out = out.join(g[counts].sum(min_count=1))
    out = out[["runs", "failed"] + [c for m in metric_cols for c in (m, f"{m}_std")] + counts].reset_index()
    key = next((c for c in ("roc_auc", "f1", "pr_auc") if c in out.columns), None)
    if key:
        out = out.sort_values(key, ascending=False, kind="stable")
    return out.reset_index(drop=True)


def leaderboard_markdown(lb: pd.DataFrame, metrics: Sequence[str] | None = None) -> str:
    """``mean ± std`` table in Markdown (the headline metrics, :data:`anogen.metrics.HEADLINE`, with
    ``precision`` and ``fpr`` always among them when present); each ``recall[{kind}]`` cell says how
    many events it rests on: ``0.667 ± 0.471 (3 events)``, ``1.000 (1 event)`` (no spread for one)."""
    id_cols = [c for c in ("detector", "sampler") if c in lb.columns]
    mets = [c for c in lb.columns if c not in id_cols + ["runs", "failed"] and not c.endswith("_std")]
    wanted = list(metrics) if metrics else [m for m in HEADLINE if m in mets]
    wanted += [m for m in ("precision", "fpr") if m not in wanted]
    mets = [m for m in wanted if m in mets] + [m for m in mets if m.startswith("recall[")]
    head = id_cols + ["runs", "failed"] + mets
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for _, r in lb.iterrows():
        cells = [str(r[c]) for c in id_cols] + [str(int(r["runs"])), str(int(r["failed"]))]
        for m in mets:
            v, s = r[m], r.get(f"{m}_std", np.nan)
            n = r.get("events[" + m[len("recall["):], np.nan) if m.startswith("recall[") else np.nan
            if pd.isna(v):
                cells.append("")
            elif pd.notna(n):
                n = int(n)
                cells.append(f"{v:.3f} (1 event)" if n == 1 else
                             f"{v:.3f}{'' if pd.isna(s) else f' ± {s:.3f}'} ({n} events)")
            else:
                cells.append(f"{v:.3f} ± {s:.3f}" if not pd.isna(s) else f"{v:.3f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _warnings_markdown(lb: pd.DataFrame, warnings: Mapping[str, str], expected: float | None) -> str:
    if not warnings:
        return ""
    fprs = lb.set_index("detector")["fpr"] if "fpr" in lb.columns else pd.Series(dtype=float)
    aim = "names no rate" if expected is None else f"aims at {expected:.3g}"
    return ("\n**Warning: false alarms far above the threshold's rate** (mean test FPR above "
            f"{fpr_limit(expected):.2g}; the threshold {aim}): "
            + ", ".join(f"{d} FPR {fprs.get(d, np.nan):.2f}" for d in warnings)
            + ". The test part differs from the train part (drift?) or the threshold does not suit these data: "
            "their recall and recall[kind] are inflated by false alarms (compare precision, fpr and `random`).\n")


def write_benchmark(out: Any, res: BenchmarkResult, warnings: Mapping[str, str] | None = None) -> pd.DataFrame:
    """``runs.csv``, ``leaderboard.csv/.md``, ``leaderboard_by_sampler.csv`` and the plots.

    ``warnings``: ``{detector: message}`` (default :func:`fpr_warnings`), shown under the leaderboard
    and in ``leaderboard.csv``'s ``warning`` column."""
    lb, by_sampler = leaderboard(res.rows, ("detector",)), leaderboard(res.rows, ("detector", "sampler"))
    warnings = fpr_warnings(lb, res.expected_fpr) if warnings is None else warnings
    if warnings:
        lb["warning"] = lb["detector"].map(lambda d: warnings.get(d, ""))
    out.write_csv("runs.csv", res.rows)
    out.write_csv("leaderboard.csv", lb)
    out.write_csv("leaderboard_by_sampler.csv", by_sampler)
    note = ("\n_Thresholds chosen with the best-F1 oracle (uses the labels): an upper bound, not a deployable "
            "result._\n" if res.oracle else "")
    out.write_text("leaderboard.md", "# Leaderboard (mean ± std over folds, seeds and samplers)\n\n"
                   + leaderboard_markdown(lb) + _warnings_markdown(lb, warnings, res.expected_fpr) + note
                   + "\n## Per sampler\n\n" + leaderboard_markdown(by_sampler))
    out.log_table("leaderboard", lb)
    kinds = [c for c in lb.columns if c.startswith("recall[") and not c.endswith("_std")]
    if kinds:
        t = lb.set_index("detector")
        events = {k: int(t[f"events[{k[7:-1]}]"].max()) for k in kinds
                  if f"events[{k[7:-1]}]" in t.columns and t[f"events[{k[7:-1]}]"].notna().any()}
        out.plot("detector_kind_recall", "plots/detector_kind_recall.png", plots.plot_kind_heatmap,
                 t[kinds], side=t[[c for c in ("precision", "fpr") if c in t.columns]], events=events,
                 expected_fpr=res.expected_fpr)
    for s_name, tr in res.traces.items():
        if tr["scores"]:
            out.plot(f"curves/{s_name}", f"plots/curves_{s_name}.png", plots.plot_curves, tr["injected"].labels,
                     tr["scores"])
            out.plot(f"scores/{s_name}", f"plots/scores_{s_name}.png", plots.plot_scores, tr["injected"], tr["scores"])
    return lb


def flat_mean(lb: pd.DataFrame) -> dict[str, float]:
    """``{"detector/metric": mean}`` of every finite figure of a leaderboard."""
    mean = {}
    for _, r in lb.iterrows():
        for c in lb.columns:
            if c in ("detector", "runs", "failed", "warning") or c.endswith("_std") or c.startswith("events["):
                continue
            v = pd.to_numeric(r[c], errors="coerce")
            if pd.notna(v) and np.isfinite(v):
                mean[f"{r['detector']}/{c}"] = float(v)
    return mean


def leaderboard_line(lb: pd.DataFrame, top: int = 5) -> str:
    """The leaderboard's headline in one line: the metric it is sorted by, then each detector's
    mean (at most ``top``), with how many runs it rests on, e.g.
    ``leaderboard by roc_auc (mean of 12 runs each): iforest 0.912, knn 0.874, zscore 0.702``."""
    key = next((c for c in ("roc_auc", "f1", "pr_auc") if c in lb.columns), None)
    if key is None or lb.empty:
        return "leaderboard: no metric to rank by"
    runs = sorted({int(r) for r in lb["runs"]})
    each = f"{runs[0]} runs each" if len(runs) == 1 else f"{runs[0]}-{runs[-1]} runs"
    cells = [f"{r.detector} {getattr(r, key):.3f}" if pd.notna(getattr(r, key)) else f"{r.detector} failed"
             for r in lb.head(top).itertuples()]
    more = f", ... ({len(lb) - top} more in leaderboard.md)" if len(lb) > top else ""
    return f"leaderboard by {key} (mean of {each}): {', '.join(cells)}{more}"
