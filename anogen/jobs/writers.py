"""Files and plots of a run's folds (through :class:`~anogen.outputs.context.RunOutputs`)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pandas as pd

from anogen.outputs import plots
from anogen.outputs.context import RunOutputs
from anogen.outputs.files import safe_name

if TYPE_CHECKING:
    from anogen.jobs.steps import FoldResult

log = logging.getLogger("anogen")

__all__ = ["write_fold", "write_histories", "write_config"]


def write_fold(out: RunOutputs, res: "FoldResult") -> None:
    """``fold{i}/anomalous.csv``, ``anomalies.json``, ``scores.csv``, detector checkpoints, plots."""
    i, inj = res.fold.number, res.injected
    if not out.writes:
        return
    out.write_csv(f"fold{i}/anomalous.csv", inj.to_frame(key=res.fold.key))
    out.write_json(f"fold{i}/anomalies.json", {"anoindex": inj.anoindex, "events": [e.to_dict() for e in inj.events]})
    scores = {r.detector: r.scores for r in res.runs if r.ok}
    if scores:
        out.write_csv(f"fold{i}/scores.csv", pd.DataFrame({"is_anomaly": inj.labels.astype(int), **scores}))
    for name, frame in res.train_files.items():
        out.write_csv(f"fold{i}/{name}", frame)
    for name, det in res.detectors.items():
        _save_detector_model(out, f"fold{i}/{name}.ckpt", det, name)
    for j, col in enumerate(inj.columns):
        out.plot(f"fold{i}/{col}", f"plots/fold{i}_{safe_name(col)}.png", plots.plot_series, inj, j,
                 title=f"fold {i}: {col}")
    if res.latent is not None:
        out.plot(f"fold{i}/latent", f"plots/fold{i}_latent.png", plots.plot_latent, res.latent)
    if getattr(res, "gallery", None):
        out.plot(f"fold{i}/gallery", f"plots/fold{i}_gallery.png", plots.plot_gallery, res.gallery)


def _save_detector_model(out: RunOutputs, rel: str, det, name: str) -> None:
    model = getattr(det, "model_", None)
    if model is None or not getattr(det, "checkpoint", True):
        return
    try:
        from anogen.train.checkpoint import save_checkpoint  # lazy: flax and JAX; only detectors with a model save one

        save_checkpoint(out.staged(rel), model, getattr(det, "checkpoint_meta_", {}))
    except (ImportError, TypeError, ValueError) as e:
        log.warning("could not save the checkpoint of %s: %s", name, e)


def write_histories(out: RunOutputs, histories: dict[str, dict]) -> None:
    """Training curves: one logged row per epoch, and ``plots/loss.png``."""
    for name, h in histories.items():
        tl, vl = list(h.get("train_loss") or []), list(h.get("val_loss") or [])
        for ep in range(len(tl)):
            row = {f"{name}/train_loss": tl[ep], f"{name}/epoch": ep + 1}
            if ep < len(vl):
                row[f"{name}/val_loss"] = vl[ep]
            out.log_metrics(row)
    if histories:
        out.plot("loss", "plots/loss.png", plots.plot_loss, histories)


def write_config(out: RunOutputs, config: dict, overrides: list[str]) -> None:
    """``config.yaml`` (resolved) and ``overrides.json`` (the command line's overrides)."""
    from omegaconf import OmegaConf

    out.write_text("config.yaml", OmegaConf.to_yaml(OmegaConf.create(config)))
    if overrides:
        out.write_json("overrides.json", overrides)
