#!/usr/bin/env python
"""Would a meta-model on the battery's figures pick better detectors? Leave-one-source-out.

Issue 19's item 3 proposed "a small meta-model that maps the battery's per-detector figures to real
rank (trained across sources; it needs no labels from the user's data)". This script tests that
proposal on the same per-series runs that ``scripts/advice_evidence.py`` judges, with the same
judge, against the shipped default (the battery mixed with the real-data prior) and the baselines.

One row per (series, candidate). Features, all label-free on the series itself:

* the candidate's base detector (one-hot) and whether it is a period-window variant;
* what is learned from other series' labels, each leaving out the held-out family *and* the row's
  own family (so a training row sees what a held-out row sees): the real-data prior's points
  (:func:`anogen.selection.prior.prior_points`) and the candidate's mean real VUS-PR;
* the battery (``--no-battery`` drops it): the selection's synthetic points, the points per anomaly
  family (point, collective, contextual, shape; 0.5 where a family is absent) and the centrality;
* series facts: log10 columns, log10 train rows, whether the train part has a clear cycle (the
  period variants ran), and the columns and the cycle crossed with the base detector (ridge only).

Target: the candidate's real VUS-PR over the series' best real VUS-PR (the % of oracle a pick
gives). The recommendation is the highest prediction; the ranking is the predictions.

Models (declared before the first figure was computed, ``docs/meta_model_evidence.md``):
``ridge`` (alpha chosen nested: leave-one-family-out within the training families), ``gbt`` (a
depth-3 gradient-boosted regressor), and ``ridge`` without the battery (what the battery adds).

    python scripts/meta_model_evidence.py --corpus corpus/ --results /tmp/advice_a.json /tmp/advice_b.json
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

import advice_evidence as ae
import selection_evidence as se

BASES = ("knn", "lof", "ensemble", "ocsvm", "iforest", "pca", "zscore", "zscore_rolling")
KINDS = ("point", "collective", "contextual", "shape")
ALPHAS = (0.1, 1.0, 10.0, 100.0)
RIDGE, GBT, RIDGE_NO_BATTERY = "meta-model: ridge", "meta-model: boosted trees", "meta-model: ridge, no battery"
MODELS = {RIDGE: ("ridge", True), GBT: ("gbt", True), RIDGE_NO_BATTERY: ("ridge", False)}
Facts = Callable[[str], Mapping[str, float]]


def candidates(r: dict) -> list[str]:
    """The series' own candidates (a period variant left out is not among them)."""
    return list(r["real_points"])


def corpus_facts(name: str) -> dict[str, float]:
    """``columns`` and ``train_rows`` of a shipped or corpus series (its provenance record)."""
    m = se.meta_of(name)
    return {"columns": float(m.get("columns", 1)), "train_rows": float(m.get("train_rows", 100))}


class Learned:
    """What other series' labels give, cached per excluded set of families."""

    def __init__(self, results: dict, family: dict):
        self.results, self.family = results, family
        self.every = sorted({d for r in results.values() for d in r["real_points"]})
        self._prior: dict = {}
        self._vus: dict = {}

    def prior(self, n: str, excluded: frozenset) -> dict[str, float]:
        key = (n, excluded)
        if key not in self._prior:
            dets = candidates(self.results[n])
            self._prior[key] = dict(zip(dets, ae._prior_excluding(self.results, self.family, dets, set(excluded))))
        return self._prior[key]

    def mean_vus(self, excluded: frozenset) -> dict[str, float]:
        if excluded not in self._vus:
            pool: dict[str, list[float]] = {}
            for m, r in self.results.items():
                if self.family[m] not in excluded:
                    for d, v in ae.filled_vus(r, self.every).items():
                        if np.isfinite(v):
                            pool.setdefault(d, []).append(v)
            self._vus[excluded] = {d: float(np.mean(v)) for d, v in pool.items()}
        return self._vus[excluded]


def features(n: str, r: dict, learned: Learned, excluded: frozenset, facts: Facts,
             battery: bool = True, crossed: bool = True) -> tuple[list[str], np.ndarray]:
    """``(candidates, (k, f) features)`` of series ``n``, learned parts leaving ``excluded`` out."""
    dets = candidates(r)
    pri, vus, fx = learned.prior(n, excluded), learned.mean_vus(excluded), facts(n)
    cols = math.log10(max(1.0, fx["columns"]))
    rows = math.log10(max(10.0, fx["train_rows"]))
    cycle = float(any("@" in d for d in dets))
    fp, cen = r.get("family_points", {}), r.get("centrality", {})
    out = []
    for d in dets:
        one = [float(d.partition("@")[0] == b) for b in BASES]
        x = [*one, float("@" in d), pri[d], vus.get(d, np.nan), cols, rows, cycle]
        if battery:
            x += [float(r["synthetic"].get(d, np.nan)), *[float(fp.get(k, {}).get(d, 0.5)) for k in KINDS],
                  float(cen.get(d, 0.5))]
        if crossed:
            x += [cols * o for o in one] + [cycle * o for o in one]
        out.append(x)
    return dets, np.nan_to_num(np.array(out, np.float64), nan=0.0)


def target(r: dict) -> np.ndarray:
    """Each candidate's real VUS-PR over the series' best (NaN where unknown)."""
    v = ae.vus_of(r)
    best = np.nanmax(list(v.values()))
    return np.array([v.get(d, np.nan) / best if best > 0 else np.nan for d in candidates(r)])


def _model(kind: str, alpha: float):
    if kind == "ridge":
        from sklearn.linear_model import Ridge

        return Ridge(alpha=alpha)
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(max_depth=3, max_iter=150, learning_rate=0.05, min_samples_leaf=20,
                                         random_state=0)


def fit_predict(kind: str, alpha: float, train: list[str], test: list[str], held: frozenset, results: dict,
                family: dict, learned: Learned, facts: Facts, battery: bool) -> dict[str, dict[str, float]]:
    """Fit on ``train`` (each row's learned features leave ``held`` and its own family out) and
    predict ``test`` (learned features leave ``held`` out)."""
    kw = {"battery": battery, "crossed": kind == "ridge"}
    xs, ys = [], []
    for n in train:
        _, x = features(n, results[n], learned, held | {family[n]}, facts, **kw)
        y = target(results[n])
        ok = np.isfinite(y)
        xs.append(x[ok]), ys.append(y[ok])
    x, y = np.vstack(xs), np.concatenate(ys)
    mu, sd = x.mean(0), x.std(0) + 1e-9
    model = _model(kind, alpha).fit((x - mu) / sd, y)
    out = {}
    for n in test:
        dets, xt = features(n, results[n], learned, held, facts, **kw)
        out[n] = dict(zip(dets, map(float, model.predict((xt - mu) / sd))))
    return out


def _pct_oracle(pred: dict[str, float], r: dict) -> float:
    """The % of oracle of the highest prediction: :func:`advice_evidence.judge`'s ``pct_oracle``
    without its agreement figures (the inner loop needs only this)."""
    vus = ae.vus_of(r)
    best = np.nanmax(list(vus.values()))
    rec = ae.top_of(pred, candidates(r))
    v = vus.get(rec, np.nan) if rec else np.nan
    return float(v / best) if best > 0 and np.isfinite(v) else float("nan")


def _mean_pct(preds: dict, results: dict) -> float:
    return float(np.nanmean([_pct_oracle(p, results[n]) for n, p in preds.items()]))


def loso(kind: str, battery: bool, results: dict, family: dict, names: list[str], facts: Facts,
         learned: Learned | None = None) -> tuple[dict, dict]:
    """``({series: {candidate: prediction}}, {held-out family: alpha})``, each family held out in turn;
    ridge's alpha is chosen by leave-one-family-out within the training families."""
    learned = learned or Learned(results, family)
    preds, alphas = {}, {}
    for f in dict.fromkeys(family[n] for n in names):
        test = [n for n in names if family[n] == f]
        train = [n for n in names if family[n] != f]
        alpha = 1.0
        if kind == "ridge":
            inner = list(dict.fromkeys(family[n] for n in train))
            score = {}
            for a in ALPHAS:
                score[a] = np.mean([_mean_pct(fit_predict(
                    kind, a, [n for n in train if family[n] != g], [n for n in train if family[n] == g],
                    frozenset({f, g}), results, family, learned, facts, battery), results) for g in inner])
            alpha = max(ALPHAS, key=lambda a: (score[a], -a))
        alphas[f] = alpha
        preds.update(fit_predict(kind, alpha, train, test, frozenset({f}), results, family, learned, facts, battery))
    return preds, alphas


def evaluate(results: dict, family: dict, facts: Facts, models: Mapping[str, tuple[str, bool]] = MODELS) -> dict:
    """Every model's leave-one-source-out recommendation beside advice_evidence's methods."""
    rows, _ = ae.per_series(results, family)
    names = list(rows)
    learned = Learned(results, family)
    alphas = {}
    for label, (kind, battery) in models.items():
        preds, alphas[label] = loso(kind, battery, results, family, names, facts, learned)
        for n in names:
            rows[n]["methods"][label] = ae.judge(preds[n], ae.top_of(preds[n], candidates(results[n])), results[n])
    methods = [ae.PRIOR, ae.GLOBAL, ae.FIXED] + ([ae.OE] if ae.OE in rows[names[0]]["methods"] else []) \
        + [ae.RANDOM, *models]
    fams = list(dict.fromkeys(family[n] for n in names))
    by_family = {f: ae.summary(rows, methods, [n for n in names if family[n] == f]) for f in fams}
    return {"series": len(names), "families": {f: sum(family[n] == f for n in names) for f in fams},
            "methods": methods, "models": list(models), "alphas": alphas,
            "summary": {"all": ae.summary(rows, methods, names), "by_family": by_family,
                        "over_families": {m: float(np.nanmean([by_family[f][m]["mean_pct_oracle"] for f in fams]))
                                          for m in methods}},
            "wilcoxon": [ae.paired(rows, m, b, names) for m in models
                         for b in (ae.PRIOR, ae.GLOBAL, ae.OE) if b in methods],
            "per_series": {n: {m: rows[n]["methods"][m] for m in methods if m != ae.RANDOM} for n in names}}


def adopted(out: dict) -> str | None:
    """The declared rule: ridge (else boosted trees) replaces the default iff its mean % of oracle is
    at least 1 point higher, its mean over families is not lower and its median Spearman not lower."""
    a, fam = out["summary"]["all"], out["summary"]["over_families"]
    for m in (RIDGE, GBT):
        if m in a and a[m]["mean_pct_oracle"] >= a[ae.PRIOR]["mean_pct_oracle"] + 0.01 \
                and fam[m] >= fam[ae.PRIOR] and a[m]["median_spearman"] >= a[ae.PRIOR]["median_spearman"]:
            return m
    return None


def markdown(out: dict) -> str:
    a, fam = out["summary"]["all"], out["summary"]["over_families"]
    win = adopted(out)
    lines = ["# A meta-model on the battery, leave-one-source-out", "",
             "Made by `scripts/meta_model_evidence.py`; every figure is in `docs/meta_model_evidence.json`. "
             "The rule and the models were written down before the first figure was computed "
             "(`docs/selection.md`, \"A meta-model on the battery\").", "",
             f"{out['series']} real series, families held out in turn: "
             + "; ".join(f"{f} ({k})" for f, k in out["families"].items()) + ". Ridge's alpha per held-out family: "
             + "; ".join(f"{f}: {v:g}" for f, v in out["alphas"].get(RIDGE, {}).items()) + ".", "",
             *ae.method_table(a, out["methods"]), "",
             "| method | mean % of oracle over families | " + " | ".join(out["families"]) + " |",
             "|---|---|" + "---|" * len(out["families"])]
    for m in out["methods"]:
        lines.append(f"| {m} | {ae._pct(fam[m])} | " + " | ".join(
            ae._pct(out["summary"]["by_family"][f][m]["mean_pct_oracle"]) for f in out["families"]) + " |")
    lines += ["", "Paired tests on % of oracle (Wilcoxon signed-rank, zero differences dropped):", "",
              "| model | against | better / tied / worse | mean difference | p |", "|---|---|---|---|---|"]
    for t in out["wilcoxon"]:
        lines.append(f"| {t['a']} | {t['b']} | {t['a_better']} / {t['ties']} / {t['b_better']} | "
                     f"{100 * t['mean_difference']:+.1f} pts | {ae._p(t)} |")
    lines += ["", "**Verdict by the declared rule:** "
              + (f"{win} replaces the default." if win else
                 "no meta-model replaces the default (battery + real-data prior)."), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from anogen.data import real

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    ap.add_argument("--results", type=Path, nargs="+", required=True, help="selection_evidence.py outputs")
    ap.add_argument("--json", type=Path, default=ROOT / "docs" / "meta_model_evidence.json")
    ap.add_argument("--md", type=Path, default=ROOT / "docs" / "meta_model_evidence.md")
    args = ap.parse_args(argv)
    corpus = se.load_corpus(args.corpus)
    results, family = ae.load_results(args.results, real.names(real_only=True) + corpus)
    if not results:
        ap.error("no real series in --results")
    out = evaluate(results, family, corpus_facts)
    out["adopted"] = adopted(out)
    args.json.write_text(json.dumps(se._clean(out), indent=1) + "\n")
    md = markdown(out)
    args.md.write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
