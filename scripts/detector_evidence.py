#!/usr/bin/env python
"""Evidence for the detector pool: real VUS-PR per candidate, by source (issue 20, item 5).

Reads the per-series results of ``python -m anogen +experiment=corpus`` runs (``<dir>/series/*.json``;
several folders are merged series by series, so a slow detector can run in a folder of its own) and
writes ``docs/detector_evidence.json`` and the section of ``docs/detectors.md`` between
``<!-- detector_evidence:begin -->`` and ``<!-- detector_evidence:end -->``:

* per candidate: mean VUS-PR by source family (NAB, UCR, MIT-BIH; NASA, UCR, GECCO of ``corpus/``)
  and overall, and the mean rank among the candidates run on every series;
* window 10 vs the train part's period for each windowed detector (``knn`` vs ``knn@period``):
  mean difference overall and per source, wins / losses / ties (a tie: the period fell back to or
  equals 10 rows, or the same VUS-PR);
* the ``ensemble``'s mean % of the pool's per-series best;
* "today's per-series best" (best of the 7 detectors of today's default pool) vs "the new pool's
  per-series best" (best of every candidate run on every series): the mean VUS-PR difference;
* anogen's candidates beside TSB-AD's leaderboard for the same algorithms (orders, not values:
  different series).

Only the shipped series marked ``real`` count as real evidence (``gutentag_ecg_diff_count_3`` is
GutenTAG's synthetic series: shown as a control, in no mean).

    python scripts/detector_evidence.py --real outputs/detector_evidence/real outputs/detector_evidence/real2 \\
        --corpus-results outputs/detector_evidence/corpus --meta outputs/detector_evidence/meta.json --write
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BEGIN, END = "<!-- detector_evidence:begin -->", "<!-- detector_evidence:end -->"
ANCHOR = "## Time series and point estimators: windows"
DOC, JSON_OUT = ROOT / "docs" / "detectors.md", ROOT / "docs" / "detector_evidence.json"
#: today's default candidate pool (before issue 20)
TODAY = ("zscore", "zscore_rolling", "iforest", "lof", "knn", "pca", "ocsvm")
#: windowed detectors whose packaged window is 10 rows, compared with their ``@period`` variant
WINDOWED = ("knn", "lof", "pca", "iforest", "ocsvm")
ENSEMBLE = "ensemble"
#: the candidate pool proposed by issue 20 (its per-series best is "the new pool's best"); other candidates
#: run (e.g. ``iforest@period``, ``kmeans@period``, ``iforest@1``) are ranked but are not in the pool
NEW_POOL = TODAY + ("ensemble", "knn@period", "lof@period", "pca@period", "poly", "sr", "kmeans", "mp")
#: TSB-AD's leaderboard (NeurIPS 2024 D&B), mean VUS-PR over the 350 univariate series of TSB-AD-U's
#: evaluation set: github.com/TheDatumOrg/TSB-AD, docs/static/leaderboard/TSB-AD-U.html (commit
#: c79c799, 2024-11-21; unchanged at 8763009, 2025-10-26), the project's leaderboard page.
TSB_AD = {"Sub-PCA": 0.42, "KShapeAD": 0.40, "POLY": 0.39, "Series2Graph": 0.39, "KMeansAD": 0.37,
          "Sub-KNN": 0.35, "MatrixProfile": 0.35, "CNN": 0.34, "LSTMAD": 0.33, "SR": 0.32, "IForest": 0.30,
          "Sub-LOF": 0.25, "Sub-OCSVM": 0.23, "Sub-IForest": 0.22, "LOF": 0.17,
          # USAD: the mean of TSB-AD's per-series table (uni_mergedTable_VUS-PR.csv, 350 series), where
          # the other algorithms' means equal the leaderboard's values above to 2 decimals
          "USAD": 0.36}
#: TSB-AD algorithm -> anogen candidate (first one present is used). TSB-AD's Sub-* run the point
#: detector on sliding windows of the series' period (find_length), so they match ``NAME@period``;
#: its IForest and LOF score single points, so they match ``NAME@1``; KMeansAD's window is the period.
TSB_MATCH = {"Sub-PCA": ("pca@period",), "POLY": ("poly",), "KMeansAD": ("kmeans@period", "kmeans"),
             "Sub-KNN": ("knn@period",), "MatrixProfile": ("mp",), "SR": ("sr",), "IForest": ("iforest@1",),
             "Sub-LOF": ("lof@period",), "Sub-OCSVM": ("ocsvm@period",), "Sub-IForest": ("iforest@period",),
             "LOF": ("lof@1",), "CNN": ("cnn",), "LSTMAD": ("lstmad",), "USAD": ("usad",)}
NOT_IN_ANOGEN = ("KShapeAD", "Series2Graph")
SHIPPED_FAMILIES = ("NAB", "UCR", "MIT-BIH")
CORPUS_FAMILIES = ("NASA", "UCR (corpus)", "GECCO")


# ---- reading ------------------------------------------------------------------------------------
def read_runs(dirs: Sequence[str | Path]) -> dict[str, dict]:
    """``{series: {"vus": {detector: VUS-PR or nan}, "seconds": {run: s}, "rows": n, ...}}`` merged over
    the corpus folders (a series must be ``ok`` in a folder to count from it)."""
    out: dict[str, dict] = {}
    for d in dirs:
        for p in sorted((Path(d) / "series").glob("*.json")):
            rec = json.loads(p.read_text(encoding="utf-8"))
            if rec.get("status") != "ok":
                continue
            e = out.setdefault(rec["series"], {"vus": {}, "seconds": {}, "errors": {},
                                               "rows": rec.get("rows"),
                                               "first_label": int(rec.get("train_rows", 0))
                                               + int(rec.get("labelled_train_rows_left_out", 0))})
            e["seconds"][str(d)] = float(rec.get("seconds") or 0.0)
            for det, r in rec["detectors"].items():
                v = (r.get("metrics") or {}).get("vus_pr")
                e["vus"][det] = float(v) if v is not None and np.isfinite(v) else float("nan")
                if r.get("error"):
                    e["errors"][det] = r["error"]
    return out


def failed_series(dirs: Sequence[str | Path]) -> dict[str, str]:
    """``{series: error}`` of the series a corpus run could not score (e.g. every test row labelled)."""
    out = {}
    for d in dirs:
        summary = Path(d) / "corpus.json"
        if summary.is_file():
            out.update(json.loads(summary.read_text(encoding="utf-8")).get("failed_series") or {})
    return out


def shipped_family(name: str, prov: Mapping[str, dict]) -> tuple[str, bool]:
    """The source family of a shipped series and whether it is real."""
    p = prov.get(name, {})
    g = str(p.get("group", ""))
    fam = "NAB" if g.startswith("NAB") else "UCR" if g.startswith("UCR") else g or name
    return fam, bool(p.get("real", True))


def corpus_family(name: str, prov: Mapping[str, dict]) -> str:
    g = str(prov.get(name, {}).get("source_family", name))
    return "NASA" if g.startswith("NASA") else "UCR (corpus)" if g.startswith("UCR") else \
        "GECCO" if g.startswith("GECCO") else g


def period_windows(names: Sequence[str], folder: str | None = None) -> dict[str, int]:
    """The window ``NAME@period`` resolves to on each series' train part (as the corpus job sees it)."""
    from anogen.data.labelled import SeriesRef, load_series
    from anogen.data.period import period_window
    from anogen.jobs.corpus import series_fold

    logging.getLogger("anogen").setLevel(logging.WARNING)
    out = {}
    for n in names:
        if folder is None:
            ref, kw = SeriesRef(n), {}
        else:
            f = next(p for p in Path(folder).iterdir() if p.name.split(".")[0] == n)
            ref, kw = SeriesRef(n, str(f)), {"label": "is_anomaly", "key": "index"}
        s = load_series(ref, **kw)
        out[n] = int(period_window(series_fold(s).train))
    return out


# ---- tables (pure functions of {series: {detector: vus}}) -----------------------------------------
def complete(vus: Mapping[str, Mapping[str, float]], order: Sequence[str]) -> list[str]:
    """The candidates of ``order`` present (run, failed or not) on every series."""
    return [d for d in order if all(d in v for v in vus.values())]


def ranks(vus: Mapping[str, Mapping[str, float]], pool: Sequence[str]) -> dict[str, float]:
    """Mean rank (1 = best VUS-PR, ties share the mean rank, a failure ranks last) per candidate."""
    if not vus or not pool:
        return {}
    m = np.array([[vus[s].get(d, np.nan) for d in pool] for s in vus], dtype=float)
    m = np.where(np.isfinite(m), m, -np.inf)
    r = np.zeros_like(m)
    for i, row in enumerate(m):
        order = (-row).argsort(kind="stable")
        sorted_vals = -np.sort(-row)
        ranks_row = np.empty(len(row))
        j = 0
        while j < len(row):
            k = j
            while k + 1 < len(row) and sorted_vals[k + 1] == sorted_vals[j]:
                k += 1
            ranks_row[order[j:k + 1]] = (j + k) / 2 + 1
            j = k + 1
        r[i] = ranks_row
    return dict(zip(pool, r.mean(axis=0).tolist()))


def mean_of(vus: Mapping[str, Mapping[str, float]], det: str) -> float:
    vals = [v[det] for v in vus.values() if det in v and np.isfinite(v[det])]
    return float(np.mean(vals)) if vals else float("nan")


def best_of(v: Mapping[str, float], pool: Sequence[str]) -> float:
    vals = [v[d] for d in pool if d in v and np.isfinite(v[d])]
    return max(vals) if vals else float("nan")


def pct_of_best(vus: Mapping[str, Mapping[str, float]], who: str, pool: Sequence[str]) -> dict:
    """``who``'s VUS-PR as a % of the pool's per-series best: mean and median over the series, and
    on how many series ``who`` is the best (ties included) or >= 85% of it."""
    pct = []
    for v in vus.values():
        b = best_of(v, pool)
        if np.isfinite(b) and b > 0:
            x = v.get(who, np.nan)
            pct.append(100.0 * (x if np.isfinite(x) else 0.0) / b)
    p = np.array(pct)
    return {"mean_pct": float(p.mean()) if p.size else float("nan"),
            "median_pct": float(np.median(p)) if p.size else float("nan"),
            "best_on": int(np.sum(p >= 100.0 - 1e-9)), "at_least_85_on": int(np.sum(p >= 85.0)), "series": int(p.size)}


def best_gain(vus: Mapping[str, Mapping[str, float]], old: Sequence[str], new: Sequence[str]) -> dict:
    """Mean per-series best of the ``old`` pool, of the ``new`` pool, their difference and on how many
    series the new pool's best is higher."""
    a = np.array([best_of(v, old) for v in vus.values()])
    b = np.array([best_of(v, new) for v in vus.values()])
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    return {"old_best": float(a.mean()) if a.size else float("nan"),
            "new_best": float(b.mean()) if b.size else float("nan"),
            "gain": float((b - a).mean()) if a.size else float("nan"),
            "higher_on": int(np.sum(b > a + 1e-12)), "series": int(a.size)}


def window_pair(vus: Mapping[str, Mapping[str, float]], base: str, variant: str) -> dict:
    """``variant`` minus ``base`` per series: mean difference, wins / losses / ties."""
    d = np.array([v[variant] - v[base] for v in vus.values()
                  if base in v and variant in v and np.isfinite(v[base]) and np.isfinite(v[variant])])
    return {"base_mean": mean_of(vus, base), "variant_mean": mean_of(vus, variant),
            "diff": float(d.mean()) if d.size else float("nan"),
            "wins": int(np.sum(d > 1e-9)), "losses": int(np.sum(d < -1e-9)),
            "ties": int(np.sum(np.abs(d) <= 1e-9)), "series": int(d.size)}


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    ra = np.argsort(np.argsort(-np.asarray(a, float))).astype(float)
    rb = np.argsort(np.argsort(-np.asarray(b, float))).astype(float)
    if len(ra) < 3:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def by_family(vus: Mapping[str, Mapping[str, float]], fam: Mapping[str, str]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for s, v in vus.items():
        out.setdefault(fam[s], {})[s] = v
    return out


# ---- the evidence ---------------------------------------------------------------------------------
def evidence(vus: Mapping[str, Mapping[str, float]], fam: Mapping[str, str], families: Sequence[str],
             order: Sequence[str]) -> dict:
    """Every table for one set of series (``vus``), grouped by ``families``."""
    groups = by_family(vus, fam)
    ranked = complete(vus, order)
    partial = [d for d in order if d not in ranked and any(d in v for v in vus.values())]
    pool = [d for d in NEW_POOL if d in ranked]
    rk = ranks(vus, ranked)
    cand = []
    for d in ranked + partial:
        row = {"detector": d, "mean": mean_of(vus, d), "mean_rank": rk.get(d),
               "series": int(sum(d in v and np.isfinite(v[d]) for v in vus.values())),
               "by_family": {f: mean_of(groups.get(f, {}), d) for f in families}}
        cand.append(row)
    cand.sort(key=lambda r: (r["mean_rank"] is None, r["mean_rank"] or 0, -r["mean"]))
    windows = []
    for b in WINDOWED:
        if b in ranked and f"{b}@period" in ranked:
            w = window_pair(vus, b, f"{b}@period")
            w["detector"] = b
            w["by_family"] = {f: window_pair(groups.get(f, {}), b, f"{b}@period")["diff"] for f in families}
            windows.append(w)
    today = [d for d in TODAY if d in pool]
    out = {"series": len(vus), "families": {f: len(groups.get(f, {})) for f in families},
           "ranked": ranked, "pool": pool, "pool_missing": [d for d in NEW_POOL if d not in ranked], "partial": partial, "today": today, "candidates": cand, "windows": windows,
           "gain": best_gain(vus, today, pool),
           "gain_by_family": {f: best_gain(groups.get(f, {}), today, pool) for f in families},
           "gain_all_ranked": best_gain(vus, today, ranked)}
    if ENSEMBLE in pool:
        out["ensemble"] = pct_of_best(vus, ENSEMBLE, pool)
        out["ensemble_by_family"] = {f: pct_of_best(groups.get(f, {}), ENSEMBLE, pool) for f in families}
        out["ensemble_of_today"] = pct_of_best(vus, ENSEMBLE, today)
        out["best_single"] = max(({"detector": r["detector"], **pct_of_best(vus, r["detector"], pool)}
                                  for r in cand if r["detector"] in pool), key=lambda r: r["mean_pct"])
        out["ensemble_of_all_ranked"] = pct_of_best(vus, ENSEMBLE, ranked)
    return out


def failures(runs: Mapping[str, dict], names: Sequence[str]) -> dict[str, dict[str, str]]:
    """``{series: {detector: error}}`` of the detectors that failed on a series (they rank last there)."""
    return {s: dict(runs[s]["errors"]) for s in sorted(names) if runs[s]["errors"]}


def tsb_table(vus: Mapping[str, Mapping[str, float]]) -> dict:
    """anogen's matched candidates beside TSB-AD's leaderboard: both orders and their Spearman."""
    rows = []
    for algo, names in TSB_MATCH.items():
        name = next((n for n in names if any(n in v for v in vus.values())), None)
        if name is None:
            continue
        rows.append({"tsb_ad": algo, "tsb_ad_vus_pr": TSB_AD[algo], "anogen": name, "anogen_vus_pr": mean_of(vus, name)})
    for key, rank_key in (("tsb_ad_vus_pr", "tsb_ad_rank"), ("anogen_vus_pr", "anogen_rank")):
        vals = np.array([r[key] for r in rows])
        for r in rows:
            r[rank_key] = int(1 + np.sum(vals > r[key] + 1e-12))
    rows.sort(key=lambda r: (r["tsb_ad_rank"], r["anogen_rank"]))
    return {"rows": rows, "spearman": spearman([r["tsb_ad_vus_pr"] for r in rows], [r["anogen_vus_pr"] for r in rows]),
            "not_in_anogen": {a: TSB_AD[a] for a in NOT_IN_ANOGEN}}


def tsb_overlap(runs: Mapping[str, dict], vus: Mapping[str, Mapping[str, float]], csv_path: str | Path) -> dict:
    """The shipped NAB series that are also in TSB-AD-U's evaluation set (same length within 2 rows and the
    same first anomalous row, from TSB-AD's file name ``..._1st_N``), with TSB-AD's per-series VUS-PR
    (``benchmark_exp/benchmark_eval_results/uni_mergedTable_VUS-PR.csv``) beside anogen's."""
    import pandas as pd

    t = pd.read_csv(csv_path)
    t = t[t["file"].str.contains("_NAB_")]
    first = t["file"].str.extract(r"_1st_(\d+)", expand=False).astype(int)
    match = {}
    for s in sorted(vus):
        if not s.startswith("nab_"):
            continue
        r = runs[s]
        m = t[(first == r["first_label"]) & ((t["ts_len"] - r["rows"]).abs() <= 2)]
        if len(m) == 1:
            match[s] = m.iloc[0]
    rows = []
    for algo, names in TSB_MATCH.items():
        name = next((n for n in names if all(n in vus[s] for s in match)), None)
        if name is None or algo not in t.columns or not match:
            continue
        rows.append({"tsb_ad": algo, "anogen": name,
                     "tsb_ad_vus_pr": float(np.mean([float(match[s][algo]) for s in match])),
                     "anogen_vus_pr": float(np.mean([vus[s][name] for s in match]))})
    for key, rank_key in (("tsb_ad_vus_pr", "tsb_ad_rank"), ("anogen_vus_pr", "anogen_rank")):
        vals = np.array([r[key] for r in rows])
        for r in rows:
            r[rank_key] = int(1 + np.sum(vals > r[key] + 1e-12))
    rows.sort(key=lambda r: (r["tsb_ad_rank"], r["anogen_rank"]))
    return {"series": {s: str(m["file"]) for s, m in match.items()}, "rows": rows,
            "spearman": spearman([r["tsb_ad_vus_pr"] for r in rows], [r["anogen_vus_pr"] for r in rows])}


# ---- markdown -------------------------------------------------------------------------------------
def _f(x, nd=3) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.{nd}f}"


def _s(x, nd=3) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:+.{nd}f}"


def md_set(title: str, ev: dict, families: Sequence[str], control: Mapping[str, float] | None = None) -> list[str]:
    fams = [f for f in families if ev["families"].get(f)]
    counts = ", ".join(f"{f} {ev['families'][f]}" for f in fams)
    L = [f"### {title}: {ev['series']} series ({counts})", ""]
    head = "| candidate | " + " | ".join(f"{f} ({ev['families'][f]})" for f in fams) + \
        " | **all** | mean rank | series |" + (" GutenTAG (synthetic control) |" if control is not None else "")
    L += [head, "|" + "---|" * (len(fams) + 4 + (control is not None))]
    for r in ev["candidates"]:
        d = r["detector"]
        name = f"`{d}`" + (" *(today)*" if d in TODAY else " *(new pool)*" if d in ev["pool"] else "")
        cells = [_f(r["by_family"][f]) for f in fams]
        rank = _f(r["mean_rank"], 2) if r["mean_rank"] is not None else "(not on all)"
        row = f"| {name} | " + " | ".join(cells) + f" | **{_f(r['mean'])}** | {rank} | {r['series']} |"
        if control is not None:
            row += f" {_f(control.get(r['detector']))} |"
        L.append(row)
    L += ["", (f"Mean rank among the {len(ev['ranked'])} candidates run on every series (1 = best; a failure "
          "ranks last). *(today)*: today's default pool; *(new pool)*: added by the pool issue 20 proposes; "
          "the rest were run for the window and TSB-AD comparisons.")]
    if ev["windows"]:
        L += ["", ("Window 10 rows vs the train part's period (`NAME@period` minus `NAME`; a tie: same VUS-PR, "
              "mostly where the period fell back to 10 rows or was clipped to it):"), "",
              "| detector | window 10 | period | difference | " + " | ".join(fams) + " | wins / losses / ties |",
              "|" + "---|" * (5 + len(fams))]
        for w in ev["windows"]:
            L.append(f"| `{w['detector']}` | {_f(w['base_mean'])} | {_f(w['variant_mean'])} | **{_s(w['diff'])}** | "
                     + " | ".join(_s(w["by_family"][f]) for f in fams) + f" | {w['wins']} / {w['losses']} / {w['ties']} |")
    g = ev["gain"]
    L += ["", f"Per-series best: today's pool ({len(ev['today'])}: {', '.join(ev['today'])}) **{_f(g['old_best'])}**, "
          f"the new pool ({len(ev['pool'])}: today's + {', '.join(d for d in ev['pool'] if d not in TODAY)}) **{_f(g['new_best'])}**: "
          f"**{_s(g['gain'])}** mean VUS-PR (higher on {g['higher_on']} of {g['series']} series; by source: "
          + ", ".join(f"{f} {_s(ev['gain_by_family'][f]['gain'])}" for f in fams) + f"); over all {len(ev['ranked'])} "
          f"candidates run {_s(ev['gain_all_ranked']['gain'])}. An oracle's best grows with the number of candidates "
          "it picks from, so this is an upper bound on what choosing from the bigger pool can give."]
    if "ensemble" in ev:
        e, t, b = ev["ensemble"], ev["ensemble_of_today"], ev["best_single"]
        L += ["", f"`ensemble`: **{_f(e['mean_pct'], 1)}%** of the new pool's per-series best on average "
              f"(median {_f(e['median_pct'], 1)}%; the best on {e['best_on']}, >= 85% on {e['at_least_85_on']} of "
              f"{e['series']} series; by source: " + ", ".join(f"{f} {_f(ev['ensemble_by_family'][f]['mean_pct'], 1)}%" for f in fams)
              + f"), {_f(t['mean_pct'], 1)}% of today's pool's best, {_f(ev['ensemble_of_all_ranked']['mean_pct'], 1)}% "
              f"of the best of all {len(ev['ranked'])} candidates run; the pool's candidate with the highest mean % "
              f"is `{b['detector']}` ({_f(b['mean_pct'], 1)}%)."]
    for s, errs in (ev.get("failures") or {}).items():
        first = next(iter(errs.values())).split(": ", 1)[-1]
        L += ["", f"Failed on `{s}` (ranked last there, left out of the means: the `series` column): "
              + ", ".join(f"`{d}`" for d in errs) + f" (e.g. {first})."]
    if ev["partial"]:
        L += ["", "Not on every series (left out of the ranks and the pool): " + ", ".join(f"`{d}`" for d in ev["partial"]) + "."]
    return L


def markdown(doc: dict) -> str:
    L = [BEGIN, "", "## Evidence: VUS-PR on real labelled series (issue 20)", "",
         ("Generated by `scripts/detector_evidence.py` from `+experiment=corpus` runs (numbers: "
         "`docs/detector_evidence.json`). Each detector is fitted on a series' clean train part and scored on "
         "its labelled test part; the window variants resolve per series (`@period`: the train part's "
         "dominant period, 10 rows when it has none, at most 500 and a quarter of the train rows)."), ""]
    meta = doc.get("meta") or {}
    if meta:
        L += [f"Runs: {meta.get('date', '')}; {meta.get('machine', '')}. One process at a time:", ""]
        for r in meta.get("runs", []):
            L += [f"- {r.get('what', '')}: {r.get('wall_s', 'n/a')} s wall, {r.get('cpu_s', 'n/a')} s CPU"
                  + (f"; {r['note']}" if r.get("note") else ""), "", "  ```bash", f"  {r['command']}", "  ```", ""]
        if meta.get("evidence_command"):
            L += ["The tables:", "", "```bash", meta["evidence_command"], "```", ""]
    sh = doc["shipped"]
    L += md_set("Shipped real series", sh, SHIPPED_FAMILIES, doc.get("control") or None)
    w = sh.get("windows_resolved")
    if w:
        L += ["", (f"The period windows on these series: {w['fallback_or_10']} of {w['series']} at 10 rows "
              f"(no clear period, or a period of 10), median {w['median']} rows, range {w['min']}-{w['max']}.")]
    if doc.get("failed"):
        L += ["", "Not scored: " + "; ".join(f"`{k}` ({v.split(':')[0]})" for k, v in doc["failed"].items())
              + " (VUS-PR is undefined there)."]
    if doc.get("corpus"):
        L += [""] + md_set("Evidence corpus (`corpus/`)", doc["corpus"], CORPUS_FAMILIES)
    t = doc["targets"]
    L += ["", "### The issue's targets (shipped real series)", "",
          (f"- The new pool's per-series best exceeds today's by >= 0.05 mean VUS-PR: **{_s(t['gain'])}**: "
          f"**{'met' if t['gain_met'] else 'not met'}**."),
          (f"- The ensemble reaches >= 85% of the pool's per-series best on average: **{_f(t['ensemble_pct'], 1)}%**: "
          f"**{'met' if t['ensemble_met'] else 'not met'}**.")]
    tb = doc["tsb_ad"]
    L += ["", "### Beside TSB-AD's leaderboard (orders, not values)", "",
          ("TSB-AD (Liu & Paparrizos, NeurIPS 2024 D&B) mean VUS-PR over the 350 univariate series of its evaluation "
          "set, from its leaderboard (github.com/TheDatumOrg/TSB-AD, `docs/static/leaderboard/TSB-AD-U.html`); "
          "anogen's mean over the shipped real series above. Compare the orders, not the values: other series, "
          "TSB-AD's tuned hyper-parameters vs anogen's packaged ones, and TSB-AD runs every algorithm here but "
          "Sub-OCSVM unsupervised on the whole series (`TSB_AD/model_wrapper.py`: anomalies included in what it "
          "learns from) where anogen fits each on the clean train part. TSB-AD's Sub-* slide the point detector "
          "over windows of the series' period (`@period` here); its IForest and LOF score single rows (`@1`)."), "",
          "| TSB-AD algorithm | TSB-AD VUS-PR | TSB-AD rank | anogen candidate | anogen VUS-PR | anogen rank |",
          "|---|---|---|---|---|---|"]
    for r in tb["rows"]:
        L.append(f"| {r['tsb_ad']} | {r['tsb_ad_vus_pr']:.2f} | {r['tsb_ad_rank']} | `{r['anogen']}` | "
                 f"{_f(r['anogen_vus_pr'])} | {r['anogen_rank']} |")
    L += ["", f"Spearman between the two orders: {_f(tb['spearman'], 2)} ({len(tb['rows'])} algorithms). Not in anogen: "
          + ", ".join(f"{k} {v:.2f}" for k, v in tb["not_in_anogen"].items()) + "."]
    ov = doc.get("tsb_ad_overlap")
    if ov and ov["rows"]:
        L += ["", (f"**The same series.** {len(ov['series'])} of the shipped NAB series are in TSB-AD-U's evaluation set "
              "(same recording: same length within 2 rows and the same first anomalous row; labels not compared row by "
              "row). TSB-AD's own per-series VUS-PR on them (`benchmark_exp/benchmark_eval_results/"
              "uni_mergedTable_VUS-PR.csv`, tuned hyper-parameters, whole series) beside anogen's:"), "",
              "| TSB-AD algorithm | TSB-AD VUS-PR | TSB-AD rank | anogen candidate | anogen VUS-PR | anogen rank |",
              "|---|---|---|---|---|---|"]
        for r in ov["rows"]:
            L.append(f"| {r['tsb_ad']} | {r['tsb_ad_vus_pr']:.3f} | {r['tsb_ad_rank']} | `{r['anogen']}` | "
                     f"{_f(r['anogen_vus_pr'])} | {r['anogen_rank']} |")
        L += ["", f"Spearman between the two orders on the same {len(ov['series'])} series: {_f(ov['spearman'], 2)}."]
    L += ["", END]
    return "\n".join(L)


def jsonable(x):
    """NaN -> None (strict JSON), numpy scalars -> Python."""
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, (float, np.floating)):
        return None if not np.isfinite(x) else float(x)
    if isinstance(x, np.integer):
        return int(x)
    return x


def write_doc(md: str, path: Path = DOC) -> None:
    text = path.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        a, b = text.index(BEGIN), text.index(END) + len(END)
        text = text[:a] + md + text[b:]
    elif ANCHOR in text:   # first time: before the section on windows of point estimators
        a = text.index(ANCHOR)
        text = text[:a] + md + "\n\n" + text[a:]
    else:
        text = text.rstrip("\n") + "\n\n" + md + "\n"
    path.write_text(text, encoding="utf-8")


def build(real_dirs: Sequence[str], corpus_dirs: Sequence[str], corpus_folder: str, meta: dict | None,
          windows: bool = True, tsb_csv: str | None = None) -> dict:
    prov = json.loads((ROOT / "anogen" / "data" / "real" / "provenance.json").read_text(encoding="utf-8"))
    runs = read_runs(real_dirs)
    order = list(dict.fromkeys(d for r in runs.values() for d in r["vus"]))
    fam, control = {}, {}
    vus = {}
    for s, r in runs.items():
        f, real = shipped_family(s, prov)
        if real:
            fam[s], vus[s] = f, r["vus"]
        else:
            control = r["vus"]
    doc = {"meta": meta or {}, "order": order, "shipped": evidence(vus, fam, SHIPPED_FAMILIES, order),
           "control": control, "failed": failed_series(real_dirs), "per_series": {s: vus[s] for s in sorted(vus)},
           "families": fam}
    doc["shipped"]["failures"] = failures(runs, list(vus))
    if windows:
        w = period_windows(sorted(vus))
        v = np.array(list(w.values()))
        doc["shipped"]["windows_resolved"] = {"series": int(v.size), "fallback_or_10": int(np.sum(v == 10)),
                                              "median": int(np.median(v)), "min": int(v.min()), "max": int(v.max()),
                                              "per_series": w}
    if corpus_dirs:
        cprov = json.loads((Path(corpus_folder) / "provenance.json").read_text(encoding="utf-8"))
        cprov = cprov if isinstance(cprov, dict) else {p["name"]: p for p in cprov}
        cruns = read_runs(corpus_dirs)
        cvus = {s: r["vus"] for s, r in cruns.items()}
        cfam = {s: corpus_family(s, cprov) for s in cvus}
        corder = list(dict.fromkeys(d for r in cruns.values() for d in r["vus"]))
        doc["corpus"] = evidence(cvus, cfam, CORPUS_FAMILIES, corder)
        doc["corpus"]["failures"] = failures(cruns, list(cvus))
        doc["corpus_per_series"] = {s: cvus[s] for s in sorted(cvus)}
        doc["corpus_failed"] = failed_series(corpus_dirs)
    sh = doc["shipped"]
    doc["targets"] = {"gain": sh["gain"]["gain"], "gain_met": bool(sh["gain"]["gain"] >= 0.05),
                      "ensemble_pct": sh.get("ensemble", {}).get("mean_pct", float("nan")),
                      "ensemble_met": bool(sh.get("ensemble", {}).get("mean_pct", 0) >= 85.0)}
    doc["tsb_ad"] = tsb_table(vus)
    if tsb_csv:
        doc["tsb_ad_overlap"] = tsb_overlap(runs, vus, tsb_csv)
    return doc


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--real", nargs="+", required=True, help="corpus folders of runs on the shipped series")
    ap.add_argument("--corpus-results", nargs="*", default=[], help="corpus folders of runs on corpus/")
    ap.add_argument("--corpus-folder", default=str(ROOT / "corpus"))
    ap.add_argument("--meta", help="a JSON file: date, machine, runs [{what, command, wall_s, note}]")
    ap.add_argument("--tsb-ad-csv", help="TSB-AD's benchmark_exp/benchmark_eval_results/uni_mergedTable_VUS-PR.csv "
                    "(git show of its repository): adds the same-series comparison")
    ap.add_argument("--write", action="store_true", help="write docs/detector_evidence.json and docs/detectors.md")
    a = ap.parse_args(argv)
    meta = json.loads(Path(a.meta).read_text(encoding="utf-8")) if a.meta else None
    doc = build(a.real, a.corpus_results, a.corpus_folder, meta, tsb_csv=a.tsb_ad_csv)
    md = markdown(doc)
    if a.write:
        JSON_OUT.write_text(json.dumps(jsonable(doc), indent=1, allow_nan=False) + "\n", encoding="utf-8")
        write_doc(md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
