"""From battery results to a recommendation: voters, trimmed Borda, bootstrap, trust, strengths.

:func:`summarize` takes one row per (battery cell, detector) with the chosen metrics, and returns a
:class:`Selection`. Pure pandas/numpy (the job that produces the rows is
:mod:`anogen.jobs.select`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from anogen.selection.aggregation import bootstrap, borda, kendalls_w, ranks, trimmed_borda
from anogen.selection.battery import family_weights as balanced_weights
from anogen.selection.calibration import Calibration, calibrated_p_best, rank_intervals
from anogen.selection.prior import Prior, mix, prior_points
from anogen.selection.rows import ROW_KINDS

__all__ = ["Selection", "summarize", "voters", "surrogate_voters", "trust_label", "detector_settings", "CELL_COLUMNS",
           "SURROGATE"]

#: the columns that identify a battery cell in the rows
CELL_COLUMNS = ("cell", "kind", "family", "level", "seed", "cluster")
#: how the voters are combined (``select.aggregate``) -> the method's name in reports
AGGREGATES = {"mean": "trimmed mean of the voters' metric values (trimmed as Goswami et al., ICLR 2023, "
                      "trim their Borda count)",
              "borda": "trimmed Borda (Goswami et al., ICLR 2023)"}

#: the family of label-free surrogate voters (:mod:`anogen.selection.surrogates`)
SURROGATE = "surrogate"


#: the evaluated methods (``docs/advice_evidence.json``) in words, in the order the evidence line lists them
_METHOD_WORDS = {"selection (prior on, nested)": "the battery mixed with the real-data prior",
                 "OE (always ensemble)": "always the ensemble",
                 "global best": "the detector best on the other sources",
                 "selection (prior off)": "the battery alone",
                 "random (expected)": "a random candidate"}


@dataclass
class Selection:
    """What the selection recommends and how sure it is.

    Attributes:
        ranking: one row per detector, best first: ``rank``, ``points`` (trimmed Borda, with the
            prior when used), ``p_best``, ``rank_lo``/``rank_hi`` (90% bootstrap interval),
            ``points_synthetic``, ``p_best_synthetic`` (without the prior), ``points_prior``,
            ``p_best_battery`` (the bootstrap's P(best) with the prior; ``p_best`` is the same unless
            the advice is calibrated, see :attr:`calibration`).
        voters: one row per voter (cell x metric): the cell's columns, ``metric``, ``spread``,
            ``informative``, ``weight``, ``kept`` (after trimming), ``distance``.
        cell_ranks: ``(voters, detectors)`` ranks of the informative voters (index = voter name).
        by_kind: ``(kinds, detectors)`` Borda points within each kind.
        by_level: ``(levels, detectors)`` mean rank at each difficulty level.
        families: per family: ``cells``, ``cell_share``, ``weight_share``.
        strengths: ``{detector: [kinds where it has the most points]}``.
        trust: ``kendalls_w``, ``label``, ``voters``, ``uninformative``, ``saturated_levels``.
        prior: ``{"used": bool, "weight": float, "source": str}``.
        rows: the input rows.
        real: optional real-label comparison (``scores``, ``agreement``, ``agreement_without_prior``).
        skipped: cells that could not be made (``{cell: reason}``).
        surrogates: the label-free surrogate voters' values (one row per fold x surrogate, a
            column per detector, higher = better), ``None`` when none was asked for.
        windows: the window-length variants added as candidates (``select.windows``):
            ``{variant name: window rows}``.
        left_out: named window variants left out of the candidates (``{variant: why}``: no clear
            cycle, or windows over ``select.max_window_values``).
        calibration: ``{"used": bool, ...}``: whether ``p_best`` and the rank intervals are
            calibrated on real series (:mod:`anogen.selection.calibration`), with its figures, or why not.
        recommended: the calibrated default's recommendation when it is not the ranking's first
            (``recommend: ensemble``); ``None`` = the ranking's first.
        params: each candidate's settings (``{detector: {"window": 10, ...}}``, see
            :func:`detector_settings`) when the caller knows them; the report shows the chosen one's.
    """

    ranking: pd.DataFrame
    voters: pd.DataFrame
    cell_ranks: pd.DataFrame
    by_kind: pd.DataFrame
    by_level: pd.DataFrame
    families: pd.DataFrame
    strengths: dict[str, list[str]]
    trust: dict[str, Any]
    prior: dict[str, Any]
    rows: pd.DataFrame
    real: dict[str, Any] | None = None
    skipped: dict[str, str] = field(default_factory=dict)
    surrogates: pd.DataFrame | None = None
    windows: dict[str, int] = field(default_factory=dict)
    left_out: dict[str, str] = field(default_factory=dict)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    calibration: dict[str, Any] = field(default_factory=lambda: {"used": False})
    recommended: str | None = None

    @property
    def best(self) -> str:
        """The recommended detector: the ranking's first, or what the calibrated advice's default
        names (``recommend: ensemble``: the ensemble detector, which won the real-data evaluation)."""
        return self.recommended or str(self.ranking["detector"].iloc[0])

    @property
    def calibrated(self) -> bool:
        """Whether P(best) and the rank intervals are calibrated on real series (``advice.json``)."""
        return bool(self.calibration.get("used"))

    def _row(self, detector: str | None = None) -> pd.Series:
        detector = self.best if detector is None else detector
        return self.ranking.set_index("detector").loc[detector]

    def __repr__(self) -> str:
        return f"Selection({self.summary_line()})"

    def __str__(self) -> str:
        return self.summary_line()

    def summary_line(self) -> str:
        """One line: the best detector, its P(best) (within the battery) and the trust label."""
        r = self._row()
        where = "calibrated on real series" if self.calibrated else "within the battery"
        p = f"P(best) {r['p_best']:.2f} {where}" if np.isfinite(r["p_best"]) else "no bootstrap"
        q = self.quality(self.best)
        mean = "".join(f", mean {_metric_name(m)} {v:.2f}" for m, v in list(q.items())[:1] if np.isfinite(v))
        trust = "" if self._trust_dropped else f"; trust: {self.trust.get('label', 'n/a')}"
        return f"best: {self.best} ({p}{mean}){trust}"

    @property
    def _trust_dropped(self) -> bool:
        """Calibrated advice whose evaluation found that Kendall's W does not predict agreement."""
        return self.calibrated and not self.calibration.get("evidence", {}).get("trust_predicts", True)

    @property
    def certain(self) -> bool:
        """Whether the trust label lets the report state P(best) plainly (``high`` or ``moderate``)."""
        return str(self.trust.get("label", "")).split(":")[0] in ("high", "moderate")

    def quality(self, detector: str | None = None) -> dict[str, float]:
        """Absolute quality: ``{metric: mean over the battery's cells}`` of a detector (default: the
        best) for each voting metric (the battery's cells, not the surrogates; failed cells count as
        missing)."""
        detector = self.best if detector is None else detector
        metrics = list(dict.fromkeys(self.voters.loc[self.voters["family"] != SURROGATE, "metric"])) \
            if len(self.voters) and "metric" in self.voters else []
        mine = self.rows[self.rows["detector"] == detector] if "detector" in self.rows else self.rows.iloc[:0]
        return {m: float(pd.to_numeric(mine[m], errors="coerce").mean()) if m in mine and len(mine) else float("nan")
                for m in metrics}

    def subtlest(self, detector: str | None = None) -> dict[str, Any] | None:
        """How a detector (default: the best) ranks on the subtlest difficulty level (the lowest one):
        ``{"level", "rank", "of", "best", "best_rank"}``; ``None`` without levels."""
        detector = self.best if detector is None else detector
        by = self.by_level
        if by is None or not len(by) or detector not in by.columns:
            return None
        levels = pd.to_numeric(pd.Series(by.index), errors="coerce")
        if not levels.notna().any():
            return None
        row = by.iloc[int(levels.idxmin())]
        return {"level": float(levels.min()), "rank": float(row[detector]), "of": int(by.shape[1]),
                "best": str(row.idxmin()), "best_rank": float(row.min())}

    def settings_text(self, detector: str | None = None, full: bool = False) -> str:
        """The detector's window (``window 10 rows``; ``no window`` for a row-wise detector) and, with
        ``full``, its other scalar settings; ``""`` when nothing is known (no ``params``)."""
        detector = self.best if detector is None else detector
        params = dict(self.params.get(detector) or self.params.get(detector.split("@")[0]) or {})
        if detector in self.windows:
            params["window"] = self.windows[detector]
        if not params:
            return ""
        tabular = "kind" in self.rows and len(self.rows) and self.rows["kind"].isin(ROW_KINDS).all()
        if tabular and "stride" in params:  # the tabular battery runs windowed candidates on single rows
            params.update(window=1, stride=1)
        w = params.get("window")
        head = f"window {w} rows" if isinstance(w, (int, np.integer)) and not isinstance(w, bool) \
            else f"members {params['members']}, each with its own window" if params.get("members") \
            else "no window: scores each row on its own"
        rest = ", ".join(f"{k}={v}" for k, v in params.items() if k not in ("window", "members"))
        return head + (f"; {rest}" if rest and full else "")

    def recommendation_line(self) -> str:
        """The headline: the recommended detector, its absolute quality on the battery, its window,
        P(best) and rank interval (stated as within the battery and, when trust is not at least
        moderate, with the cells' disagreement beside it), and its rank on the subtlest level."""
        if self.calibrated:
            return self._calibrated_line()
        r = self.ranking.iloc[0]
        m = len(self.ranking)
        runner = str(self.ranking["detector"].iloc[1]) if m > 1 else "none"
        q = ", ".join(f"{_metric_name(k)} {v:.2f}" for k, v in self.quality().items() if np.isfinite(v))
        what = [f"mean {q} on the battery"] if q else []
        settings = self.settings_text()
        head = f"recommendation: {r['detector']} ({'; '.join(what + ([settings] if settings else [])) or 'no score'})"
        if np.isfinite(r["p_best"]):
            boot = (f"P(best) = {r['p_best']:.2f} within this battery, rank interval {r['rank_lo']:g}-{r['rank_hi']:g}"
                    f" of {m}")
        else:
            boot = f"rank 1 of {m} (no bootstrap)"
        if self.certain:
            out = f"{head}; {boot}; runner-up: {runner}"
        else:
            w = self.trust.get("kendalls_w", float("nan"))
            wtxt = f"Kendall's W = {w:.2f}" if np.isfinite(w) else "too few informative cells"
            out = (f"{head}; not a certain choice: {boot}, but the battery's cells disagree ({wtxt}), "
                   f"so compare it with the runner-up {runner} on labelled data")
        sub = self.subtlest()
        if sub is not None:
            out += (f"; on the subtlest level ({sub['level']:.2f}) its mean rank is {sub['rank']:.2f} of {sub['of']}"
                    f" (best there: {sub['best']}, {sub['best_rank']:.2f})")
        return out

    def runner_ups(self, k: int = 2) -> list[str]:
        """The ``k`` best-ranked candidates other than the recommendation (worth trying beside it)."""
        return [d for d in self.ranking["detector"] if d != self.best][:k]

    def _calibrated_line(self) -> str:
        r, m, ev = self._row(), len(self.ranking), self.calibration.get("evidence", {})
        q = ", ".join(f"{_metric_name(k)} {v:.2f}" for k, v in self.quality().items() if np.isfinite(v))
        settings = self.settings_text()
        what = "; ".join(([f"mean {q} on the battery"] if q else []) + ([settings] if settings else []))
        out = (f"recommendation: {self.best}" + (f" ({what})" if what else "")
               + f"; P(best) = {r['p_best']:.2f}, likely rank {r['rank_lo']:g}-{r['rank_hi']:g} of {m} "
               f"({self.calibration.get('level', 0.9):.0%}), calibrated on {ev.get('series', '?')} real series from "
               f"{ev.get('families', '?')} source families held out in turn; runner-ups worth trying: "
               + ", ".join(self.runner_ups()))
        if self.recommended == "ensemble":
            out += " (the ensemble is recommended whatever the battery says: always choosing it won the real-data " \
                   "evaluation; the ranking orders the single detectors)"
        fixed = ev.get("fixed_rule")
        if fixed and fixed != self.best and fixed in set(self.ranking["detector"]):
            out += f"; the fixed rule (best on the real series) says {fixed}"
        return out

    def evidence_line(self) -> str:
        """What following the advice gave on real series it had not seen (the calibrated case), or ``""``."""
        if not self.calibrated:
            return ""
        ev = self.calibration.get("evidence", {})
        pct = ev.get("mean_pct_oracle", {})

        def f(method: str) -> str:
            v = pct.get(method)
            return f"{100 * v:.0f}%" if isinstance(v, (int, float)) and np.isfinite(v) else "n/a"
        default = ev.get("default", "?")
        others = ", ".join(f"{words} {f(m)}" for m, words in _METHOD_WORDS.items() if m != default and m in pct)
        return (f"On {ev.get('series', '?')} real labelled series from {ev.get('families', '?')} source families, "
                f"each held out in turn ({', '.join(ev.get('family_names', []))}), following this advice "
                f"({_METHOD_WORDS.get(default, default)}) gave {f(default)} of the best candidate's VUS-PR on "
                f"average; {others}. Its P(best) averaged {ev.get('p_best_recommended', float('nan')):.2f} "
                f"against a real hit rate of {ev.get('hit_rate', float('nan')):.2f}, and its "
                f"{self.calibration.get('level', 0.9):.0%} rank intervals held the real rank "
                f"{100 * ev.get('interval_coverage', float('nan')):.0f}% of the time (docs/selection.md).")

    def trust_line(self) -> str:
        t = self.trust
        if self._trust_dropped:
            ev = self.calibration.get("evidence", {})
            w = t.get("kendalls_w", float("nan"))
            return (f"trust: no label (on {ev.get('series', '?')} real series the battery's agreement, Kendall's W, did "
                    f"not predict whether the advice held: Spearman {ev.get('trust_spearman', float('nan')):.2f}; "
                    f"read P(best) and the rank interval instead; W here = {w:.2f})")
        return (f"trust: {t['label']} (Kendall's W = {t['kendalls_w']:.2f} over {t['voters']} informative cells x "
                f"metrics; {t['uninformative']} left out as saturated or hopeless)")


def _metric_name(metric: str) -> str:
    """``vus_pr`` -> ``VUS-PR``, ``range_f1`` -> ``range-F1`` (the names the docs use)."""
    return {"vus_pr": "VUS-PR", "vus_roc": "VUS-ROC", "range_f1": "range-F1", "pr_auc": "PR-AUC",
            "roc_auc": "ROC-AUC"}.get(metric, metric)


def detector_settings(detectors: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``{name: {setting: value}}`` of candidates: the scalar ``get_params(deep=False)`` of built
    detectors, or the keys of config nodes (``_target_``, ``name`` and nested nodes left out);
    ``window`` is ``None`` for a detector without one, and a fitted detector's resolved window
    (``window_``, e.g. of ``window: auto``) replaces its ``window`` parameter."""
    out: dict[str, dict[str, Any]] = {}
    for name, det in detectors.items():
        if isinstance(det, Mapping):
            p = dict(det)
        elif hasattr(det, "get_params"):
            try:
                p = dict(det.get_params(deep=False))
            except Exception:  # noqa: BLE001 - a candidate that cannot list its settings shows none
                p = {}
        else:
            p = {}
        keep = {k: v for k, v in p.items() if k not in ("_target_", "name") and not k.startswith("_")
                and (v is None or isinstance(v, (bool, int, float, str, np.integer, np.floating)))}
        members = p.get("members")
        if isinstance(members, Sequence) and not isinstance(members, str) and members \
                and all(isinstance(m, str) for m in members):   # an ensemble of packaged names
            keep["members"] = ", ".join(members)
        window = keep.pop("window", None)
        resolved = getattr(det, "window_", None) if not isinstance(det, Mapping) else None
        out[str(name)] = {"window": resolved if isinstance(resolved, (int, np.integer)) else window, **keep}
    return out


def voters(rows: pd.DataFrame, detectors: Sequence[str], metrics: Sequence[str],
           min_spread: float) -> tuple[pd.DataFrame, np.ndarray]:
    """One voter per (cell, metric): its description and its ``(v, m)`` scores (NaN = failed)."""
    cells = rows.drop_duplicates("cell")[list(CELL_COLUMNS)].reset_index(drop=True)
    info, scores = [], []
    for metric in metrics:
        table = rows.pivot_table(index="cell", columns="detector", values=metric, aggfunc="mean", dropna=False) \
            if metric in rows.columns else pd.DataFrame(index=cells["cell"])
        table = table.reindex(index=cells["cell"], columns=list(detectors))
        for (_, c), vals in zip(cells.iterrows(), table.to_numpy(np.float64)):
            finite = vals[np.isfinite(vals)]
            spread = float(finite.max() - finite.min()) if len(finite) >= 2 else 0.0
            info.append({**c.to_dict(), "metric": metric, "voter": f"{c['cell']}|{metric}", "spread": spread,
                         "informative": spread >= min_spread and len(finite) >= 2})
            scores.append(vals)
    return pd.DataFrame(info), np.array(scores).reshape(len(info), len(detectors))


def surrogate_voters(table: pd.DataFrame, detectors: Sequence[str],
                     min_spread: float) -> tuple[pd.DataFrame, np.ndarray]:
    """Label-free voters (e.g. centrality per fold) in the shape of :func:`voters`' output."""
    vals = table.reindex(columns=list(detectors)).to_numpy(np.float64)
    info = []
    for (_, row), v in zip(table.iterrows(), vals):
        finite = v[np.isfinite(v)]
        spread = float(finite.max() - finite.min()) if len(finite) >= 2 else 0.0
        info.append({"cell": row["voter"], "kind": row["kind"], "family": SURROGATE, "level": np.nan, "seed": 0,
                     "cluster": row["cluster"], "metric": row["kind"], "voter": row["voter"], "spread": spread,
                     "informative": spread >= min_spread and len(finite) >= 2})
    return pd.DataFrame(info), vals.reshape(len(info), len(detectors))


def trust_label(w: float) -> str:
    """``high`` (W >= 0.5), ``moderate`` (>= 0.3), ``low: the advice is shaky`` otherwise."""
    if not np.isfinite(w):
        return "none: too few informative cells"
    return "high" if w >= 0.5 else "moderate" if w >= 0.3 else "low: the advice is shaky"


def _by(voter_info: pd.DataFrame, r: np.ndarray, detectors: Sequence[str], col: str, how: str) -> pd.DataFrame:
    out = {}
    for key, idx in voter_info.groupby(col, sort=True).indices.items():
        out[key] = borda(r[idx]) if how == "points" else r[idx].mean(axis=0)
    return pd.DataFrame(out, index=list(detectors)).T.rename_axis(col)


def _strengths(by_kind: pd.DataFrame) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {d: [] for d in by_kind.columns}
    for kind, row in by_kind.iterrows():
        top = row.max()
        for d in row.index[np.isclose(row.to_numpy(), top)]:
            out[d].append(str(kind))
    return out


def _families(info: pd.DataFrame) -> pd.DataFrame:
    cells = info.drop_duplicates("cell")
    fam = cells.groupby("family").size().rename("cells").to_frame()
    fam["cell_share"] = fam["cells"] / fam["cells"].sum()
    used = info[info["informative"]]
    w = used.groupby("family")["weight"].sum() if len(used) else pd.Series(dtype=float)
    fam["weight_share"] = (w / w.sum()).reindex(fam.index).fillna(0.0) if len(w) and w.sum() > 0 else 0.0
    return fam.reset_index()


def summarize(rows: pd.DataFrame, detectors: Sequence[str], metrics: Sequence[str], *, trim: float = 0.2,
              n_boot: int = 200, balance: bool = True, min_spread: float = 0.01, prior: Prior | None = None,
              prior_weight: float | None = None, seed: int = 0,
              skipped: Mapping[str, str] | None = None, surrogates: pd.DataFrame | None = None,
              aggregate: str = "mean", family_weights: Mapping[str, float] | None = None,
              calibration: Calibration | None = None) -> Selection:
    """Aggregate battery rows into a :class:`Selection`.

    Args:
        rows: one row per (cell, detector): :data:`CELL_COLUMNS`, ``detector``, and the metrics.
        detectors: candidate names (their order breaks exact ties).
        metrics: metric columns that vote (higher = better).
        trim, n_boot, balance, min_spread: see :class:`anogen.selection.settings.SelectSettings`.
        prior: the real-data prior (``None`` = no prior).
        prior_weight: its weight (``None`` = the prior's LOSO weight).
        seed: bootstrap seed.
        skipped: cells that could not be made, for the report.
        surrogates: label-free voters (:func:`surrogate_voters`): one row per voter, ``voter``,
            ``kind`` (the surrogate), ``cluster``, and one column per detector (higher = better).
            They join the aggregation and the bootstrap in their own family (``surrogate``) but
            not the trust figure, the per-kind strengths or the per-level table.
        aggregate: ``mean`` (the trimmed mean of the voters' metric values) or ``borda`` (the
            trimmed Borda count of their ranks); see :func:`anogen.selection.aggregation.trimmed_borda`.
        family_weights: ``{family: factor}`` on a family's total weight (unlisted families: 1); a
            family at 0 does not vote: its cells stay in the rows and the family table, but not in
            the consensus, the trust figure or the per-kind strengths.
        calibration: the real-data calibration (:mod:`anogen.selection.calibration`): used when it
            holds for these candidates and this prior weight; then ``p_best`` and ``rank_lo``/``rank_hi``
            are calibrated (the bootstrap's stay as ``p_best_battery``) and its default names the
            recommendation.
    """
    if aggregate not in AGGREGATES:
        raise ValueError(f"aggregate must be one of {sorted(AGGREGATES)}, got {aggregate!r}")
    detectors = list(detectors)
    info, scores = voters(rows, detectors, metrics, min_spread)
    if surrogates is not None and len(surrogates):
        s_info, s_scores = surrogate_voters(surrogates, detectors, min_spread)
        info, scores = pd.concat([info, s_info], ignore_index=True), np.vstack([scores, s_scores])
    factor = info["family"].map(lambda f: float((family_weights or {}).get(f, 1.0))).to_numpy(np.float64)
    if not (factor > 0).any():
        raise ValueError(f"family_weights {dict(family_weights or {})} leave no family to vote")
    use = info["informative"].to_numpy() & (factor > 0)
    if not use.any():  # nothing separates the detectors: vote anyway, trust says why
        use = factor > 0
    info["weight"] = 0.0
    # each family weighs the same, times its factor
    info.loc[use, "weight"] = balanced_weights(info.loc[use, "family"], balance) * factor[use]
    r = ranks(scores[use])
    vals = scores[use] if aggregate == "mean" else None
    sub = info[use].reset_index(drop=True)
    agg = trimmed_borda(r, trim, sub["weight"].to_numpy(), vals)
    info.loc[use, "kept"] = agg.kept
    info.loc[use, "distance"] = agg.distance
    pr = prior_points(prior.points, detectors, groups=prior.groups) if prior is not None \
        else np.full(len(detectors), np.nan)
    w = (prior.weight if prior_weight is None else float(prior_weight)) if prior is not None else 0.0
    used_prior = prior is not None and w > 0 and bool(np.isfinite(pr).any())
    combine = (lambda p: mix(p, pr, w)) if used_prior else None
    clusters = sub["cluster"].to_numpy()
    b_syn = bootstrap(r, clusters, n_boot, seed, trim, sub["weight"].to_numpy(), values=vals) if n_boot else None
    b_all = bootstrap(r, clusters, n_boot, seed, trim, sub["weight"].to_numpy(), combine, vals) \
        if n_boot and used_prior else b_syn
    points = mix(agg.points, pr, w) if used_prior else agg.points
    ranking = _ranking(detectors, points, agg.points, pr, b_all, b_syn)
    cal_info, recommended = _calibrate(ranking, calibration, detectors, w if used_prior else 0.0, pr)
    cells = (sub["family"] != SURROGATE).to_numpy()  # the battery's voters (not the surrogates)
    battery = info[info["family"] != SURROGATE]
    wk = kendalls_w(r[cells]) if cells.any() and battery["informative"].any() else float("nan")
    by_kind = _by(sub[cells], r[cells], detectors, "kind", "points")
    trust = {"kendalls_w": wk, "label": trust_label(wk), "voters": int(cells.sum()),
             "uninformative": int((~battery["informative"]).sum()), "trim": trim, "bootstrap": n_boot,
             "method": AGGREGATES[aggregate], "family_weights": dict(family_weights or {}),
             "surrogates": sorted(set(info.loc[info["family"] == SURROGATE, "kind"]))}
    return Selection(ranking, info, pd.DataFrame(r, index=sub["voter"], columns=detectors), by_kind,
                     _by(sub[cells], r[cells], detectors, "level", "mean"), _families(info), _strengths(by_kind),
                     trust,
                     {"used": used_prior, "weight": w if used_prior else 0.0,
                      "source": prior.source if prior is not None else ""}, rows, skipped=dict(skipped or {}),
                     surrogates=surrogates if surrogates is not None and len(surrogates) else None,
                     calibration=cal_info, recommended=recommended)


def _calibrate(ranking: pd.DataFrame, cal: Calibration | None, detectors: list[str], weight: float,
               prior: np.ndarray) -> tuple[dict[str, Any], str | None]:
    """Replace the bootstrap's P(best) and rank intervals in ``ranking`` (in place) by calibrated
    ones when ``cal`` holds for these candidates and prior weight; the default's recommendation."""
    if cal is None:
        return {"used": False, "why": "no calibration file"}, None
    if not cal.applies(detectors):
        return {"used": False, "why": f"calibrated for the candidates {list(cal.detectors)}, not these"}, None
    if abs(weight - cal.prior_weight) > 1e-9:
        return {"used": False, "why": f"calibrated with the prior at weight {cal.prior_weight:g}, not {weight:g}"}, None
    pts = ranking["points"].to_numpy(np.float64)
    ranking["p_best"] = calibrated_p_best(pts, cal.temperature, cal.ties)
    ranking["rank_lo"], ranking["rank_hi"] = rank_intervals(pts, cal.halfwidth)
    recommended = None
    if cal.recommend == "ensemble" and "ensemble" in detectors:
        recommended = "ensemble"
    elif cal.recommend == "global" and np.isfinite(prior).any():
        recommended = detectors[int(np.nanargmax(prior))]
    return {"used": True, "source": cal.source, "temperature": cal.temperature, "ties": cal.ties,
            "halfwidth": cal.halfwidth,
            "level": cal.level, "recommend": cal.recommend, "evidence": dict(cal.evidence)}, recommended


def _ranking(detectors: list[str], points: np.ndarray, syn: np.ndarray, pr: np.ndarray, b_all, b_syn) -> pd.DataFrame:
    m = len(detectors)
    nan = np.full(m, np.nan)
    df = pd.DataFrame({"detector": detectors, "points": points,
                       "p_best": b_all.p_best if b_all else nan, "rank_lo": b_all.rank_lo if b_all else nan,
                       "rank_hi": b_all.rank_hi if b_all else nan, "points_synthetic": syn,
                       "p_best_synthetic": b_syn.p_best if b_syn else nan, "points_prior": pr,
                       "p_best_battery": b_all.p_best if b_all else nan})
    df["rank"] = ranks(points[None, :])[0]
    df = df.sort_values(["rank"], kind="stable").reset_index(drop=True)
    return df[["rank", "detector", "points", "p_best", "rank_lo", "rank_hi", "points_synthetic", "p_best_synthetic",
               "points_prior", "p_best_battery"]]
