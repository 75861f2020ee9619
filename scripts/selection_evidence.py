#!/usr/bin/env python
"""Does the selection predict the real ranking? The evidence table of ``docs/selection.md``.

For each labelled series shipped in ``anogen/data/real`` (train part clean, test part labelled):

1. **selection**: :func:`anogen.jobs.select.run_selection` exactly as the job runs it (the battery
   goes into a held-out tail of the clean train rows; detectors are fitted once on the rest);
   its ranking is compared with the **real ranking** (the same fitted detectors on the labelled
   test part; Borda over VUS-PR and range-F1), with the prior off and with the prior on.
2. **fixed ranking** baseline: each detector's mean real Borda points on the *other* real series
   (the prior voter's points: recordings only, never the GutenTAG control).
3. **leaderboard** baseline: today's ``+experiment=benchmark`` (its three samplers, 3 seeds,
   plain mean over samplers of each metric, then the mean of the metrics), on the same clean rows.

The prior's weight for a held-out series is chosen by leave-one-series-out on the *other* series
only (nested), so no series' own labels choose its weight; the weight written to
``anogen/data/real/prior.json`` (used by the job) is chosen on all series.

    python scripts/selection_evidence.py            # all series, writes docs/selection_evidence.json
    python scripts/selection_evidence.py --quick    # 1 seed, 2 levels, 50 bootstrap resamples (a smoke run)
    python scripts/selection_evidence.py --corpus corpus/ --no-prior-file --out /tmp/x.json
        # also the evidence corpus (``corpus/provenance.json``: train part = its first ``train_rows``
        # rows, test part the rest with its labels); ``scripts/advice_evidence.py`` judges the advice
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DETECTORS = ["zscore", "zscore_rolling", "iforest", "lof", "knn", "pca", "ocsvm"]
METRICS = ("vus_pr", "range_f1")
BENCH_SAMPLERS = ("noise_points", "noise_waves", "typed")
ROWS_DIR: Path | None = None
#: the evidence corpus outside the package (``--corpus``): ``{name: provenance record}``, and its folder
CORPUS: dict[str, dict] = {}
CORPUS_DIR: Path | None = None
#: the source family of a shipped series without a ``source_family`` record, by its group's name:
#: NAB's categories are one source, and the shipped UCR InternalBleeding records come from the
#: same archive as the corpus' UCR series (``corpus/README.md``)
FAMILY_OF_GROUP = (("NAB", "NAB"), ("UCR", "UCR Anomaly Archive"))


def load_corpus(folder: Path) -> list[str]:
    """Register the labelled series of an evidence corpus (its ``provenance.json``); returns their names."""
    global CORPUS_DIR
    CORPUS_DIR = Path(folder)
    prov = json.loads((CORPUS_DIR / "provenance.json").read_text())
    CORPUS.update({n: {**m, "name": n} for n, m in prov.items() if m.get("mode", "series") == "series"})
    return [n for n in prov if n in CORPUS]


def meta_of(name: str) -> dict:
    """A series' provenance record (the corpus' or the shipped one)."""
    from anogen.data import real

    return dict(CORPUS[name]) if name in CORPUS else real.provenance(name)


def source_family(name: str) -> str:
    """The held-out unit of leave-one-source-out: ``source_family`` when recorded, else the group
    (NAB's categories as one source, UCR as the UCR Anomaly Archive)."""
    m = meta_of(name)
    if m.get("source_family"):
        return str(m["source_family"])
    group = str(m.get("group", name))
    return next((fam for prefix, fam in FAMILY_OF_GROUP if group.startswith(prefix)), group)


def load_series(name: str):
    """A shipped series (:func:`anogen.data.real.load`) or a corpus series as a
    :class:`~anogen.data.real.RealSeries` (every column but ``index`` and ``is_anomaly``: ``value``, or
    several sensors for a multivariate series; labels ``is_anomaly``)."""
    from anogen.data import real

    if name not in CORPUS:
        return real.load(name)
    import pandas as pd

    from anogen.types import AnogenError

    meta = CORPUS[name]
    df = pd.read_csv(CORPUS_DIR / meta["file"])
    labels = df["is_anomaly"].to_numpy().astype(bool)
    n_train = int(meta["train_rows"])
    if labels[:n_train].any() or not labels[n_train:].any():
        raise AnogenError(f"{meta['file']}: labels must lie in the test part (rows >= {n_train})")
    cols = tuple(c for c in df.columns if c not in ("index", "is_anomaly"))   # ("value",) or several sensors
    return real.RealSeries(name, cols, df[list(cols)].to_numpy(np.float64), labels, n_train, meta)


def _components(metrics=METRICS):
    from anogen.api import load_component_config
    from anogen.config import build, build_group

    from anogen.detectors.base import build_detector

    # NAME@WINDOW candidates (knn@period) as the API's detectors=[...] lists build them
    dets = {n: build_detector(n) if "@" in n else build(load_component_config("detectors", n), f"detectors.{n}")
            for n in DETECTORS}
    mets = build_group({**load_component_config("metrics", "vus", whole=True),
                        **load_component_config("metrics", "range", whole=True),
                        **load_component_config("metrics", "threshold_free", whole=True)}, "metrics")
    thr = build(load_component_config("threshold", "percentile"), "threshold")
    return dets, {m: mets[m] for m in metrics}, thr


def _fold(series):
    from anogen.data.split import segments_of
    from anogen.types import Fold

    n = series.train_rows
    idx = np.arange(len(series.values))
    return Fold(0, series.columns, series.train, series.test, idx[:n], idx[n:], segments_of(np.ones(n, bool)))


def _leaderboard(fold, dets, mets, thr, settings, metrics=METRICS) -> dict[str, float]:
    """Today's benchmark leaderboard on the battery's clean rows: mean over samplers, then over metrics."""
    from omegaconf import OmegaConf

    from anogen.config import build
    from anogen.benchmarking import leaderboard, run_benchmark
    from anogen.selection.cases import battery_split

    node = OmegaConf.to_container(OmegaConf.load(ROOT / "anogen/conf/experiment/benchmark.yaml"))["benchmark"]
    samplers = {k: build(node["samplers"][k], f"benchmark.samplers.{k}") for k in BENCH_SAMPLERS}
    res = run_benchmark([battery_split(fold, settings.battery_fraction)], samplers, dets, mets, thr,
                        seeds=node["seeds"], keep_traces=False)
    lb = leaderboard(res.rows).set_index("detector")
    return {d: float(np.nanmean([lb.loc[d, m] for m in metrics])) for d in dets}


def run_series(name: str, settings, quick: bool) -> dict:
    from anogen.selection.candidates import for_rows
    from anogen.selection.run import run_selection

    from dataclasses import replace

    from anogen.selection.consensus import summarize

    from anogen.selection.candidates import window_variants

    s = load_series(name)
    dets, mets, thr = _components(settings.voters)
    fold = _fold(s)
    # window variants are candidates of the selection *and* of the leaderboard baseline
    from anogen.selection.candidates import with_period_variants

    dets = with_period_variants(dets, settings.period_variants if settings.mode == "series" else [])
    dets, _ = window_variants(dets, settings.windows, fold.train, settings.max_window_values)
    settings = replace(settings, windows=[])
    t0, c0 = time.perf_counter(), time.process_time()
    with_c = run_selection([fold], dets, mets, thr, replace(settings, surrogates=["centrality"]),
                           labels_for=lambda f: s.test_labels, prior=None)
    # the same battery rows without the surrogate voter (the job's default)
    sel = summarize(with_c.rows, list(dets), settings.voters, trim=settings.trim, n_boot=settings.bootstrap,
                    balance=settings.balance, min_spread=settings.min_spread, prior=None, seed=0,
                    aggregate=settings.aggregate)
    sel.real = with_c.real
    if ROWS_DIR is not None:  # the raw battery rows and real scores, for re-aggregation studies
        with_c.rows.to_csv(ROWS_DIR / f"{name}_rows.csv", index=False)
    cen = with_c.surrogates.set_index("voter")[list(dets)].iloc[0]
    other = summarize(with_c.rows, list(dets), settings.voters, trim=settings.trim, n_boot=0,
                      balance=settings.balance, min_spread=settings.min_spread, prior=None, seed=0,
                      aggregate="borda" if settings.aggregate == "mean" else "mean")
    # the same battery, aggregated by metric values instead of ranks (family-weighted mean over the
    # informative voters): what a plain mean leaderboard would say about the battery
    info = sel.voters[sel.voters["informative"]]
    vals = []
    for _, v in info.iterrows():
        row = with_c.rows[with_c.rows["cell"] == v["cell"]].set_index("detector")[v["metric"]]
        vals.append(row.reindex(list(dets)).to_numpy(np.float64) * v["weight"])
    battery_mean = np.nansum(vals, axis=0) / info["weight"].sum()
    out = {"name": name, "real": bool(s.meta["real"]), "synthetic": _points(sel),
           "with_centrality": _points(with_c),
           "centrality": {d: float(v) for d, v in cen.items()},
           "aggregate": settings.aggregate,
           f"synthetic_{settings.aggregate}": _points(sel),   # both aggregates, for the evidence's columns
           f"synthetic_{'borda' if settings.aggregate == 'mean' else 'mean'}": _points(other),
           "battery_mean": dict(zip(dets, map(float, battery_mean))),
           "p_best": _points(sel, "p_best_synthetic"),
           # the 90% bootstrap interval of each detector's rank (1 = best), prior off
           "rank_lo": _points(sel, "rank_lo"), "rank_hi": _points(sel, "rank_hi"),
           "group": str(s.meta.get("group", name)), "source_family": source_family(name),
           "real_points": sel.real["points"], "real_scores": sel.real["scores"], "trust": sel.trust,
           "agreement_by_metric": sel.real["agreement_by_metric"], "families": sel.families.to_dict("records"),
           "seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0}
    if settings.mode == "series":
        out.update(family_views(with_c.rows, list(dets), settings))
    bench_dets = for_rows(dets) if settings.mode == "tabular" else dets
    out["leaderboard"] = _leaderboard(fold, bench_dets, mets, thr, settings, settings.voters)
    return out


FAMILIES = ("point", "collective", "contextual", "shape")


def _points(sel, column: str = "points_synthetic") -> dict[str, float]:
    """``{detector: value}`` of one column of a selection's ranking."""
    return dict(zip(sel.ranking["detector"], sel.ranking[column]))


def family_views(rows, dets: list[str], settings) -> dict:
    """What each anomaly family alone ranks (``family_points``), and the selection with the
    point family silenced (``synthetic_no_point``: ``select.family_weights={point: 0}``)."""
    from anogen.selection.consensus import summarize

    common = dict(trim=settings.trim, balance=settings.balance, min_spread=settings.min_spread, prior=None, seed=0,
                  n_boot=0, aggregate=settings.aggregate)
    fam = {}
    for f in FAMILIES:
        part = rows[rows["family"] == f]
        if len(part):
            sel = summarize(part, dets, settings.voters, **common)
            fam[f] = _points(sel)
    sel = summarize(rows, dets, settings.voters, family_weights={"point": 0.0}, **common)
    return {"family_points": fam,
            "synthetic_no_point": _points(sel)}


def reaggregate(results: dict[str, dict], rows_dir: Path, settings) -> None:
    """Recompute each series' synthetic rankings from its saved battery rows (``--rows``) under
    ``settings`` (e.g. another ``aggregate``), without refitting anything: ``synthetic`` (the
    settings' aggregate), ``synthetic_mean``, ``synthetic_borda``, ``with_centrality`` and ``p_best``."""
    import pandas as pd

    from anogen.selection.consensus import summarize

    for name, r in results.items():
        rows = pd.read_csv(rows_dir / f"{name}_rows.csv")
        dets = list(r["real_points"])
        sur = pd.DataFrame([{"voter": "fold0/surrogate:centrality", "kind": "centrality",
                             "cluster": "fold0/surrogate:centrality", "fold": 0, **r["centrality"]}])
        common = dict(trim=settings.trim, balance=settings.balance, min_spread=settings.min_spread, prior=None,
                      seed=0)
        for how in ("mean", "borda"):   # the settings' own aggregate once, with its bootstrap
            boot = settings.bootstrap if how == settings.aggregate else 0
            sel = summarize(rows, dets, settings.voters, n_boot=boot, aggregate=how, **common)
            r[f"synthetic_{how}"] = _points(sel)
            if how == settings.aggregate:
                r["synthetic"], r["p_best"] = _points(sel), _points(sel, "p_best_synthetic")
        sel = summarize(rows, dets, settings.voters, n_boot=0, aggregate=settings.aggregate, surrogates=sur,
                        **common)
        r["with_centrality"] = _points(sel)
        r["aggregate"] = settings.aggregate
        r.update(family_views(rows, dets, settings))


def tabular(quick: bool) -> dict:
    """The tabular mode on the shipped tables: selection vs the real ranking and the leaderboard."""
    from anogen.data import real
    from anogen.selection.agreement import agreement
    from anogen.selection.settings import check_select

    from anogen.selection.prior import prior_points

    settings = check_select({"mode": "tabular", **({"seeds": [0], "bootstrap": 50} if quick else {})})
    out = {}
    for name in real.names(mode="tabular"):
        out[name] = run_series(name, settings, quick)
        print(f"{name} (tabular): {out[name]['seconds']:.0f} s wall", flush=True)
    for name, r in out.items():
        dets = list(r["synthetic"])
        fixed = dict(zip(dets, prior_points({n: o["real_points"] for n, o in out.items()}, dets, exclude=[name])))
        r["agreement"] = {"selection": agreement(r["synthetic"], r["real_points"]),
                          "selection + centrality": agreement(r["with_centrality"], r["real_points"]),
                          "centrality alone": agreement(r["centrality"], r["real_points"]),
                          "fixed ranking": agreement(fixed, r["real_points"]),
                          "leaderboard": agreement(r["leaderboard"], r["real_points"])}
    methods = ["selection", "selection + centrality", "centrality alone", "fixed ranking", "leaderboard"]
    print("| table | " + " | ".join(methods) + " |\n|---|" + "---|" * len(methods))
    for name, r in out.items():
        print(f"| {name} | " + " | ".join(f"{r['agreement'][m]['spearman']:.2f} / {r['agreement'][m]['top1']:.0f} / "
                                         f"{r['agreement'][m]['top3']:.0f}" for m in methods) + " |")
    print("| **median** | " + " | ".join(f"{np.median([r['agreement'][m]['spearman'] for r in out.values()]):.2f}"
                                       for m in methods) + " |", flush=True)
    return out


def evaluate(results: dict[str, dict], groups: dict[str, str] | None = None, predictions: bool = False) -> dict:
    """Agreement of every method with the real ranking, per series, with nested LOSO for the prior.

    ``groups``: ``{series: held-out unit}`` (default: each series' provenance group);
    ``predictions``: also return the learned baselines' scores per series (``predicted``: the
    fixed ranking and the selection with the prior on, nested)."""
    from anogen.selection.agreement import agreement
    from anogen.selection.prior import choose_weight, mix, prior_points

    from anogen.selection.prior import same_group

    names = list(results)
    groups = dict(groups) if groups is not None else {n: meta_of(n).get("group", n) for n in names}
    real_pts = {n: results[n]["real_points"] for n in names}
    pool = {n: p for n, p in real_pts.items() if results[n]["real"]}   # the prior: real recordings only
    syn = {n: results[n]["synthetic"] for n in names}
    rows, predicted = {}, {}
    for n in names:
        dets = list(syn[n])
        held = same_group(n, groups, names)          # the held-out series' whole group leaves the prior
        others = [o for o in names if o not in held]
        fixed = dict(zip(dets, prior_points(pool, dets, exclude=held, groups=groups)))
        inner = {o: p for o, p in pool.items() if o not in held}
        w, _ = choose_weight({o: syn[o] for o in others}, {o: real_pts[o] for o in others}, inner, groups=groups) \
            if len({groups[o] for o in others}) >= 2 else (0.0, {})
        with_prior = dict(zip(dets, mix(np.array([syn[n][d] for d in dets]), np.array([fixed[d] for d in dets]), w)))
        predicted[n] = {"fixed ranking": fixed, "selection (prior on)": with_prior, "weight": w}
        rows[n] = {"selection (prior off)": agreement(syn[n], real_pts[n]),
                   **{f"selection, {LABEL[how]}": agreement(results[n][f"synthetic_{how}"], real_pts[n])
                      for how in ("mean", "borda") if f"synthetic_{how}" in results[n]},
                   "selection + centrality": agreement(results[n]["with_centrality"], real_pts[n]),
                   **({"selection, point family off": agreement(results[n]["synthetic_no_point"], real_pts[n])}
                      if "synthetic_no_point" in results[n] else {}),
                   **{f"{f} family alone": agreement(v, real_pts[n])
                      for f, v in results[n].get("family_points", {}).items()},
                   "centrality alone": agreement(results[n]["centrality"], real_pts[n]),
                   "battery mean": agreement(results[n]["battery_mean"], real_pts[n]),
                   "selection (prior on)": {**agreement(with_prior, real_pts[n]), "weight": w},
                   "fixed ranking": agreement(fixed, real_pts[n]),
                   "leaderboard": agreement(results[n]["leaderboard"], real_pts[n])}
    chosen = choose_method(rows, groups, {n: results[n]["real"] for n in names})
    for n, (method, _) in chosen.items():
        rows[n][CHOSEN] = {**rows[n][method], "method": method}
    w_all, table = choose_weight(syn, real_pts, pool, groups=groups)
    return {"per_series": rows, "weight_all": w_all, "loso_all": table, "prior_series": list(pool),
            "groups": {n: groups[n] for n in names},
            "chosen_by_group": {groups[n]: m for n, (m, _) in chosen.items()},
            **({"predicted": predicted} if predictions else {})}


#: the label-free methods a default could be chosen from (the prior needs labels of other series;
#: it is judged separately, nested, above)
LABEL = {"mean": "trimmed mean", "borda": "trimmed Borda"}
CANDIDATES = ("selection, trimmed mean", "selection, trimmed Borda", "selection + centrality", "centrality alone",
              "leaderboard")
CHOSEN = "method chosen on the other groups"


def group_means(rows: dict, groups: dict, real: dict, method: str, exclude: str | None = None) -> dict[str, float]:
    """``{group: mean Spearman of the method over the group's real series}``, groups other than ``exclude``."""
    by: dict[str, list[float]] = {}
    for n, r in rows.items():
        v = r[method]["spearman"]
        if real[n] and groups[n] != exclude and v is not None and np.isfinite(v):
            by.setdefault(groups[n], []).append(float(v))
    return {g: float(np.mean(v)) for g, v in by.items()}


def choose_method(rows: dict, groups: dict, real: dict) -> dict[str, tuple[str, float]]:
    """Leave-one-group-out choice among :data:`CANDIDATES`: for each series, the method with the
    best median over the *other* groups' mean Spearman (its own group never votes), so the
    column built from it is an honest estimate of choosing a default on evidence."""
    out = {}
    for n in rows:
        score = {m: np.median(list(group_means(rows, groups, real, m, exclude=groups[n]).values()) or [np.nan])
                 for m in CANDIDATES}
        best = max(CANDIDATES, key=lambda m: (np.nan_to_num(score[m], nan=-np.inf), -CANDIDATES.index(m)))
        out[n] = (best, float(score[best]))
    return out


def _median(rows: dict, method: str, key: str, only_real: bool, results: dict,
            groups: dict | None = None) -> float:
    """Median over series (``groups``: over groups, each its series' mean)."""
    vals: dict[str, list[float]] = {}
    for n, r in rows.items():
        v = r[method][key]
        if (results[n]["real"] or not only_real) and v is not None and np.isfinite(v):
            vals.setdefault((groups or {}).get(n, n), []).append(v)
    flat = [float(np.mean(v)) for v in vals.values()]
    return float(np.median(flat)) if flat else float("nan")


METHODS = ["selection (prior off)", "selection (prior on)", "selection, trimmed mean", "selection, trimmed Borda",
           "selection, point family off", "selection + centrality", "centrality alone", "fixed ranking",
           "leaderboard", CHOSEN]


def by_group(ev: dict, results: dict) -> str:
    """Mean Spearman per group (real series), the median over groups, and each method's paired
    comparison with the leaderboard over series (wins / ties / losses, Wilcoxon signed-rank p)."""
    from scipy.stats import wilcoxon

    rows, groups = ev["per_series"], ev["groups"]
    real = {n: results[n]["real"] for n in rows}
    per = {m: group_means(rows, groups, real, m) for m in METHODS}
    gs = sorted(per[METHODS[0]])
    count = {g: sum(1 for n in rows if real[n] and groups[n] == g) for g in gs}
    lines = ["| group (real series) | n | " + " | ".join(METHODS) + " |", "|---|---|" + "---|" * len(METHODS)]
    for g in gs:
        lines.append(f"| {g} | {count[g]} | " + " | ".join(f"{per[m].get(g, np.nan):.2f}" for m in METHODS) + " |")
    lines.append("| **median over groups** | | " + " | ".join(f"**{np.median(list(per[m].values())):.2f}**"
                                                          for m in METHODS) + " |")
    lines.append("| **median over real series** | | " + " | ".join(
        f"**{_median(rows, m, 'spearman', True, results):.2f}**" for m in METHODS) + " |")
    for base in ("leaderboard", "fixed ranking"):
        paired = []
        for m in METHODS:
            d = np.array([rows[n][m]["spearman"] - rows[n][base]["spearman"] for n in rows if real[n]])
            d = d[np.isfinite(d)]
            p = wilcoxon(d).pvalue if m != base and np.any(d != 0) else np.nan
            paired.append(f"{(d > 0).sum()}/{(d == 0).sum()}/{(d < 0).sum()}, p={p:.2g}")
        lines.append(f"| vs {base}: series won/tied/lost, Wilcoxon p | | " + " | ".join(paired) + " |")
    return "\n".join(lines) + "\n" + trust_check(ev, results) + family_table(ev, results)


def family_table(ev: dict, results: dict) -> str:
    """What each anomaly family's ranking alone predicts: mean Spearman per group, median over groups."""
    rows, groups = ev["per_series"], ev["groups"]
    real = {n: results[n]["real"] for n in rows}
    methods = [f"{f} family alone" for f in FAMILIES if all(f"{f} family alone" in r for r in rows.values())]
    if not methods:
        return ""
    per = {m: group_means(rows, groups, real, m) for m in methods}
    gs = sorted(per[methods[0]])
    lines = ["", "| group | " + " | ".join(methods) + " |", "|---|" + "---|" * len(methods)]
    lines += [f"| {g} | " + " | ".join(f"{per[m].get(g, np.nan):.2f}" for m in methods) + " |" for g in gs]
    lines.append("| **median over groups** | " + " | ".join(f"**{np.median(list(per[m].values())):.2f}**"
                                                        for m in methods) + " |")
    return "\n".join(lines) + "\n"


def trust_check(ev: dict, results: dict) -> str:
    """Does the job's own confidence predict its agreement with the real ranking? Spearman over
    the real series between the trust figure (Kendall's W) or the winner's P(best) and the
    selection's Spearman with the real ranking."""
    from scipy.stats import spearmanr

    names = [n for n in ev["per_series"] if results[n]["real"]]
    agree = np.array([ev["per_series"][n]["selection (prior off)"]["spearman"] for n in names], np.float64)
    out = []
    for label, vals in (("Kendall's W", [results[n]["trust"]["kendalls_w"] for n in names]),
                        ("the winner's P(best)", [np.nanmax(list(results[n]["p_best"].values())) for n in names])):
        v = np.array(vals, np.float64)
        ok = np.isfinite(v) & np.isfinite(agree)
        rho = spearmanr(v[ok], agree[ok])
        out.append(f"{label} vs agreement with the real ranking: Spearman {rho.statistic:.2f} (p={rho.pvalue:.2g}, "
                   f"{ok.sum()} series)")
    return "\n".join(out) + "\n"


def markdown(ev: dict, results: dict) -> str:
    methods = METHODS
    lines = ["| series | real | " + " | ".join(f"{m}: Spearman / top-1 / top-3" for m in methods) + " |",
             "|---|---|" + "---|" * len(methods)]
    for n, r in ev["per_series"].items():
        cells = [f"{r[m]['spearman']:.2f} / {r[m]['top1']:.0f} / {r[m]['top3']:.0f}" for m in methods]
        lines.append(f"| {n} | {'yes' if results[n]['real'] else 'no (GutenTAG)'} | " + " | ".join(cells) + " |")
    for only_real, label, grp in ((True, "median, real series", None), (False, "median, all series", None),
                                  (True, "median over real groups (each group's mean)", ev.get("groups"))):
        cells = [f"{_median(ev['per_series'], m, 'spearman', only_real, results, grp):.2f} / "
                 f"{_median(ev['per_series'], m, 'top1', only_real, results, grp):.2f} / "
                 f"{_median(ev['per_series'], m, 'top3', only_real, results, grp):.2f}" for m in methods]
        lines.append(f"| **{label}** | | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_prior(ev: dict, results: dict) -> Path:
    from anogen.selection.prior import PRIOR_PATH

    prior = {"points": {n: results[n]["real_points"] for n in ev["prior_series"]}, "weight": ev["weight_all"],
             "groups": {n: ev["groups"][n] for n in ev["prior_series"]},
             "metrics": list(METRICS), "detectors": DETECTORS, "loso": ev["loso_all"],
             "made_by": "scripts/selection_evidence.py"}
    PRIOR_PATH.write_text(json.dumps(_clean(prior), indent=1) + "\n")
    return PRIOR_PATH


def _unclean(obj):
    """JSON's ``null`` (a NaN as :func:`_clean` writes it) back to NaN."""
    if isinstance(obj, dict):
        return {k: _unclean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_unclean(v) for v in obj]
    return float("nan") if obj is None else obj


def _clean(obj):
    from anogen.selection.report import _clean as clean

    return clean(obj)


def main(argv: list[str] | None = None) -> int:
    from anogen.data import real
    from anogen.selection.settings import check_select

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--series", nargs="*", default=None)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "selection_evidence.json")
    ap.add_argument("--no-prior-file", action="store_true", help="do not rewrite anogen/data/real/prior.json")
    ap.add_argument("--from-json", type=Path, default=None, help="re-evaluate the results saved in this file")
    ap.add_argument("--rows", type=Path, default=None, help="also write each series' battery rows here (CSV)")
    ap.add_argument("--windows", nargs="*", default=[], help="select.windows for every series, e.g. period 10")
    ap.add_argument("--tabular-only", action="store_true", help="only the tables (select.mode=tabular); "
                    "updates the 'tabular' part of --out")
    ap.add_argument("--merge", type=Path, nargs="+", default=None,
                    help="merge the results of these runs (e.g. of two --series halves run side by side) into --out "
                         "(its tables kept), evaluate them and write the prior")
    ap.add_argument("--reaggregate", type=Path, default=None,
                    help="with --from-json/--merge: recompute the synthetic rankings from the battery rows saved "
                         "in this folder by --rows (nothing refitted)")
    ap.add_argument("--aggregate", choices=["mean", "borda"], default=None, help="select.aggregate for the run")
    ap.add_argument("--corpus", type=Path, default=None,
                    help="also the labelled series of this evidence corpus (its provenance.json); without --series: "
                         "every real shipped series and every corpus series (no control, no tables)")
    ap.add_argument("--detectors", nargs="*", default=None,
                    help=f"candidates (default: {' '.join(DETECTORS)}, the older studies' pool; the shipped select pool "
                         "adds ensemble lof@period knn@period)")
    args = ap.parse_args(argv)
    corpus = load_corpus(args.corpus) if args.corpus is not None else []
    if args.detectors:
        DETECTORS[:] = list(args.detectors)
    global ROWS_DIR
    ROWS_DIR = args.rows
    if ROWS_DIR is not None:
        ROWS_DIR.mkdir(parents=True, exist_ok=True)
    if args.merge:
        merged: dict = {}
        for part in args.merge:
            merged.update(json.loads(part.read_text())["results"])
        shipped = real.names()
        order = [n for n in shipped if n in merged] + [n for n in merged if n not in shipped]
        saved = json.loads(args.out.read_text()) if args.out.is_file() else {}
        settings = json.loads(args.merge[0].read_text()).get("settings", {})
        args.out.write_text(json.dumps(_clean({**saved, "results": {n: merged[n] for n in order},
                                               "settings": settings}), indent=1) + "\n")
        args.from_json = args.out
    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        saved["results"] = _unclean(saved["results"])
        if args.reaggregate is not None:
            settings = check_select({"windows": []} | ({"aggregate": args.aggregate} if args.aggregate else {}))
            reaggregate(saved["results"], args.reaggregate, settings)
            saved["settings"] = settings.__dict__
        ev = evaluate(saved["results"])
        print(markdown(ev, saved["results"]))
        print(by_group(ev, saved["results"]))
        saved["evaluation"] = ev   # the re-evaluation replaces the stored one
        args.from_json.write_text(json.dumps(_clean(saved), indent=1) + "\n")
        if not args.no_prior_file:
            print("prior written to", write_prior(ev, saved["results"]))
        return 0
    if args.tabular_only:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            tab = tabular(args.quick)
        saved = json.loads(args.out.read_text()) if args.out.is_file() else {}
        args.out.write_text(json.dumps(_clean({**saved, "tabular": tab}), indent=1) + "\n")
        return 0
    windows = [w if w == "period" else int(w) for w in args.windows]
    settings = check_select({**({"seeds": [0], "steps": 2, "bootstrap": 50} if args.quick else {}), "windows": windows,
                             **({"aggregate": args.aggregate} if args.aggregate else {})})
    from threadpoolctl import threadpool_limits

    results = {}
    with threadpool_limits(1):
        series = args.series or (real.names(real_only=True) + corpus if corpus else real.names())
        for name in series:
            results[name] = run_series(name, settings, args.quick)
            print(f"{name}: {results[name]['seconds']:.0f} s wall, {results[name]['cpu_seconds']:.0f} CPU-s",
                  flush=True)
            if corpus:   # a long run: keep what finished (``--merge`` / advice_evidence.py read it)
                args.out.with_suffix(".partial.json").write_text(
                    json.dumps(_clean({"results": results, "settings": settings.__dict__}), indent=1) + "\n")
        tab = tabular(args.quick) if args.series is None and not corpus else {}
    ev = evaluate(results)
    print(markdown(ev, results))
    print(by_group(ev, results))
    args.out.write_text(json.dumps(_clean({"results": results, "evaluation": ev, "tabular": tab,
                                           "settings": settings.__dict__}), indent=1) + "\n")
    if not args.no_prior_file and not args.quick:
        print("prior written to", write_prior(ev, results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
