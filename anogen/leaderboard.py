"""The benchmark: samplers x detectors x folds x seeds -> a leaderboard.

Each detector is fitted once per fold on the clean train part; every sampler injects the fold's
test part once per seed; the detector scores it; a threshold is applied (the configured strategy,
or, with tuning, the threshold that optimises an objective on a *validation* half of the test fold
with its own synthetic anomalies, reported on the held-out half); the metrics are computed and the
recall per anomaly kind (an event counts as found when any of its rows is predicted).
"""

from __future__ import annotations

import logging
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from anogen.types import AnogenError, Fold, Injected

log = logging.getLogger("anogen")

# the headline columns of leaderboard.md (every metric is in leaderboard.csv)
MARKDOWN_METRICS = ("roc_auc", "pr_auc", "best_f1", "f1", "precision", "recall", "fpr", "range_f1", "pa_f1",
                    "pak_auc", "vus_roc", "vus_pr", "affiliation_f1", "tdir", "dair", "nab", "composite_f1")

__all__ = ["run_benchmark", "event_recall_by_kind", "leaderboard", "split_fold"]


def event_recall_by_kind(inj: Injected, pred: np.ndarray) -> dict[str, float]:
    """Fraction of events of each kind with at least one predicted row (vectorised over events)."""
    if not inj.events:
        return {}
    c = np.concatenate([[0], np.cumsum(np.asarray(pred, dtype=np.int64))])
    starts = np.array([e.start for e in inj.events])
    ends = np.array([e.end for e in inj.events])
    hit = (c[ends] - c[starts]) > 0
    kinds = np.array([e.kind for e in inj.events])
    return {k: float(hit[kinds == k].mean()) for k in sorted(set(kinds.tolist()))}


def split_fold(fold: Fold) -> tuple[Fold, Fold]:
    """Validation (first half) and held-out (second half) copies of a fold's test part."""
    from dataclasses import replace

    h = fold.test.shape[0] // 2
    if h < 2:
        raise AnogenError(f"tuning needs a test fold of at least 4 rows, fold {fold.number} has {fold.test.shape[0]}")
    return (replace(fold, test=fold.test[:h], test_index=fold.test_index[:h]),
            replace(fold, test=fold.test[h:], test_index=fold.test_index[h:]))


def _inject(sampler, fold: Fold, model, model_scaler, seed: int, min_gap: int) -> Injected:
    from anogen.pipeline import fold_context
    from anogen.samplers import generate_fold

    ctx = fold_context(fold, model=model, scaler=model_scaler, seed=seed)
    rng = np.random.default_rng(seed)
    if hasattr(sampler, "generate"):
        return sampler.generate(ctx, rng, min_gap=min_gap)
    return generate_fold(getattr(sampler, "samplers", sampler), ctx, rng, min_gap=min_gap)


def run_benchmark(folds: Sequence[Fold], samplers: Mapping[str, Any], make_detectors: Callable[[], Mapping[str, Any]],
                  metrics: Mapping[str, Any], threshold: Any, seeds: Sequence[int] = (0,),
                  tuning: Mapping[str, Any] | None = None, scaling: str = "standard",
                  get_model: Callable[[Fold], tuple[Any, Any]] | None = None, min_gap: int = 1,
                  keep_traces: bool = True) -> tuple[pd.DataFrame, dict]:
    """Run the benchmark.

    Args:
        folds: clean folds.
        samplers: ``{name: sampler}``.
        make_detectors: returns fresh ``{name: detector}`` (called once per fold).
        metrics: ``{name: Metric}`` (see :mod:`anogen.metrics.suite`).
        threshold: strategy used without tuning (``__call__(train_scores, test_scores, y)``).
        seeds: one injection per seed.
        tuning: ``{"enabled": bool, "objective": "f1"|"recall_at_fpr", "max_fpr": float}``.
        scaling: scaler kind for the detectors' inputs.
        get_model: ``fold -> (model, scaler)`` for samplers that need a generative model.
        min_gap: placement gap.
        keep_traces: keep labels/scores of the first fold and seed for plots.

    Returns:
        (rows DataFrame: one row per fold x seed x sampler x detector with metrics, ``recall[kind]``
        and ``error``; extras dict with ``traces`` for plots).
    """
    from anogen.data.scaling import Scaler
    from anogen.metrics.suite import compute_metrics
    from anogen.pipeline import stage_seed
    from anogen.thresholds import predict
    from anogen.tuning import tune_threshold

    tuning = dict(tuning or {})
    tune = bool(tuning.get("enabled", False))
    rows, traces = [], {}
    for fold in folds:
        scaler = Scaler(scaling).fit(fold.train)
        x_train = scaler.transform(fold.train)
        model = model_scaler = None
        if any(getattr(s, "needs_model", False) for s in samplers.values()):
            if get_model is None:
                raise AnogenError("a sampler needs a generative model: add model=vae or model=vae_mlp")
            model, model_scaler = get_model(fold)
        detectors = dict(make_detectors())
        fitted, train_scores, fit_errors, fit_secs = {}, {}, {}, {}
        for name, det in detectors.items():
            t0 = time.perf_counter()
            try:
                det.fit(x_train, fold.train_segments)
                s = np.asarray(det.score(x_train), dtype=np.float64)
                if not np.isfinite(s).all():
                    raise RuntimeError("train scores contain NaN or inf")
                fitted[name], train_scores[name] = det, s
            except Exception as e:  # noqa: BLE001 - reported, the others go on
                fit_errors[name] = f"{type(e).__name__}: {e}"
                log.warning("detector %s failed to fit on fold %d: %s", name, fold.number, fit_errors[name])
                log.debug("%s", traceback.format_exc())
            fit_secs[name] = time.perf_counter() - t0
        parts = split_fold(fold) if tune else (None, fold)
        for seed in seeds:
            for s_i, (s_name, sampler) in enumerate(samplers.items()):
                held = _inject(sampler, parts[1], model, model_scaler, stage_seed(seed, fold.number, 10 + s_i), min_gap)
                val = _inject(sampler, parts[0], model, model_scaler, stage_seed(seed, fold.number, 100 + s_i),
                              min_gap) if tune else None
                for d_name in detectors:
                    row = {"fold": fold.number, "seed": seed, "sampler": s_name, "detector": d_name,
                           "error": fit_errors.get(d_name)}
                    if d_name in fitted:
                        det = fitted[d_name]
                        t0 = time.perf_counter()
                        try:
                            s_held = np.asarray(det.score(scaler.transform(held.values)), dtype=np.float64)
                            if not np.isfinite(s_held).all():
                                raise RuntimeError("scores contain NaN or inf")
                            if tune:
                                s_val = np.asarray(det.score(scaler.transform(val.values)), dtype=np.float64)
                                thr = tune_threshold(val.labels, s_val, tuning.get("objective", "f1"),
                                                     float(tuning.get("max_fpr", 0.05)))
                            else:
                                thr = float(threshold(train_scores[d_name], s_held, held.labels))
                            pred = predict(s_held, thr)
                            row.update(compute_metrics(metrics, held.labels, pred, s_held))
                            row["threshold"] = thr
                            row["seconds"] = fit_secs[d_name] + time.perf_counter() - t0
                            for kind, r in event_recall_by_kind(held, pred).items():
                                row[f"recall[{kind}]"] = r
                            if keep_traces and fold.number == folds[0].number and seed == seeds[0]:
                                traces.setdefault(s_name, {"injected": held, "scores": {}, "pred": {}})
                                traces[s_name]["scores"][d_name] = s_held
                                traces[s_name]["pred"][d_name] = pred
                        except AnogenError:
                            raise
                        except Exception as e:  # noqa: BLE001
                            row["error"] = f"{type(e).__name__}: {e}"
                            log.warning("detector %s failed on fold %d / %s: %s", d_name, fold.number, s_name, row["error"])
                    rows.append(row)
    return pd.DataFrame(rows), {"traces": traces, "oracle": bool(getattr(threshold, "oracle", False)) and not tune}


def leaderboard(rows: pd.DataFrame, by: Sequence[str] = ("detector",)) -> pd.DataFrame:
    """Mean and standard deviation over folds/seeds (and samplers unless in ``by``) per metric.

    Columns: ``by``..., ``runs``, ``failed``, then ``{metric}`` (mean) and ``{metric}_std`` for every
    numeric metric; sorted by the first of roc_auc/f1 present (descending).
    """
    skip = {"fold", "seed", "sampler", "detector", "error", "threshold"}
    metric_cols = [c for c in rows.columns if c not in skip and pd.api.types.is_numeric_dtype(rows[c])]
    g = rows.groupby(list(by), sort=False)
    out = g.size().rename("runs").to_frame()
    out["failed"] = g["error"].apply(lambda s: int(s.notna().sum()))
    means = g[metric_cols].mean()
    stds = g[metric_cols].std(ddof=0).add_suffix("_std")
    out = out.join(means).join(stds)
    ordered = ["runs", "failed"] + [c for m in metric_cols for c in (m, f"{m}_std")]
    out = out[ordered].reset_index()
    key = next((c for c in ("roc_auc", "f1", "pr_auc") if c in out.columns), None)
    if key:
        out = out.sort_values(key, ascending=False, kind="stable")
    return out.reset_index(drop=True)


def leaderboard_markdown(lb: pd.DataFrame, metrics: Sequence[str] | None = None) -> str:
    """``mean ± std`` table in Markdown."""
    id_cols = [c for c in ("detector", "sampler") if c in lb.columns]
    mets = [c for c in lb.columns if c not in id_cols + ["runs", "failed"] and not c.endswith("_std")]
    wanted = list(metrics) if metrics else [m for m in MARKDOWN_METRICS if m in mets]
    mets = [m for m in wanted if m in mets] + [m for m in mets if m.startswith("recall[")]
    head = id_cols + ["runs", "failed"] + mets
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for _, r in lb.iterrows():
        cells = [str(r[c]) for c in id_cols] + [str(int(r["runs"])), str(int(r["failed"]))]
        for m in mets:
            v, s = r[m], r.get(f"{m}_std", np.nan)
            cells.append("" if pd.isna(v) else (f"{v:.3f} ± {s:.3f}" if not pd.isna(s) else f"{v:.3f}"))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_benchmark(out_dir: Path, rows: pd.DataFrame, extras: dict, plots: bool = True, loggers=()) -> pd.DataFrame:
    """Write ``runs.csv``, ``leaderboard.csv/.md`` and the plots; returns the leaderboard."""
    from anogen.outputs.files import write_csv, write_text

    lb = leaderboard(rows, ("detector",))
    by_sampler = leaderboard(rows, ("detector", "sampler"))
    write_csv(out_dir / "runs.csv", rows)
    write_csv(out_dir / "leaderboard.csv", lb)
    write_csv(out_dir / "leaderboard_by_sampler.csv", by_sampler)
    note = ("\n_Thresholds chosen with the best-F1 oracle (uses the labels): an upper bound, not a deployable result._\n"
            if extras.get("oracle") else "")
    write_text(out_dir / "leaderboard.md", "# Leaderboard (mean ± std over folds, seeds and samplers)\n\n"
               + leaderboard_markdown(lb) + note + "\n## Per sampler\n\n" + leaderboard_markdown(by_sampler))
    for lg in loggers:
        lg.log_table("leaderboard", lb)
    if plots:
        from anogen.outputs.plots import plot_curves, plot_kind_heatmap, plot_scores

        kinds = [c for c in lb.columns if c.startswith("recall[") and not c.endswith("_std")]
        if kinds:
            p = plot_kind_heatmap(lb.set_index("detector")[kinds], out_dir / "plots" / "detector_kind_recall.png")
            for lg in loggers:
                lg.log_image("detector_kind_recall", p)
        for s_name, tr in extras.get("traces", {}).items():
            if tr["scores"]:
                p1 = plot_curves(tr["injected"].labels, tr["scores"], out_dir / "plots" / f"curves_{s_name}.png")
                p2 = plot_scores(tr["injected"], tr["scores"], out_dir / "plots" / f"scores_{s_name}.png")
                for lg in loggers:
                    lg.log_image(f"curves/{s_name}", p1)
                    lg.log_image(f"scores/{s_name}", p2)
    return lb
