#!/usr/bin/env python
"""Judge the selection's advice as a predictor on real labelled data, by leave-one-source-out.

The per-series results come from ``scripts/selection_evidence.py`` (the selection, the real
ranking, the leaderboard, each detector's real VUS-PR and the selection's P(best) and 90% rank
intervals), run on the shipped real series and the evidence corpus (``--corpus corpus/``). This
script asks what a user would get by following each method's **recommended detector** (its top-1):

* its real VUS-PR on the labelled test part, its **% of oracle** (its VUS-PR over the best
  detector's VUS-PR on that series) and its **regret** (best minus its VUS-PR);
* Spearman with the real ranking (Borda over VUS-PR and range-F1, as in ``docs/selection.md``),
  top-1 hit (the recommendation is the real ranking's best) and top-3 hit (the real best is in
  the method's top three).

Methods: the selection (prior off, the default), the selection with the prior on (its weight chosen
nested on the other source families), the **global best** (the detector with the best mean real
VUS-PR over the other source families' series), the **fixed ranking** (mean real Borda points over
the other source families), today's benchmark **leaderboard**, **random** (expected values over a
uniformly random detector), and **OE** (always the ``ensemble`` detector) when the candidates
hold one. Everything learned from labels leaves the held-out series' whole source family out
(SMAP and MSL leave together; NAB's categories are one source).

    # the per-series runs, two halves side by side (about 20 s per series each), with the shipped
    # select pool (selection_evidence.py's own default is the older seven, without the ensemble)
    D="zscore zscore_rolling iforest lof knn pca ocsvm ensemble lof@period knn@period"
    python scripts/selection_evidence.py --corpus corpus/ --detectors $D --series <half 1> --out /tmp/advice_a.json --no-prior-file
    python scripts/selection_evidence.py --corpus corpus/ --detectors $D --series <half 2> --out /tmp/advice_b.json --no-prior-file
    # the evaluation (seconds): docs/advice_evidence.json and docs/advice_evidence.md
    python scripts/advice_evidence.py --corpus corpus/ --results /tmp/advice_a.json /tmp/advice_b.json
    python scripts/advice_evidence.py --corpus corpus/ --halves    # prints the two --series halves
"""

from __future__ import annotations

import argparse
import json
import sys
from math import comb
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

import selection_evidence as se  # noqa: E402

SEL, PRIOR, GLOBAL, FIXED, BOARD, RANDOM, OE = ("selection (prior off)", "selection (prior on, nested)",
                                                "global best", "fixed ranking", "leaderboard",
                                                "random (expected)", "OE (always ensemble)")
ENSEMBLE = "ensemble"
KEYS = ("pct_oracle", "regret", "spearman", "top1", "top3", "top1_vus")


def _finite(x) -> bool:
    return x is not None and np.isfinite(x)


def vus_of(r: dict) -> dict[str, float]:
    """``{detector: real VUS-PR on the labelled test part}``."""
    return {row["detector"]: float(row["vus_pr"]) if _finite(row.get("vus_pr")) else float("nan")
            for row in r["real_scores"]}


def top_of(scores: dict[str, float], among: list[str]) -> str | None:
    """The recommended detector: the highest score (first in the method's order on ties)."""
    names = [d for d in scores if d in among and _finite(scores[d])]
    if not names:
        return None
    return names[int(np.argmax(np.array([scores[d] for d in names])))]   # argmax keeps the first on ties


def base_of(d: str) -> str:
    """``knn@period`` -> ``knn``: the candidate a window variant copies where it was left out."""
    return d.partition("@")[0]


def filled_vus(r: dict, detectors: list[str]) -> dict[str, float]:
    """:func:`vus_of`, plus every window variant of ``detectors`` that this series left out (its
    period resolved to its candidate's own window, so it would have been a copy) at its candidate's
    VUS-PR: a fixed rule "always knn@period" is knn on such a series."""
    vus = vus_of(r)
    return {**vus, **{d: vus[base_of(d)] for d in detectors if d not in vus and "@" in d and base_of(d) in vus}}


def global_best_scores(results: dict, family: dict, held: str | None) -> dict[str, float]:
    """Each detector's mean real VUS-PR over the series of the other source families (pooled; every
    series when ``held`` is ``None``; a variant left out of a series counts at its candidate's
    value there, :func:`filled_vus`)."""
    pool: dict[str, list[float]] = {}
    every = sorted({d for r in results.values() for d in r["real_points"]})
    for n, r in results.items():
        if family[n] == held:
            continue
        for d, v in filled_vus(r, every).items():
            if _finite(v):
                pool.setdefault(d, []).append(v)
    return {d: float(np.mean(v)) for d, v in pool.items()}


def judge(scores: dict[str, float] | None, rec: str | None, r: dict) -> dict:
    """A method's recommendation on one series: real VUS-PR, % of oracle, regret, agreement."""
    from anogen.selection.agreement import agreement

    vus = vus_of(r)
    oracle = np.nanmax(list(vus.values()))
    if rec and rec not in vus and base_of(rec) in vus:   # a variant this series left out: its candidate
        rec = base_of(rec)
    v = vus.get(rec, float("nan")) if rec else float("nan")
    ag = agreement(scores, r["real_points"]) if scores is not None else \
        {"spearman": float("nan"), "top1": float("nan"), "top3": float("nan")}
    if scores is None and rec is not None:   # a rule without a ranking: top-1 / top-3 of its one choice
        pts = {d: p for d, p in r["real_points"].items() if _finite(p)}
        if pts and np.ptp(list(pts.values())) > 0:
            best = max(pts.values())
            ag["top1"] = ag["top3"] = float(pts.get(rec, -np.inf) == best)
    best_vus = {d for d, x in vus.items() if _finite(x) and x == oracle}
    return {"recommended": rec, "vus_pr": v, "oracle_vus_pr": float(oracle),
            "pct_oracle": float(v / oracle) if oracle > 0 and _finite(v) else float("nan"),
            "regret": float(oracle - v) if _finite(v) else float("nan"),
            "spearman": ag["spearman"], "top1": ag["top1"], "top3": ag["top3"],
            "top1_vus": float(rec in best_vus) if rec and _finite(v) else float("nan")}


def random_expected(r: dict) -> dict:
    """Expected values over a uniformly random detector (and a random ranking: Spearman 0)."""
    vus = {d: x for d, x in vus_of(r).items() if _finite(x)}
    oracle = max(vus.values())
    vals = np.array(list(vus.values()))
    pts = {d: p for d, p in r["real_points"].items() if _finite(p) and d in vus}
    ranked = bool(pts) and np.ptp(list(pts.values())) > 0
    b = sum(1 for p in pts.values() if p == max(pts.values())) if ranked else 0
    m = len(pts)
    return {"recommended": None, "vus_pr": float(vals.mean()), "oracle_vus_pr": float(oracle),
            "pct_oracle": float(np.mean(vals / oracle)) if oracle > 0 else float("nan"),
            "regret": float(oracle - vals.mean()),
            "spearman": 0.0 if ranked else float("nan"),
            "top1": b / m if ranked else float("nan"),                                   # 1/k with one best
            "top3": 1 - comb(m - b, 3) / comb(m, 3) if ranked and m >= 3 else float("nan"),  # 3/k with one best
            "top1_vus": float(np.mean(vals == oracle))}


def per_series(results: dict, family: dict) -> tuple[dict, dict]:
    """``{series: {method: judge(...)}}`` and the nested evaluation of ``selection_evidence``."""
    ev = se.evaluate(results, groups=family, predictions=True)
    every = sorted({d for x in results.values() for d in x["real_points"]})   # the pool, variants included
    out = {}
    for n, r in results.items():
        dets = [d for d, x in vus_of(r).items() if _finite(x)]
        if not dets:   # no real VUS-PR (e.g. a test part labelled anomalous throughout): nothing to judge
            continue
        gb = global_best_scores(results, family, family[n])
        pred = ev["predicted"][n]
        methods = {SEL: r["synthetic"], PRIOR: pred["selection (prior on)"], GLOBAL: gb,
                   FIXED: pred["fixed ranking"], BOARD: r["leaderboard"]}
        row = {m: judge(s, top_of(s, every if m == GLOBAL else dets), r) for m, s in methods.items()}
        row[RANDOM] = random_expected(r)
        if ENSEMBLE in dets:
            row[OE] = judge(None, ENSEMBLE, r)
        rec = row[SEL]["recommended"]
        row[SEL]["p_best"] = float(r["p_best"].get(rec, np.nan)) if rec else float("nan")
        row[PRIOR]["weight"] = pred["weight"]
        out[n] = {"group": r.get("group") or se.meta_of(n).get("group", n), "family": family[n],
                  "detectors": len(dets), "methods": row}
    return out, ev


def summary(rows: dict, methods: list[str], names: list[str]) -> dict:
    """Per method over ``names``: mean / median % of oracle, mean regret, median Spearman, top-1, top-3."""
    out = {}
    for m in methods:
        col = {k: np.array([rows[n]["methods"][m][k] for n in names], np.float64) for k in KEYS}
        f = {k: v[np.isfinite(v)] for k, v in col.items()}
        out[m] = {"series": len(names), "with_oracle": int(len(f["pct_oracle"])), "ranked": int(len(f["top1"])),
                  "mean_pct_oracle": _m(f["pct_oracle"], np.mean), "median_pct_oracle": _m(f["pct_oracle"], np.median),
                  "mean_regret": _m(f["regret"], np.mean), "median_spearman": _m(f["spearman"], np.median),
                  "top1": _m(f["top1"], np.mean), "top3": _m(f["top3"], np.mean),
                  "top1_vus": _m(f["top1_vus"], np.mean)}
    return out


def _m(v: np.ndarray, how) -> float:
    return float(how(v)) if len(v) else float("nan")


def paired(rows: dict, a: str, b: str, names: list[str], key: str = "pct_oracle") -> dict:
    """Paired Wilcoxon signed-rank test of ``a`` vs ``b`` on ``key`` (zero differences dropped)."""
    from scipy.stats import wilcoxon

    d = np.array([rows[n]["methods"][a][key] - rows[n]["methods"][b][key] for n in names], np.float64)
    d = d[np.isfinite(d)]
    res = {"a": a, "b": b, "metric": key, "pairs": int(len(d)), "a_better": int((d > 0).sum()),
           "ties": int((d == 0).sum()), "b_better": int((d < 0).sum()),
           "mean_difference": _m(d, np.mean), "median_difference": _m(d, np.median),
           "statistic": float("nan"), "p_value": float("nan")}
    if np.any(d != 0):
        w = wilcoxon(d)
        res.update(statistic=float(w.statistic), p_value=float(w.pvalue))
    return res


def calibration(rows: dict, names: list[str]) -> dict:
    """P(best) of the selection's recommendation against its hit rate, in ten equal-width bins."""
    p = np.array([rows[n]["methods"][SEL]["p_best"] for n in names], np.float64)
    hit = np.array([rows[n]["methods"][SEL]["top1"] for n in names], np.float64)
    hit_v = np.array([rows[n]["methods"][SEL]["top1_vus"] for n in names], np.float64)
    ok = np.isfinite(p) & np.isfinite(hit)
    p, hit, hit_v = p[ok], hit[ok], hit_v[ok]
    b = np.minimum((p * 10).astype(int), 9)
    bins = [{"bin": f"{i / 10:.1f}-{(i + 1) / 10:.1f}", "count": int((b == i).sum()),
             "mean_p_best": _m(p[b == i], np.mean), "hit_rate": _m(hit[b == i], np.mean),
             "hit_rate_vus_pr_best": _m(hit_v[b == i], np.mean)} for i in range(10)]
    return {"bins": bins, "series": int(ok.sum()), "mean_p_best": _m(p, np.mean), "hit_rate": _m(hit, np.mean),
            "brier": _m((p - hit) ** 2, np.mean)}


def coverage(results: dict, names: list[str]) -> dict:
    """How often the selection's 90% rank interval holds the detector's real rank (ties: the
    interval meets the tied ranks), over (series, detector) pairs and for the recommendation."""
    pairs = covered = rec_pairs = rec_cov = 0
    width = []
    for n in names:
        r = results[n]
        if "rank_lo" not in r:
            continue
        pts = {d: p for d, p in r["real_points"].items() if _finite(p)}
        if not pts or np.ptp(list(pts.values())) == 0:
            continue
        rec = top_of(r["synthetic"], list(pts))
        for d, p in pts.items():
            lo, hi = r["rank_lo"].get(d), r["rank_hi"].get(d)
            if not (_finite(lo) and _finite(hi)):
                continue
            best_rank = 1 + sum(q > p for q in pts.values())
            worst_rank = sum(q >= p for q in pts.values())
            c = lo <= worst_rank and hi >= best_rank
            pairs, covered, width = pairs + 1, covered + c, width + [hi - lo + 1]
            if d == rec:
                rec_pairs, rec_cov = rec_pairs + 1, rec_cov + c
    return {"pairs": pairs, "covered": covered, "coverage": covered / pairs if pairs else float("nan"),
            "recommended_pairs": rec_pairs, "recommended_coverage": rec_cov / rec_pairs if rec_pairs else float("nan"),
            "mean_interval_ranks": _m(np.array(width, np.float64), np.mean)}


LEVEL = 0.9
#: the methods a default can be: the simplest within SIMPLER_WITHIN of the best mean % of oracle wins
#: (declared before the 129-series run): always the ensemble, the global best, the selection with the prior
DEFAULTS = ((OE, "ensemble"), (GLOBAL, "global"), (PRIOR, "ranking"))
SIMPLER_WITHIN = 0.01


def _prior_excluding(results: dict, family: dict, dets: list[str], families: set) -> np.ndarray:
    """The real-data prior's points of ``dets`` without the series of ``families`` (each family
    counts once: the mean within a family, then over families), as the shipped prior is used."""
    from anogen.selection.prior import prior_points

    pool = {n: r["real_points"] for n, r in results.items() if r.get("real", True)}
    return prior_points(pool, dets, exclude=[n for n in pool if family[n] in families], groups=family)


def advice_points(results: dict, family: dict, dets: list[str], n: str, families: set, weight: float) -> np.ndarray:
    """The selection's points on series ``n`` as ``anogen.select`` computes them with the prior on:
    ``mix(synthetic, prior, weight)`` (:func:`anogen.selection.prior.mix`), the prior leaving ``families`` out."""
    from anogen.selection.calibration import mapping_points
    from anogen.selection.prior import mix

    return mix(mapping_points(results[n]["synthetic"], dets), _prior_excluding(results, family, dets, families), weight)


def calibrated(results: dict, family: dict, names: list[str], dets: list[str], ev: dict) -> dict:
    """P(best) by a softmax whose temperature (scaled by the mean number of tied real bests, so that
    it is P(a real best): ties count for each, as the check counts them), and rank intervals whose
    conformal half-width, are fitted on the *other* source families (their points leave their own family and the held-out one
    out of the prior), then checked on the held-out family; and the same fitted on every family for
    the shipped ``advice.json``."""
    from anogen.selection.calibration import (best_share, calibrated_p_best, conformal_halfwidth, covered,
                                              fit_temperature, mapping_points, mean_best_count, rank_errors)

    def of(n: str) -> list[str]:   # the series' own candidates (a variant may have been left out)
        return [d for d in dets if d in results[n]["real_points"]]

    real = {n: mapping_points(results[n]["real_points"], of(n)) for n in names}
    ranked = [n for n in names if best_share(real[n]).sum() > 0]
    fams = list(dict.fromkeys(family[n] for n in ranked))
    rec_p, rec_hit, pair_p, pair_hit, cov, rec_cov, per_fam = [], [], [], [], [], [], {}
    ens_p, ens_hit = [], []   # the ensemble's own P(best) and hits (the default when OE wins)
    for f in fams:
        held = [n for n in ranked if family[n] == f]
        w = float(ev["predicted"][held[0]]["weight"])
        train = [n for n in ranked if family[n] != f]
        tp = [advice_points(results, family, of(n), n, {f, family[n]}, w) for n in train]
        t = fit_temperature(tp, [real[n] for n in train])
        k = mean_best_count([real[n] for n in train])
        h = conformal_halfwidth(np.concatenate([rank_errors(p, real[n]) for p, n in zip(tp, train)]), LEVEL)
        per_fam[f] = {"temperature": t, "ties": k, "halfwidth": h, "prior_weight": w, "series": len(held)}
        for n in held:
            pts = advice_points(results, family, of(n), n, {f}, w)
            pb, b, c = calibrated_p_best(pts, t, k), best_share(real[n]), covered(pts, real[n], h)
            i = int(np.argmax(pts))
            rec_p.append(pb[i]), rec_hit.append(float(b[i] > 0)), rec_cov.append(bool(c[i]))
            pair_p.extend(pb), pair_hit.extend((b > 0).astype(float)), cov.extend(c)
            if ENSEMBLE in of(n):
                j = of(n).index(ENSEMBLE)
                ens_p.append(pb[j]), ens_hit.append(float(b[j] > 0))
    pair_p, pair_hit, rec_p, rec_hit = map(np.asarray, (pair_p, pair_hit, rec_p, rec_hit))
    w_all = float(ev["weight_all"])
    ap = [advice_points(results, family, of(n), n, {family[n]}, w_all) for n in ranked]
    t_all = fit_temperature(ap, [real[n] for n in ranked])
    k_all = mean_best_count([real[n] for n in ranked])
    h_all = conformal_halfwidth(np.concatenate([rank_errors(p, real[n]) for p, n in zip(ap, ranked)]), LEVEL)
    return {"series": len(ranked), "level": LEVEL, "per_family": per_fam,
            "recommended": {"mean_p_best": _m(rec_p, np.mean), "hit_rate": _m(rec_hit, np.mean),
                            "brier": _m((rec_p - rec_hit) ** 2, np.mean), "coverage": _m(np.asarray(rec_cov, float), np.mean)},
            "pairs": {"count": int(len(pair_p)), "coverage": _m(np.asarray(cov, float), np.mean),
                      "brier": _m((pair_p - pair_hit) ** 2, np.mean), "bins": _bins(pair_p, pair_hit)},
            "recommended_bins": _bins(rec_p, rec_hit),
            "ensemble": {"mean_p_best": _m(np.asarray(ens_p), np.mean), "hit_rate": _m(np.asarray(ens_hit), np.mean)},
            "shipped": {"temperature": t_all, "ties": k_all, "halfwidth": h_all, "prior_weight": w_all}}


def _bins(p: np.ndarray, hit: np.ndarray) -> list[dict]:
    b = np.minimum((p * 10).astype(int), 9)
    return [{"bin": f"{i / 10:.1f}-{(i + 1) / 10:.1f}", "count": int((b == i).sum()),
             "mean_p_best": _m(p[b == i], np.mean), "hit_rate": _m(hit[b == i], np.mean)} for i in range(10)]


def trust_check(results: dict, rows: dict, names: list[str]) -> dict:
    """Does the trust figure (Kendall's W of the battery) predict how well the advice agrees with
    the real ranking? Spearman of W against the per-series Spearman of the selection (prior on)."""
    from scipy.stats import spearmanr

    w = np.array([results[n].get("trust", {}).get("kendalls_w", np.nan) for n in names], np.float64)
    a = np.array([rows[n]["methods"][PRIOR]["spearman"] for n in names], np.float64)
    ok = np.isfinite(w) & np.isfinite(a)
    if ok.sum() < 5:
        return {"pairs": int(ok.sum()), "spearman": float("nan"), "p_value": float("nan"), "predicts": False}
    r = spearmanr(w[ok], a[ok])
    return {"pairs": int(ok.sum()), "spearman": float(r.statistic), "p_value": float(r.pvalue),
            "predicts": bool(r.statistic > 0.1 and r.pvalue < 0.05)}


def choose_default(summ: dict) -> tuple[str, str]:
    """``(method, recommend)``: the simplest of :data:`DEFAULTS` within :data:`SIMPLER_WITHIN` of the
    best mean % of oracle over all judged series."""
    best = max(summ[m]["mean_pct_oracle"] for m, _ in DEFAULTS if m in summ)
    for m, rec in DEFAULTS:
        if m in summ and summ[m]["mean_pct_oracle"] >= best - SIMPLER_WITHIN:
            return m, rec
    raise AssertionError("unreachable")


def reliability_plot(cal: dict, before: dict, path: Path) -> None:
    """Reliability diagram: P(best) against the real hit rate, before (the bootstrap's P(best) of
    the recommendation) and after calibration (every candidate, leave-one-source-out)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls="--", label="perfect")
    for bins, label, mk in ((before["bins"], "before: bootstrap P(best), recommended", "s"),
                            (cal["pairs"]["bins"], "after: calibrated, every candidate", "o")):
        xs = [b["mean_p_best"] for b in bins if b["count"]]
        ys = [b["hit_rate"] for b in bins if b["count"]]
        ns = [b["count"] for b in bins if b["count"]]
        ax.plot(xs, ys, marker=mk, label=label)
        for x, y, k in zip(xs, ys, ns):
            ax.annotate(str(k), (x, y), textcoords="offset points", xytext=(3, 3), fontsize=7)
    ax.set(xlabel="P(best) (bin mean)", ylabel="real hit rate", xlim=(0, 1), ylim=(0, 1),
           title=f"P(best) on {cal['series']} real series, leave-one-source-out")
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%" if _finite(x) else "n/a"


def _f(x: float, nd: int = 2) -> str:
    return f"{x:.{nd}f}" if _finite(x) else "n/a"


def method_table(summ: dict, methods: list[str], label: str = "method") -> list[str]:
    lines = [f"| {label} | series (with a real ranking) | mean % of oracle VUS-PR | median % of oracle | "
             "mean regret (VUS-PR) | median Spearman | top-1 | top-3 | top-1 by VUS-PR |",
             "|---|---|---|---|---|---|---|---|---|"]
    for m in methods:
        s = summ[m]
        lines.append(f"| {m} | {s['with_oracle']} ({s['ranked']}) | {_pct(s['mean_pct_oracle'])} | "
                     f"{_pct(s['median_pct_oracle'])} | {_f(s['mean_regret'], 3)} | {_f(s['median_spearman'])} | "
                     f"{_f(s['top1'])} | {_f(s['top3'])} | {_f(s['top1_vus'])} |")
    return lines


def reading(out: dict) -> list[str]:
    """The headline comparisons, in words, from the figures of ``out``."""
    a, fam = out["summary"]["all"], out["summary"]["by_family"]
    best = max(out["methods"], key=lambda m: a[m]["mean_pct_oracle"] if _finite(a[m]["mean_pct_oracle"]) else -1)
    gb = next(t for t in out["wilcoxon"]["selection_vs"] if t["b"] == GLOBAL)
    lines = [f"* Following the selection's recommendation gives {_pct(a[SEL]['mean_pct_oracle'])} of the oracle's "
             f"VUS-PR on average (median {_pct(a[SEL]['median_pct_oracle'])}) over {a[SEL]['with_oracle']} series; "
             f"the global best {_pct(a[GLOBAL]['mean_pct_oracle'])}, the fixed ranking "
             f"{_pct(a[FIXED]['mean_pct_oracle'])}, the leaderboard {_pct(a[BOARD]['mean_pct_oracle'])}, a random "
             f"detector {_pct(a[RANDOM]['mean_pct_oracle'])}"
             + (f", always the ensemble {_pct(a[OE]['mean_pct_oracle'])}" if OE in a else "")
             + f". Highest mean: {best}.",
             f"* Selection vs global best, paired on % of oracle: selection better on {gb['a_better']}, tied on "
             f"{gb['ties']}, worse on {gb['b_better']} series (Wilcoxon p = {gb['p_value']:.2g}).",
             "* Per source family (mean % of oracle, selection / global best / random): "
             + "; ".join(f"{f}: {_pct(fam[f][SEL]['mean_pct_oracle'])} / {_pct(fam[f][GLOBAL]['mean_pct_oracle'])} / "
                         f"{_pct(fam[f][RANDOM]['mean_pct_oracle'])} ({fam[f][SEL]['with_oracle']} series)"
                         for f in fam) + "."]
    c = out["calibration"]
    lines.append(f"* P(best) is {'over' if c['mean_p_best'] > c['hit_rate'] else 'under'}confident on average: "
                 f"mean P(best) {_f(c['mean_p_best'])} against a top-1 hit rate of {_f(c['hit_rate'])}; the 90% "
                 f"rank intervals hold the real rank for {_pct(out['rank_interval_coverage']['coverage'])} of "
                 f"(series, detector) pairs.")
    return lines


def markdown(out: dict) -> str:
    methods, fams = out["methods"], out["families"]
    n = out["series"]
    g = out["groups"]
    lines = ["# Is the advice worth following? The selection as a predictor on real data",
             "",
             "Made by `scripts/advice_evidence.py` from the per-series runs of `scripts/selection_evidence.py`; "
             "every figure below is in `docs/advice_evidence.json`.",
             "",
             f"**Data.** {out['run']} real labelled series were run; {n} of them have a real VUS-PR and are judged "
             f"here (without one: {', '.join(out['unjudged']) or 'none'}, whose test part no metric can score). "
             f"The {n}: {out['shipped']} shipped in `anogen/data/real/` (the GutenTAG "
             f"control and the tables left out) and {out['corpus']} of the evidence corpus `corpus/` "
             "(`corpus/README.md`). Source families (the held-out unit): "
             + "; ".join(f"{f} ({c})" for f, c in fams.items()) + ". Groups: "
             + "; ".join(f"{k} ({v})" for k, v in g.items()) + ".",
             "",
             f"**Candidates** ({len(out['detectors'])}): {', '.join(out['detectors'])}. "
             + ("The OE baseline (always the `ensemble` detector) is included." if out["oe"] else
                "No `ensemble` detector was in `anogen/conf/detectors/` when this was run, so there is no OE "
                "(always the ensemble) baseline."),
             "",
             "**Held-out test sources never touched:** the reserved sources of issue 19 were not downloaded, read "
             "or used; only `anogen/data/real/` and `corpus/` were.",
             "",
             "**Leave-one-source-out.** Everything learned from labels (the global best, the fixed ranking, the "
             "prior and its weight) is learned on the *other* source families: the held-out series' whole family "
             "leaves (NASA SMAP and MSL together; NAB's categories are one source; the shipped UCR "
             "InternalBleeding records and the corpus' UCR series are one source). The selection and the "
             "leaderboard use no labels at all.",
             "",
             *([f"**Run.** {out['note']}", ""] if out.get("note") else []),
             "## In short", "", *reading(out), "",
             "## Per method, all series",
             "",
             "A method's *recommendation* is its top-1. *% of oracle*: the recommendation's real VUS-PR over the "
             "best candidate's on that series; *regret*: the best VUS-PR minus the recommendation's. *Spearman*, "
             "*top-1* and *top-3* are against the real ranking of `docs/selection.md` (Borda over VUS-PR and "
             "range-F1); *top-1 by VUS-PR*: the recommendation has the best VUS-PR. Series whose real ranking is "
             "all ties count for % of oracle and regret but not for Spearman, top-1, top-3 (second count). "
             "*random (expected)*: the expectation over a uniformly random detector (top-1 = 1/k, top-3 = 3/k "
             "with one real best; exact with ties; Spearman 0).",
             "",
             *method_table(out["summary"]["all"], methods),
             "",
             "Mean over families (each family's mean counts once):",
             "",
             "| method | mean % of oracle | mean regret | top-1 | top-3 |",
             "|---|---|---|---|---|"]
    for m in methods:
        s = out["summary"]["over_families"][m]
        lines.append(f"| {m} | {_pct(s['mean_pct_oracle'])} | {_f(s['mean_regret'], 3)} | {_f(s['top1'])} | "
                     f"{_f(s['top3'])} |")
    lines += ["", "## Per source family", ""]
    for f in fams:
        lines += [f"### {f} ({fams[f]} series)", "", *method_table(out["summary"]["by_family"][f], methods), ""]
    lines += ["### Per group: mean % of oracle VUS-PR", "",
              "| group | n | " + " | ".join(methods) + " |", "|---|---|" + "---|" * len(methods)]
    for grp, s in out["summary"]["by_group"].items():
        lines.append(f"| {grp} | {g[grp]} | " + " | ".join(_pct(s[m]["mean_pct_oracle"]) for m in methods) + " |")
    w = out["wilcoxon"]
    lines += ["", "## Paired tests on % of oracle (Wilcoxon signed-rank, zero differences dropped)", "",
              "| comparison | series | selection better / tied / worse | mean difference | median difference | "
              "W | p |", "|---|---|---|---|---|---|---|"]
    for t in w["selection_vs"]:
        lines.append(f"| {t['a']} vs {t['b']} | {t['pairs']} | {t['a_better']} / {t['ties']} / {t['b_better']} | "
                     f"{100 * t['mean_difference']:+.1f} pts | {100 * t['median_difference']:+.1f} pts | "
                     f"{_f(t['statistic'], 1)} | {t['p_value']:.2g} |")
    lines += ["", "Selection vs global best within each source family:", "",
              "| family | series | selection better / tied / worse | mean difference | p |", "|---|---|---|---|---|"]
    for f, t in w["selection_vs_global_best_by_family"].items():
        lines.append(f"| {f} | {t['pairs']} | {t['a_better']} / {t['ties']} / {t['b_better']} | "
                     f"{100 * t['mean_difference']:+.1f} pts | {t['p_value']:.2g} |")
    big = max(fams, key=fams.get)
    lines += ["", f"The series are not independent ({fams[big]} of the {n} are from one source family, {big}), so "
              "the p-values over all series overstate the evidence; the per-family rows are the honest unit.", ""]
    c = out["calibration"]
    lines += ["## Calibration of P(best)", "",
              f"The selection's P(best) of its recommended detector (bootstrap over the battery, prior off) against "
              f"whether it was the real best (top-1 hit), in ten equal-width bins of P(best); {c['series']} series "
              f"with a real ranking. Overall: mean P(best) {_f(c['mean_p_best'])}, hit rate {_f(c['hit_rate'])}, "
              f"Brier score {_f(c['brier'], 3)}.", "",
              "| P(best) bin | series | mean P(best) | hit rate (real ranking) | hit rate (best VUS-PR) |",
              "|---|---|---|---|---|"]
    for b in c["bins"]:
        if b["count"]:
            lines.append(f"| {b['bin']} | {b['count']} | {_f(b['mean_p_best'])} | {_f(b['hit_rate'])} | "
                         f"{_f(b['hit_rate_vus_pr_best'])} |")
    cv = out["rank_interval_coverage"]
    lines += ["", "## Coverage of the 90% rank intervals", "",
              f"The selection's 90% bootstrap rank interval (`rank_lo`-`rank_hi`, prior off) holds the detector's "
              f"real rank (a tie counts when the interval meets the tied ranks) for **{cv['covered']} of "
              f"{cv['pairs']}** (series, detector) pairs = {_pct(cv['coverage'])} (nominal 90%; mean interval "
              f"width {_f(cv['mean_interval_ranks'], 1)} ranks of {len(out['detectors'])}); for the recommended "
              f"detector alone {_pct(cv['recommended_coverage'])} of {cv['recommended_pairs']} series.", "",
              *calibrated_section(out), *default_tests(out),
              "## Regenerate", "", "```",
              *out["commands"], "```", ""]
    return "\n".join(lines)


def write_shipped(out: dict, ev: dict, results: dict) -> None:
    """``anogen/data/real/prior.json`` (every real series' points, each source family one group, the
    weight chosen on all families) and ``advice.json`` (the calibration, the default and the figures
    the selection's report quotes)."""
    from anogen.selection.calibration import ADVICE_PATH, Calibration, calibration_dict

    se.write_prior(ev, results)
    a, c, sh = out["summary"]["all"], out["calibrated"], out["calibrated"]["shipped"]
    evidence = {"series": out["series"], "families": len(out["families"]),
                "family_names": list(out["families"]), "default": out["default"], "fixed_rule": out["fixed_rule"],
                "mean_pct_oracle": {m: a[m]["mean_pct_oracle"] for m in out["methods"]},
                "median_pct_oracle": {m: a[m]["median_pct_oracle"] for m in out["methods"]},
                **({"p_best_recommended": c["ensemble"]["mean_p_best"], "hit_rate": c["ensemble"]["hit_rate"]}
                   if out["recommend"] == "ensemble" else
                   {"p_best_recommended": c["recommended"]["mean_p_best"], "hit_rate": c["recommended"]["hit_rate"]}),
                "interval_coverage": c["pairs"]["coverage"], "trust_predicts": out["trust_check"]["predicts"],
                "trust_spearman": out["trust_check"]["spearman"], "made_by": "scripts/advice_evidence.py --write"}
    cal = Calibration(tuple(out["detectors"]), sh["temperature"], sh["halfwidth"], LEVEL, sh["prior_weight"],
                      out["recommend"], evidence, ties=sh["ties"])
    ADVICE_PATH.write_text(json.dumps(se._clean(calibration_dict(cal)), indent=1) + "\n")


def calibrated_section(out: dict) -> list[str]:
    """The calibrated P(best) and rank intervals, the trust check and the default chosen."""
    c, t, a = out["calibrated"], out["trust_check"], out["summary"]["all"]
    rec, pairs = c["recommended"], c["pairs"]
    lines = ["## Calibrated P(best) and rank intervals (what `anogen.select` now reports)", "",
             "P(best) is a softmax of the selection's points (synthetic points mixed with the real-data prior) with "
             "one temperature, times the mean number of real-best candidates per series (a tie for best makes each "
             "tied candidate a best, as the hit rate counts it; at most 1), and the rank interval is the predicted rank plus or minus a split-conformal "
             f"half-width at {c['level']:.0%}; both are fitted on the other source families' series and checked "
             f"on the held-out family ({c['series']} series with a real ranking; a tie for best counts as a hit). "
             f"Fitted per held-out family:", "",
             "| held-out family | series | prior weight | temperature | real bests per series | half-width (ranks) |",
             "|---|---|---|---|---|---|"]
    for f, v in c["per_family"].items():
        lines.append(f"| {f} | {v['series']} | {_f(v['prior_weight'], 1)} | {_f(v['temperature'])} | "
                     f"{_f(v.get('ties', 1.0))} | {_f(v['halfwidth'], 1)} |")
    lines += ["", f"* The recommendation's calibrated P(best) averages **{_f(rec['mean_p_best'])}** against a real "
              f"hit rate of **{_f(rec['hit_rate'])}** (Brier {_f(rec['brier'], 3)}; before calibration "
              f"{_f(out['calibration']['mean_p_best'])} against {_f(out['calibration']['hit_rate'])}). The ensemble's "
              f"own calibrated P(best) averages {_f(c['ensemble']['mean_p_best'])} against its hit rate of "
              f"{_f(c['ensemble']['hit_rate'])}.",
              f"* The calibrated {c['level']:.0%} rank intervals hold the real rank for **{_pct(pairs['coverage'])}** "
              f"of {pairs['count']} (series, detector) pairs (before: "
              f"{_pct(out['rank_interval_coverage']['coverage'])}), and for the recommendation on "
              f"{_pct(rec['coverage'])} of the series.",
              "", "Reliability, every (series, candidate) pair, leave-one-source-out "
              "(`docs/img/advice_reliability.png`):", "",
              "| P(best) bin | pairs | mean P(best) | real hit rate |", "|---|---|---|---|"]
    lines += [f"| {b['bin']} | {b['count']} | {_f(b['mean_p_best'])} | {_f(b['hit_rate'])} |"
              for b in pairs["bins"] if b["count"]]
    lines += ["", "![reliability](img/advice_reliability.png)", "",
              "## Does the trust label predict agreement?", "",
              f"Kendall's W of the battery against the per-series Spearman of the selection (prior on) with the real "
              f"ranking: Spearman {_f(t['spearman'])} over {t['pairs']} series (p = {_f(t['p_value'], 2)}). "
              + ("It predicts agreement, so the report keeps the label." if t["predicts"] else
                 "It does not predict agreement, so the report no longer prints a trust label beside a calibrated "
                 "P(best); Kendall's W stays in `selection.json` as a description of the battery."), "",
              "## The default", "",
              f"Rule (declared before the 129-series run): of always the ensemble (OE), the global best and the "
              f"selection with the prior, the simplest whose mean % of oracle is within "
              f"{100 * SIMPLER_WITHIN:.0f} point of the best wins. Mean % of oracle: "
              + ", ".join(f"{m} {_pct(a[m]['mean_pct_oracle'])}" for m, _ in DEFAULTS if m in a)
              + f". **Default: {out['default']}** (`advice.json` `recommend: {out['recommend']}`). The fixed rule "
              f"(the best mean real VUS-PR over every series) says **{out['fixed_rule']}**; the report shows it "
              "beside the recommendation when they differ.", ""]
    return lines


BEGIN, END = "<!-- advice_evidence:begin -->", "<!-- advice_evidence:end -->"


def selection_doc_block(out: dict) -> str:
    """The leave-one-source-out table, the calibration and the default, for ``docs/selection.md``."""
    a, c = out["summary"]["all"], out["calibrated"]
    lines = [BEGIN, "", f"*Written by `scripts/advice_evidence.py` from `docs/advice_evidence.json`; the full "
             f"tables, per family and per group, are in [advice_evidence.md](advice_evidence.md).*", "",
             f"{out['series']} real labelled series from {len(out['families'])} source families ("
             + "; ".join(f"{f}: {k}" for f, k in out["families"].items()) + "), each family held out in turn: "
             "everything learned from labels (the prior, its weight, the global best, the calibration) is learned "
             f"on the other families. {len(out['detectors'])} candidates: {', '.join(out['detectors'])}. "
             f"The shipped default is **{out['default']}**.", "",
             *method_table(a, out["methods"]), "",
             "Mean over families (each family counts once): "
             + ", ".join(f"{m} {_pct(out['summary']['over_families'][m]['mean_pct_oracle'])}" for m in out["methods"])
             + ".", "",
             f"**Calibration** (leave-one-source-out): the recommendation's P(best) averages "
             f"{_f(c['recommended']['mean_p_best'])} against a real hit rate of {_f(c['recommended']['hit_rate'])}; "
             f"the {c['level']:.0%} rank intervals hold the real rank for {_pct(c['pairs']['coverage'])} of "
             f"{c['pairs']['count']} (series, detector) pairs (before calibration: P(best) "
             f"{_f(out['calibration']['mean_p_best'])} against {_f(out['calibration']['hit_rate'])}, coverage "
             f"{_pct(out['rank_interval_coverage']['coverage'])}). Kendall's W did not predict agreement "
             f"(Spearman {_f(out['trust_check']['spearman'])})" if not out["trust_check"]["predicts"] else
             f"**Calibration**: see advice_evidence.md", "",
             "| P(best) bin | pairs | mean P(best) | real hit rate |", "|---|---|---|---|",
             *[f"| {b['bin']} | {b['count']} | {_f(b['mean_p_best'])} | {_f(b['hit_rate'])} |"
               for b in c["pairs"]["bins"] if b["count"]], "",
             "![P(best) reliability, leave-one-source-out](img/advice_reliability.png)", "",
             *default_tests(out), END]
    return "\n".join(lines)


def default_tests(out: dict) -> list[str]:
    """Paired Wilcoxon tests of the default against every other method, over all series and per family."""
    d = out["default"]
    lines = [f"Paired tests of the default ({d}) on % of oracle (Wilcoxon signed-rank, zero differences dropped):", "",
             "| against | series | default better / tied / worse | mean difference | p |", "|---|---|---|---|---|"]
    for t in out["wilcoxon"]["default_vs"]:
        lines.append(f"| {t['b']} | {t['pairs']} | {t['a_better']} / {t['ties']} / {t['b_better']} | "
                     f"{100 * t['mean_difference']:+.1f} pts | {_p(t)} |")
    lines += ["", "Per source family (the honest unit: the series of one family are not independent):", "",
              "| family | against | series | better / tied / worse | mean difference | p |", "|---|---|---|---|---|---|"]
    for f, tests in out["wilcoxon"]["default_vs_by_family"].items():
        for m, t in tests.items():
            lines.append(f"| {f} | {m} | {t['pairs']} | {t['a_better']} / {t['ties']} / {t['b_better']} | "
                         f"{100 * t['mean_difference']:+.1f} pts | {_p(t)} |")
    return lines + [""]


def _p(t: dict) -> str:
    return f"{t['p_value']:.2g}" if _finite(t["p_value"]) else "n/a (the same picks)"


def update_selection_doc(out: dict, path: Path) -> None:
    """Replace the block between the markers in ``docs/selection.md`` (kept as is without them)."""
    if not path.is_file():
        return
    text = path.read_text()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        path.write_text(head + selection_doc_block(out) + rest.split(END, 1)[1])


def _order(d: str) -> int:
    """The default candidates in their order, others (e.g. ``ensemble``) after them."""
    return se.DETECTORS.index(d) if d in se.DETECTORS else len(se.DETECTORS)


def halves(names: list[str]) -> tuple[list[str], list[str]]:
    """Two shards of about equal work (alternating, longest series first)."""
    size = {n: int(se.meta_of(n).get("train_rows", 0)) for n in names}
    order = sorted(names, key=lambda n: -size[n])
    return order[0::2], order[1::2]


def load_results(paths: list[Path], order: list[str]) -> tuple[dict, dict]:
    """``(results, family)``: the real series of the ``selection_evidence.py`` outputs ``paths``
    merged, in ``order`` (the shipped series, then the corpus'), and each one's source family."""
    results: dict = {}
    for part in paths:
        results.update(se._unclean(json.loads(part.read_text())["results"]))
    results = {n: results[n] for n in order if n in results and results[n].get("real", True)}
    return results, {n: results[n].get("source_family") or se.source_family(n) for n in results}


def main(argv: list[str] | None = None) -> int:
    from anogen.data import real

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    ap.add_argument("--results", type=Path, nargs="*", default=[], help="selection_evidence.py outputs to merge")
    ap.add_argument("--json", type=Path, default=ROOT / "docs" / "advice_evidence.json")
    ap.add_argument("--md", type=Path, default=ROOT / "docs" / "advice_evidence.md")
    ap.add_argument("--halves", action="store_true", help="print the two --series shards and stop")
    ap.add_argument("--note", default="", help="a line on how this run was made, for the Markdown")
    ap.add_argument("--write", action="store_true",
                    help="also write the shipped anogen/data/real/advice.json and prior.json (fitted on every series)")
    args = ap.parse_args(argv)
    corpus = se.load_corpus(args.corpus)
    shipped = real.names(real_only=True)
    if args.halves:
        for h in halves(shipped + corpus):
            print(" ".join(h))
        return 0
    results, family = load_results(args.results, shipped + corpus)
    if args.results and not results:
        ap.error("no real series in --results")
    dets = sorted({d: None for r in results.values() for d in r["real_points"]}, key=_order)
    rows, ev = per_series(results, family)
    unjudged = [n for n in results if n not in rows]
    methods = [SEL, PRIOR, GLOBAL, FIXED, BOARD, RANDOM] + ([OE] if ENSEMBLE in dets else [])
    names = list(rows)
    fams = {f: sum(1 for n in names if family[n] == f) for f in dict.fromkeys(family[n] for n in names)}
    groups = {g: sum(1 for n in names if rows[n]["group"] == g) for g in dict.fromkeys(rows[n]["group"] for n in names)}
    by_family = {f: summary(rows, methods, [n for n in names if family[n] == f]) for f in fams}
    over = {m: {k: float(np.nanmean([by_family[f][m][k] for f in fams]))
                for k in ("mean_pct_oracle", "mean_regret", "top1", "top3")} for m in methods}
    det_arg = "" if dets == se.DETECTORS else f" --detectors {' '.join(dets)}"
    shards = [f"/tmp/advice_{c}.json" for c in "ab"[:max(len(args.results), 1)]]
    commands = ["python scripts/advice_evidence.py --corpus corpus/ --halves > /tmp/advice_halves.txt",
                *[f"nohup python scripts/selection_evidence.py --corpus corpus/{det_arg} --series "
                  f"$(sed -n {i + 1}p /tmp/advice_halves.txt) --out {o} --no-prior-file > {o[:-5]}.log 2>&1 &"
                  for i, o in enumerate(shards)],
                "wait",
                "python scripts/advice_evidence.py --corpus corpus/ --results " + " ".join(shards)]
    out = {"series": len(names), "run": len(results), "unjudged": unjudged, "shipped": sum(1 for n in names if n in shipped),
           "corpus": sum(1 for n in names if n in corpus), "families": fams, "groups": groups,
           "detectors": dets, "oe": ENSEMBLE in dets, "methods": methods,
           "summary": {"all": summary(rows, methods, names), "by_family": by_family, "over_families": over,
                       "by_group": {g: summary(rows, methods, [n for n in names if rows[n]["group"] == g])
                                    for g in groups}},
           "wilcoxon": {"selection_vs": [paired(rows, SEL, m, names) for m in methods if m != SEL],
                        "selection_vs_global_best_by_family": {
                            f: paired(rows, SEL, GLOBAL, [n for n in names if family[n] == f]) for f in fams}},
           "calibration": calibration(rows, names),
           "rank_interval_coverage": coverage(results, names),
           "calibrated": calibrated(results, family, names, dets, ev),
           "trust_check": trust_check(results, rows, names),
           "per_series": rows,
           "prior_weight_by_series": {n: ev["predicted"][n]["weight"] for n in names},
           "commands": commands, "note": args.note,
           "settings": json.loads(args.results[0].read_text()).get("settings", {}) if args.results else {},
           "results": results}
    out["default"], out["recommend"] = choose_default(out["summary"]["all"])
    out["wilcoxon"]["default_vs"] = [paired(rows, out["default"], m, names) for m in methods if m != out["default"]]
    out["wilcoxon"]["default_vs_by_family"] = {
        f: {m: paired(rows, out["default"], m, [n for n in names if family[n] == f]) for m in (OE, GLOBAL)
            if m in methods and m != out["default"]} for f in fams}
    gb_all = global_best_scores(results, family, held=None)
    out["fixed_rule"] = max(gb_all, key=gb_all.get)
    reliability_plot(out["calibrated"], out["calibration"], args.md.parent / "img" / "advice_reliability.png")
    if args.write:
        write_shipped(out, ev, results)
    args.json.write_text(json.dumps(se._clean(out), indent=1) + "\n")
    update_selection_doc(out, args.md.parent / "selection.md")
    md = markdown(out)
    args.md.write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
