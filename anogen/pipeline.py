"""``run(cfg)``: the one place that reads the whole config.

config -> data -> [model training] -> sampler(s) -> filters -> placement -> Injected
       -> detectors.fit(train) / score(injected) -> thresholds -> metrics -> files + loggers
"""

from __future__ import annotations

import logging
import time
import traceback
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from anogen.config import build, build_group, to_plain
from anogen.types import AnogenError, Fold, Injected, RunResult

log = logging.getLogger("anogen")

__all__ = ["run", "stage_seed", "fold_context", "score_and_measure"]

# files of a run are staged here and moved into place only when every fold succeeded
STAGING = ".staging"


def stage_seed(seed: int, *path: int) -> int:
    """A 32-bit seed for one stage, derived from the run seed (no global random state)."""
    return int(np.random.SeedSequence([int(seed), *map(int, path)]).generate_state(1)[0])


def _hydra_run_dir() -> str | None:
    try:
        from hydra.core.hydra_config import HydraConfig

        if HydraConfig.initialized():
            return str(HydraConfig.get().runtime.output_dir)
    except Exception:  # noqa: BLE001
        return None
    return None


def _hydra_job_info() -> tuple[str | None, str | None, list[str]]:
    """(run name, group, overrides) of the current Hydra job, when there is one."""
    try:
        from hydra.core.hydra_config import HydraConfig

        if not HydraConfig.initialized():
            return None, None, []
        hc = HydraConfig.get()
        overrides = list(hc.overrides.task)
        num = hc.job.get("num")
        name = ",".join(overrides) if overrides else hc.job.name
        group = Path(hc.sweep.dir).name if num is not None else None
        return name, group, overrides
    except Exception:  # noqa: BLE001
        return None, None, []


def _train_generator(cfg: Any, fold: Fold, seed: int, run_dir: Path | None) -> tuple[Any, Any, dict]:
    """Train (or load from the cache) the generative model of ``cfg.model`` on the fold's train rows."""
    from anogen.train.cache import train_or_load

    model_cfg = to_plain(cfg.model)
    trainer_cfg = to_plain(cfg.get("trainer")) or {}
    cache_cfg = to_plain(cfg.get("cache", {})) or {}
    return train_or_load(model_cfg, trainer_cfg, fold, seed=seed, cache=cache_cfg,
                         checkpoint_path=(run_dir / STAGING / f"fold{fold.number}" / "model.ckpt") if run_dir else None)


def fold_context(fold: Fold, model: Any = None, scaler: Any = None, seed: int = 0):
    from anogen.samplers.base import SampleContext

    return SampleContext.from_fold(fold, model=model, scaler=scaler, seed=seed)


def score_and_measure(detectors: Mapping[str, Any], threshold: Any, metrics: Mapping[str, Any],
                      fold: Fold, inj: Injected, scaler: Any, seed: int = 0) -> tuple[dict, dict, dict, dict]:
    """Fit every detector on the clean train part, score the injected fold, threshold, measure.

    Returns:
        (metrics ``{"det/metric": v}``, scores ``{det: (n,)}``, thresholds ``{det: thr}``,
        errors ``{det: message}``). A detector that raises is reported in ``errors`` and skipped.
    """
    from anogen.metrics.suite import compute_metrics
    from anogen.thresholds import predict

    x_train = scaler.transform(fold.train)
    x_test = scaler.transform(inj.values)
    y = inj.labels.astype(bool)
    out, scores, thresholds, errors = {}, {}, {}, {}
    for name, det in detectors.items():
        t0 = time.perf_counter()
        try:
            det.fit(x_train, fold.train_segments)
            s_train = np.asarray(det.score(x_train), dtype=np.float64)
            s_test = np.asarray(det.score(x_test), dtype=np.float64)
            if s_test.shape != (x_test.shape[0],):
                raise RuntimeError(f"score returned shape {s_test.shape}, expected ({x_test.shape[0]},)")
            if not (np.isfinite(s_test).all() and np.isfinite(s_train).all()):
                raise RuntimeError("score returned NaN or inf")
            thr = float(threshold(s_train, s_test, y))
            pred = predict(s_test, thr)
            res = compute_metrics(metrics, y, pred, s_test)
        except AnogenError:
            raise
        except Exception as e:  # noqa: BLE001 - one failing detector must not stop the others
            errors[name] = f"{type(e).__name__}: {e}"
            log.warning("detector %s failed on fold %d: %s", name, fold.number, errors[name])
            log.debug("%s", traceback.format_exc())
            continue
        scores[name] = s_test
        thresholds[name] = thr
        for k, v in res.items():
            out[f"{name}/{k}"] = float(v)
        out[f"{name}/seconds"] = time.perf_counter() - t0
    return out, scores, thresholds, errors


def _mean_metrics(per_fold: list[dict]) -> dict:
    keys = sorted({k for m in per_fold for k in m})
    out = {}
    for k in keys:
        vals = [m[k] for m in per_fold if k in m and m[k] is not None and np.isfinite(m[k])]
        if vals:
            out[k] = float(np.mean(vals))
    return out


def run(cfg: Any, run_dir: str | Path | None = "auto") -> RunResult:
    """Run one job.

    Args:
        cfg: the composed config (DictConfig or a nested dict).
        run_dir: output folder; ``"auto"`` = the Hydra run directory when running under Hydra,
            else ``cfg.run_dir`` if set, else no files. ``None`` = write nothing.

    Returns:
        :class:`RunResult` (mean metrics, injected folds, objective, run dir).

    Raises:
        AnogenError: any user mistake, before any result file is written.
    """
    from omegaconf import DictConfig, OmegaConf

    if not isinstance(cfg, DictConfig):
        cfg = OmegaConf.create(cfg)
    # JAX logs a failed TPU probe at INFO on every CPU/GPU machine: noise in a run log
    logging.getLogger("jax._src.xla_bridge").setLevel(logging.WARNING)
    missing = sorted(OmegaConf.missing_keys(cfg))
    if missing:
        raise AnogenError(f"missing required value(s) {missing}: set them on the command line, e.g. "
                          f"{missing[0]}=...")
    if run_dir == "auto":
        run_dir = _hydra_run_dir() or cfg.get("run_dir")
    out_dir = Path(run_dir) if run_dir else None
    seed = int(cfg.get("seed", 0))
    t_start = time.perf_counter()

    # ---- build and validate everything before writing anything ------------------------------
    from anogen.data.scaling import Scaler
    from anogen.samplers import generate_fold

    source = build(cfg.data, "data")
    detectors_cfg = cfg.get("detectors") or {}
    metrics = build_group(cfg.get("metrics") or {}, "metrics")
    threshold = build(cfg.threshold, "threshold") if cfg.get("threshold") is not None else None
    if detectors_cfg and threshold is None:
        raise AnogenError("threshold: a threshold strategy is required when detectors are configured")
    min_gap = int((cfg.get("placement") or {}).get("min_gap", 1))
    if min_gap < 0:
        raise AnogenError(f"placement.min_gap must be >= 0, got {min_gap}")
    bench = to_plain(cfg.get("benchmark"))
    if bench is not None:
        from anogen.samplers.compose import Compose

        if not bench.get("samplers"):
            raise AnogenError("benchmark.samplers must name at least one sampler")
        sampler = Compose({k: build(v, f"benchmark.samplers.{k}") for k, v in bench["samplers"].items()})
    else:
        sampler = build(cfg.sampler, "sampler")
    filters = build_group(cfg.get("filters") or {}, "filters")
    if filters:
        takers = [s for s in getattr(sampler, "samplers", [sampler]) if hasattr(s, "filters")]
        if not takers:
            raise AnogenError(f"filters {sorted(filters)} only apply to latent samplers (sampler=latent_uniform); "
                              f"sampler={getattr(sampler, 'name', '?')} does not use them: remove filters=...")
        for s in takers:
            s.filters = {**filters, **s.filters}
    if bool(getattr(sampler, "needs_model", False)) and cfg.get("model") is None:
        raise AnogenError(f"sampler={getattr(sampler, 'name', '?')} needs a generative model: add model=vae "
                          "(windows) or model=vae_mlp (rows)")
    build_group(detectors_cfg, "detectors")  # validate detector configs early
    frame = source.load()
    folds = source.folds(frame)
    scaling = getattr(source, "scaling", "standard")
    loggers = list(build_group(cfg.get("logger") or {}, "logger").values())
    run_name, group, overrides = _hydra_job_info()

    if out_dir is not None:
        from anogen.outputs.files import write_json

        out_dir.mkdir(parents=True, exist_ok=True)
        if overrides:
            write_json(out_dir / "overrides.json", overrides)
    plain_cfg = OmegaConf.to_container(cfg, resolve=True)
    for lg in loggers:
        lg.start(str(out_dir) if out_dir else None, plain_cfg, run_name=run_name, group=group)

    if cfg.get("benchmark") is not None:
        return _run_benchmark(cfg, folds, sampler, detectors_cfg, metrics, threshold, scaling, min_gap, seed,
                              out_dir, loggers, t_start)

    per_fold, injected, histories, errors, thresholds_all = [], [], {}, {}, {}
    model_cache: list[bool] = []
    objectives: list[float] = []
    pending: list[tuple] = []
    objective = float("nan")
    status = "ok"
    try:
        for fold in folds:
            i = fold.number
            scaler = Scaler(scaling).fit(fold.train)
            model, model_scaler = None, None
            if bool(getattr(sampler, "needs_model", False)):
                model, model_scaler, info = _train_generator(cfg, fold, stage_seed(seed, i, 0), out_dir)
                model_cache.append(bool(info.get("cached", False)))
                if info.get("history"):
                    histories[f"fold{i}/generator"] = info["history"]
                from anogen.train.cache import heldout_objective

                win = getattr(model, "seq_len", None) if getattr(model, "kind", "row") == "window" else None
                held = heldout_objective(model, model_scaler.transform(fold.test), win)
                objectives.append(held)
            ctx = fold_context(fold, model=model, scaler=model_scaler, seed=stage_seed(seed, i, 1))
            rng = np.random.default_rng(stage_seed(seed, i, 2))
            inj = generate_fold(getattr(sampler, "samplers", sampler), ctx, rng, min_gap=min_gap) \
                if not hasattr(sampler, "generate") else sampler.generate(ctx, rng, min_gap=min_gap)
            injected.append(inj)
            if ctx.extra.get("filter_report"):
                log.info("fold %d filters: %s", i, ctx.extra["filter_report"])
            detectors = build_group(detectors_cfg, "detectors") if detectors_cfg else {}
            m, scores, thr, errs = ({}, {}, {}, {}) if not detectors else score_and_measure(
                detectors, threshold, metrics, fold, inj, scaler, seed=stage_seed(seed, i, 3))
            per_fold.append(m)
            thresholds_all[i] = thr
            for name, msg in errs.items():
                errors[f"fold{i}/{name}"] = msg
            for name, det in detectors.items():
                h = getattr(det, "history_", None)
                if h is not None:
                    histories[f"fold{i}/{name}"] = h if isinstance(h, dict) else getattr(h, "__dict__", {})
            if out_dir is not None:
                pending.append((fold, inj, scores, detectors, ctx))
            for lg in loggers:
                lg.log_metrics(m, prefix=f"fold{i}/")
        mean = _mean_metrics(per_fold)
        finite = [o for o in objectives if np.isfinite(o)]
        objective = float(np.mean(finite)) if finite else float("nan")
        if out_dir is not None:  # every fold succeeded: now write their files
            from anogen.outputs.files import write_text

            _unstage(out_dir)
            for fold, inj, scores, detectors, ctx in pending:
                _write_fold(out_dir, fold, inj, scores, detectors, ctx, bool(cfg.get("plots", True)), loggers)
            write_text(out_dir / "config.yaml", OmegaConf.to_yaml(cfg, resolve=True))
    except BaseException as e:
        status = "failed"
        if out_dir is not None:
            import shutil

            shutil.rmtree(out_dir / STAGING, ignore_errors=True)
        for lg in loggers:
            lg.finish(status="failed", summary={"error": f"{type(e).__name__}: {e}"})
        raise
    elapsed = time.perf_counter() - t_start
    results = {
        "mean": mean,
        "folds": {str(i): m for i, m in enumerate(per_fold)},
        "thresholds": {str(k): v for k, v in thresholds_all.items()},
        "threshold_oracle": bool(getattr(threshold, "oracle", False)),
        "errors": errors,
        "objective": objective,
        "status": status,
        "seconds": elapsed,
        "n_anomalies": [int(len(inj.events)) for inj in injected],
        "n_anomalous_rows": [int(inj.labels.sum()) for inj in injected],
        "overrides": overrides,
        "model_cached": model_cache,
    }
    for name, h in histories.items():  # training curves: one logged row per epoch
        tl, vl = list(h.get("train_loss") or []), list(h.get("val_loss") or [])
        for ep in range(len(tl)):
            row = {f"{name}/train_loss": tl[ep], f"{name}/epoch": ep + 1}
            if ep < len(vl):
                row[f"{name}/val_loss"] = vl[ep]
            for lg in loggers:
                lg.log_metrics(row)
    if out_dir is not None:
        from anogen.outputs.files import write_json
        from anogen.outputs.plots import plot_loss

        if histories and cfg.get("plots", True):
            p = plot_loss(histories, out_dir / "plots" / "loss.png")
            for lg in loggers:
                lg.log_image("loss", p)
        write_json(out_dir / "metrics.json", results)
    for lg in loggers:
        lg.log_metrics(mean, prefix="mean/")
        lg.finish(status=status, summary={**{f"mean/{k}": v for k, v in mean.items()}, "objective": objective})
    head = {k: round(v, 4) for k, v in mean.items() if k.rsplit("/", 1)[-1] in ("roc_auc", "pr_auc", "f1")}
    log.info("done in %.1f s%s: %s", elapsed, f", results in {out_dir}" if out_dir else "", head or "no detectors")
    return RunResult(metrics=mean, injected=injected, objective=objective,
                     run_dir=str(out_dir) if out_dir else None,
                     extra={"folds": per_fold, "errors": errors, "histories": histories, "results": results})


def _unstage(out_dir: Path) -> None:
    """Move the staged files (checkpoints) into the run directory."""
    import os
    import shutil

    staging = out_dir / STAGING
    if not staging.is_dir():
        return
    for f in sorted(p for p in staging.rglob("*") if p.is_file()):
        dest = out_dir / f.relative_to(staging)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(f, dest)
    shutil.rmtree(staging, ignore_errors=True)


def _write_fold(out_dir: Path, fold: Fold, inj: Injected, scores: dict, detectors: dict, ctx: Any,
                plots: bool, loggers: list) -> None:
    import pandas as pd

    from anogen.outputs.files import write_csv, write_json

    fdir = out_dir / f"fold{fold.number}"
    write_csv(fdir / "anomalous.csv", inj.to_frame(key=fold.key))
    write_json(fdir / "anomalies.json", {"anoindex": inj.anoindex, "events": [e.to_dict() for e in inj.events]})
    if scores:
        df = pd.DataFrame({"is_anomaly": inj.labels.astype(int), **{k: v for k, v in scores.items()}})
        write_csv(fdir / "scores.csv", df)
    for name, det in detectors.items():
        model = getattr(det, "model_", None)
        if model is not None and hasattr(model, "__class__") and getattr(det, "checkpoint", True):
            try:
                from anogen.train.checkpoint import save_checkpoint

                save_checkpoint(fdir / f"{name}.ckpt", model, getattr(det, "checkpoint_meta_", {}))
            except (ImportError, TypeError, ValueError) as e:
                log.warning("could not save the checkpoint of %s: %s", name, e)
    if plots:
        from anogen.outputs.plots import plot_series

        for j, col in enumerate(inj.columns):
            p = plot_series(inj, j, out_dir / "plots" / f"fold{fold.number}_{col}.png",
                            title=f"fold {fold.number}: {col}")
            for lg in loggers:
                lg.log_image(f"fold{fold.number}/{col}", p)
        if ctx.extra.get("latent") is not None:
            from anogen.outputs.plots import plot_latent

            p = plot_latent(ctx.extra["latent"], out_dir / "plots" / f"fold{fold.number}_latent.png")
            for lg in loggers:
                lg.log_image(f"fold{fold.number}/latent", p)


def in_multirun() -> bool:
    """True inside a Hydra multirun job."""
    try:
        from hydra.core.hydra_config import HydraConfig

        return HydraConfig.initialized() and HydraConfig.get().job.get("num") is not None \
            and str(HydraConfig.get().mode) == "RunMode.MULTIRUN"
    except Exception:  # noqa: BLE001
        return False


def record_failure(e: BaseException) -> None:
    """Write ``metrics.json`` with ``status: failed`` for the current Hydra job (sweeps go on)."""
    from anogen.outputs.files import write_json

    run_dir = _hydra_run_dir()
    _, _, overrides = _hydra_job_info()
    log.error("job failed: %s: %s", type(e).__name__, e)
    if run_dir:
        write_json(Path(run_dir) / "metrics.json", {
            "mean": {}, "folds": {}, "status": "failed", "error": f"{type(e).__name__}: {e}",
            "overrides": overrides, "traceback": traceback.format_exc()})
        if overrides:
            write_json(Path(run_dir) / "overrides.json", overrides)


def _run_benchmark(cfg, folds, composite, detectors_cfg, metrics, threshold, scaling, min_gap, seed, out_dir,
                   loggers, t_start) -> RunResult:
    """``+experiment=benchmark``: samplers x detectors x folds x seeds -> leaderboard."""
    from anogen.leaderboard import leaderboard, run_benchmark, write_benchmark
    from anogen.outputs.files import write_json

    bench = to_plain(cfg.benchmark)
    if not detectors_cfg:
        raise AnogenError("benchmark: select detectors, e.g. detectors=[zscore,iforest]")
    seeds = [int(s) for s in (bench.get("seeds") or [seed])]

    def get_model(fold):
        model, scaler, _ = _train_generator(cfg, fold, stage_seed(seed, fold.number, 0), out_dir)
        return model, scaler

    status = "ok"
    try:
        rows, extras = run_benchmark(folds, composite.by_name, lambda: build_group(detectors_cfg, "detectors"),
                                     metrics, threshold, seeds=seeds, tuning=bench.get("tuning"), scaling=scaling,
                                     get_model=get_model if cfg.get("model") is not None else None, min_gap=min_gap)
        lb = leaderboard(rows, ("detector",))
        if out_dir is not None:
            from omegaconf import OmegaConf

            from anogen.outputs.files import write_text

            _unstage(out_dir)
            lb = write_benchmark(out_dir, rows, extras, plots=bool(cfg.get("plots", True)), loggers=loggers)
            write_text(out_dir / "config.yaml", OmegaConf.to_yaml(cfg, resolve=True))
    except BaseException as e:
        if out_dir is not None:
            import shutil

            shutil.rmtree(out_dir / STAGING, ignore_errors=True)
        for lg in loggers:
            lg.finish(status="failed", summary={"error": f"{type(e).__name__}: {e}"})
        raise
    mean = {}
    for _, r in lb.iterrows():
        for c in lb.columns:
            if c not in ("detector", "runs", "failed") and not c.endswith("_std") and pd_notna(r[c]):
                mean[f"{r['detector']}/{c}"] = float(r[c])
    errors = {f"fold{r.fold}/{r.sampler}/{r.detector}": r.error for r in rows.itertuples() if isinstance(r.error, str)}
    results = {"mean": mean, "status": status, "errors": errors, "seconds": time.perf_counter() - t_start,
               "threshold_oracle": bool(extras.get("oracle")), "objective": float("nan"),
               "overrides": _hydra_job_info()[2]}
    if out_dir is not None:
        write_json(out_dir / "metrics.json", results)
    for lg in loggers:
        lg.log_metrics(mean, prefix="mean/")
        lg.finish(status=status, summary={f"mean/{k}": v for k, v in mean.items()})
    return RunResult(metrics=mean, injected=[], run_dir=str(out_dir) if out_dir else None,
                     extra={"leaderboard": lb, "rows": rows, "errors": errors, "results": results})


def pd_notna(v) -> bool:
    try:
        return v is not None and bool(np.isfinite(float(v)))
    except (TypeError, ValueError):
        return False
