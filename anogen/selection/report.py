"""The selection's report: ``selection.md``, ``selection.json``, CSV tables and plots.

:func:`write_selection` takes any ``out`` with the :class:`anogen.outputs.context.RunOutputs`
methods (``write_text``, ``write_json``, ``write_csv``, ``plot``, ``log_table``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from anogen.selection import plots
from anogen.selection.consensus import Selection, detector_settings

__all__ = ["selection_markdown", "selection_json", "write_selection", "CITATION"]

CITATION = ("M. Goswami, C. Challu, L. Callot, L. Minorics, A. Kan. Unsupervised Model Selection for "
            "Time-series Anomaly Detection. ICLR 2023 (arXiv:2210.01078).")


def _clean(obj: Any) -> Any:
    """JSON-safe: NaN/inf -> None, numpy scalars -> Python."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        return float(obj) if math.isfinite(float(obj)) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def selection_json(sel: Selection) -> dict[str, Any]:
    """Everything the report says, as JSON-able data."""
    return _clean({
        "recommendation": sel.best, "recommendation_line": sel.recommendation_line(), "trust_line": sel.trust_line(),
        "ranking": sel.ranking.to_dict(orient="records"), "trust": sel.trust, "prior": sel.prior,
        "families": sel.families.to_dict(orient="records"), "strengths": sel.strengths,
        "by_kind": sel.by_kind.to_dict(orient="index"), "by_level": sel.by_level.to_dict(orient="index"),
        "cells": int(sel.voters["cell"].nunique()), "voters": int(len(sel.voters)), "skipped": sel.skipped,
        "real": sel.real, "method": f"{sel.trust.get('method', 'trimmed Borda')} over battery cells x metrics; {CITATION}",
        "surrogates": sel.surrogates.to_dict(orient="records") if sel.surrogates is not None else None,
        "windows": sel.windows, "left_out": sel.left_out, "summary": sel.summary_line(), "quality": sel.quality(),
        "settings": sel.params.get(sel.best), "subtlest": sel.subtlest(),
        "calibration": sel.calibration, "runner_ups": sel.runner_ups(), "evidence_line": sel.evidence_line(),
        "check_command": check_command(sel),
    })


def check_command(sel: Selection) -> str:
    """The call that ranks the recommendation and its runner-ups on the user's own labelled incidents."""
    top = [sel.best, *sel.runner_ups()]
    return (f"anogen.evaluate_detectors(train, labelled_test, labels, detectors={top!r})  "
            f"# or: python -m anogen +experiment=select data=csv data.labels=COLUMN 'detectors=[{','.join(top)}]'")


def _table(df: pd.DataFrame, floats: str = "{:.3f}") -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        cells = [floats.format(v) if isinstance(v, (float, np.floating)) and np.isfinite(v)
                 else ("" if isinstance(v, (float, np.floating)) else str(v)) for v in r]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _strength_lines(sel: Selection) -> list[str]:
    return [f"- **{d}** is strongest on: {', '.join(k) if k else '(no kind)'}" for d, k in sel.strengths.items()]


def _real_section(sel: Selection) -> list[str]:
    if not sel.real:
        return []
    a, a0 = sel.real["agreement"], sel.real["agreement_without_prior"]
    real = pd.DataFrame(sel.real["scores"])
    real["real_points"] = real["detector"].map(sel.real["points"])
    real = real.sort_values("real_points", ascending=False)
    rows = pd.DataFrame([{"ranking": "selection (with prior)" if sel.prior["used"] else "selection", **a},
                         {"ranking": "selection without prior", **a0}])
    return ["", "## Against your labels", "", "Real ranking (your labelled test part, same metrics):", "",
            _table(real), "Agreement of the synthetic ranking with it:", "", _table(rows.drop(columns="n"))]


def _window_lines(sel: Selection) -> list[str]:
    out = []
    if sel.windows:
        out += ["Window variants: " + ", ".join(f"`{k}` = {v} rows" for k, v in sel.windows.items())
                + " (`@period`: the train data's dominant period).", ""]
    if sel.left_out:
        out += ["Left out of the candidates: " + "; ".join(f"`{k}`: {v}" for k, v in sel.left_out.items()) + ".", ""]
    return out


def _surrogate_section(sel: Selection) -> list[str]:
    if sel.surrogates is None:
        return []
    share = sel.families.set_index("family")["weight_share"].get("surrogate", 0.0)
    dets = list(sel.ranking["detector"])
    table = sel.surrogates[["voter", *[d for d in dets if d in sel.surrogates.columns]]]
    return ["## Label-free surrogates", "",
            "Model centrality (Goswami et al., ICLR 2023, Sec. 3.3): each detector's mean Kendall correlation "
            "with its nearest other detectors' scores on the test part (labels unused); higher = more central. "
            f"One voter per fold in the `surrogate` family ({share:.0%} of the voting weight); not counted in "
            "the trust figure.", "", _table(table), ""]


#: what the report says the selection can promise: the figures of docs/selection.md's evidence
#: (docs/selection_evidence.json; a test checks that they match)
CAVEAT = ("The ranking says which detector finds anogen's synthetic anomalies in *your* clean data best, "
          "weighed across anomaly families and sizes. It is a surrogate: on 36 real labelled series from 7 "
          "sources its median Spearman with the real ranking was 0.50, and the real winner was in its top "
          "three on 81% of them (a fixed ranking from other sources: 0.48 and 72%; the plain benchmark "
          "leaderboard: 0.14 and 61%; docs/selection.md). Neither the trust figure nor P(best) predicted "
          "when it would hold: test the top two or three on a few labelled incidents before deploying one.")


def _recommended_section(sel: Selection) -> list[str]:
    """The recommended detector's absolute quality, settings and rank per difficulty level, beside
    the runner-up's, so the headline's probability is read with what it is about."""
    dets = [sel.best, *sel.runner_ups(1)]  # the recommendation (the ensemble by default), not the ranking's first
    rows = []
    for d in dets:
        row: dict[str, Any] = {"detector": d}
        row.update({f"mean {m}": v for m, v in sel.quality(d).items()})
        if sel.by_level is not None and len(sel.by_level) and d in sel.by_level.columns:
            row.update({f"rank at level {lv:.2f}" if isinstance(lv, (int, float, np.number)) else f"rank at {lv}": r
                        for lv, r in sel.by_level[d].items()})
        row["settings"] = sel.settings_text(d, full=True) or "(not known)"
        rows.append(row)
    out = ["## The recommended detector", "",
           f"Absolute quality (mean over the battery's cells), settings and mean rank (of {len(sel.ranking)}) at "
           "each difficulty level, lowest = subtlest; the runner-up beside it:", "", _table(pd.DataFrame(rows), "{:.2f}")]
    if sel.calibrated:
        out += ["Before deploying it, rank it and its runner-ups on a few labelled incidents of your own:", "",
                "```", check_command(sel), "```", ""]
    elif not sel.certain:
        out += ["P(best) is measured within this battery (a bootstrap over its kind x level clusters); the trust "
                "figure says its cells disagree, so a P(best) near 1 here is not certainty about your data.", ""]
    return out


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def selection_markdown(sel: Selection) -> str:
    """The human-readable report."""
    rk = sel.ranking.copy()
    rk["rank interval"] = [f"{a:g}-{b:g}" if np.isfinite(a) and np.isfinite(b) else "n/a (no bootstrap)"
                           for a, b in zip(rk["rank_lo"], rk["rank_hi"])]
    rk = rk[["rank", "detector", "points", "p_best", "rank interval", "points_synthetic", "p_best_synthetic",
             "points_prior"]]
    fam = sel.families.copy()
    prior = (f"on, weight {sel.prior['weight']:.2f} (chosen by leave-one-source-out on real labelled series)"
             if sel.prior["used"] else "off")
    evidence = [sel.evidence_line(), ""] if sel.calibrated else []
    out = ["# Which detector for this data", "", sel.recommendation_line(), "", *evidence, sel.trust_line(), "",
           *_recommended_section(sel), "## Ranking", "",
           f"{_capital(sel.trust.get('method', 'trimmed Borda'))}, over the battery's cells x metrics; `p_best` and the "
           + ("rank interval are calibrated on real labelled series (a softmax of the points and split-conformal "
              "intervals, fitted leave-one-source-out; `p_best_battery` is the bootstrap's, within the battery); "
              if sel.calibrated else
              "rank interval (5th-95th percentile) come from a bootstrap over kind x level clusters; "
              if sel.trust.get("bootstrap", 1) else "rank interval would come from a bootstrap (select.bootstrap=0: "
              "none was run); ")
           + 
           f"`points_synthetic` / `p_best_synthetic` leave the real-data prior out (prior: {prior}).", "",
           _table(rk), *_window_lines(sel), "## Per-kind strengths", "", *_strength_lines(sel), "",
           "Borda points within each kind:", "", _table(sel.by_kind.reset_index()),
           "## Rank by difficulty (mean rank; level = RMS deviation / local variability for series, "
           "ADBench strength for rows)", "",
           _table(sel.by_level.reset_index(), "{:.2f}"), "## Battery", "",
           f"{sel.voters['cell'].nunique()} cells, {len(sel.voters)} voters (cell x metric), "
           f"{sel.trust['uninformative']} left out as uninformative (detectors' scores within the minimum spread).",
           "", _table(fam)]
    if sel.skipped:
        out += ["Cells that could not be made on this data:", ""] + [f"- {k}: {v}" for k, v in
                                                                     list(sel.skipped.items())[:20]] + [""]
    out += _surrogate_section(sel)
    out += _real_section(sel)
    promise = CAVEAT if not sel.calibrated else (
        "The ranking says which detector finds anogen's synthetic anomalies in *your* clean data best, mixed with "
        "how the candidates did on real labelled series from other sources. " + sel.evidence_line()
        + " P(best) is the chance that a candidate is a real best (a tie for best makes each tied candidate one, "
        "so the column can sum to more than 1). A P(best) near 0.2 is the honest figure: no label-free method is "
        "known to pick the real best reliably "
        "(TSB-AutoAD, PVLDB 2025); test the recommendation and its runner-ups on a few labelled incidents.")
    if not sel.calibrated:
        promise += f" (P(best) and the rank intervals are not calibrated here: {sel.calibration.get('why', '')}.)"
    out += ["", "## What this can and cannot promise", "",
            promise, "", f"Method: {CITATION}"]
    return "\n".join(out) + "\n"


def write_selection(out: Any, sel: Selection, results: dict[str, Any]) -> None:
    """``selection.md``, ``selection.json``, ``selection_ranking.csv``, ``selection_cells.csv`` and plots.

    Without ``sel.params``, the candidates' settings come from the run's resolved config
    (``out.config["detectors"]``); ``results`` (the job's ``selection.json`` content) is then
    updated in place with the lines that name them."""
    dets = (getattr(out, "config", None) or {}).get("detectors")
    if not sel.params and isinstance(dets, dict):
        sel.params = detector_settings({k: v for k, v in dets.items() if isinstance(v, dict)})
        results.update({k: v for k, v in selection_json(sel).items() if k in results or k in
                        ("recommendation_line", "summary", "settings")})
    out.write_text("selection.md", selection_markdown(sel))
    out.write_json("selection.json", results)
    out.write_csv("selection_ranking.csv", sel.ranking)
    out.write_csv("selection_cells.csv", sel.rows)
    out.log_table("selection_ranking", sel.ranking)
    out.plot("selection/rank_heatmap", "plots/selection_rank_heatmap.png", plots.plot_rank_heatmap, sel)
    out.plot("selection/rank_by_level", "plots/selection_rank_by_level.png", plots.plot_rank_by_level, sel)
    out.plot("selection/p_best", "plots/selection_p_best.png", plots.plot_p_best, sel)
