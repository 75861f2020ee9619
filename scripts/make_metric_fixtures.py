#!/usr/bin/env python
"""Regenerate the golden metric fixtures ``tests/fixtures/metrics/<ref>.json``.

The reference packages conflict with each other and with anogen's stack (numpy<2, numba,
pandas), so each runs in its own scratch virtualenv OUTSIDE the repo and this script never
imports anogen. Every fixture file stores the inputs (so the tests never regenerate them),
the reference outputs, and the names and versions of the packages that produced them.

Setup used for the committed fixtures (Python 3.11)::

    python3.11 -m venv /tmp/refenvs/prts  && /tmp/refenvs/prts/bin/pip install "numpy<2" prts tadpak scikit-learn tqdm
    python3.11 -m venv /tmp/refenvs/aeon  && /tmp/refenvs/aeon/bin/pip install aeon
    python3.11 -m venv /tmp/refenvs/tsbad && /tmp/refenvs/tsbad/bin/pip install --no-deps tsb-ad vus \
        && /tmp/refenvs/tsbad/bin/pip install "numpy<2" scipy scikit-learn pandas matplotlib numba tqdm
    python3.11 -m venv /tmp/refenvs/tsad  && /tmp/refenvs/tsad/bin/pip install tsadmetrics

    /tmp/refenvs/prts/bin/python  scripts/make_metric_fixtures.py prts
    /tmp/refenvs/aeon/bin/python  scripts/make_metric_fixtures.py aeon
    /tmp/refenvs/tsbad/bin/python scripts/make_metric_fixtures.py tsbad
    /tmp/refenvs/tsad/bin/python  scripts/make_metric_fixtures.py tsadmetrics

(TSB-AD and vus are installed with ``--no-deps``: their declared dependencies include
torch/tensorflow, but the evaluation modules only need numpy and scikit-learn.)
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from importlib import metadata
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "metrics"
SEED = 20240611


# ---------------------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------------------


def _arr(s: str) -> np.ndarray:
    return np.array([int(c) for c in s.replace(" ", "")], dtype=np.int64)


def _place_ranges(rng, n: int, r: int, max_len: int) -> np.ndarray:
    y = np.zeros(n, dtype=np.int64)
    for _ in range(r):
        length = int(rng.integers(1, max_len + 1))
        start = int(rng.integers(0, max(n - length, 1)))
        y[start : start + length] = 1
    return y


def _noisy_pred(rng, t: np.ndarray) -> np.ndarray:
    n = t.shape[0]
    p = np.zeros(n, dtype=np.int64)
    d = np.diff(t, prepend=0, append=0)
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1)
    for s, e in zip(starts, ends):
        if rng.random() < 0.2:
            continue  # missed range
        shift = int(rng.integers(-3, 4))
        cut_a = int(rng.integers(0, max((e - s) // 2, 1)))
        cut_b = int(rng.integers(0, max((e - s) // 2, 1)))
        a = min(max(s + shift + cut_a, 0), n - 1)
        b = min(max(e + shift - cut_b, a + 1), n)
        p[a:b] = 1
        if rng.random() < 0.3 and b - a > 2:  # a hole: two predicted ranges in one true range
            h = int(rng.integers(a + 1, b - 1))
            p[h] = 0
    for _ in range(int(rng.integers(0, 4))):  # false alarms
        a = int(rng.integers(0, n))
        p[a : a + int(rng.integers(1, 6))] = 1
    flip = rng.random(n) < 0.01
    p[flip] = 1 - p[flip]
    return p


def binary_cases() -> list[dict]:
    hand = [
        ("kovacs_example_1", "00001", "10010", 3),
        ("kovacs_example_2", "01000", "00110", 3),
        ("kovacs_example_3", "0011000100", "0110000010", 1),
        ("edges", "1100000011", "1000000001", 1),
        ("edges_shifted", "1100000011", "0110001100", 2),
        ("adjacent_ranges", "0110110110", "0111111000", 1),
        ("one_long_many_short", "0111111111111110", "0101010101000100", 1),
        ("many_long_one_short", "0110111011101110", "0011111111111000", 0),
        ("perfect", "0011100011110000", "0011100011110000", 2),
        ("disjoint", "0011100000000000", "0000000000011100", 3),
        ("all_anomalous", "1111111111", "0011100110", 1),
        ("all_anomalous_all_pred", "11111111", "11111111", 1),
        ("empty_pred", "0011100011", "0000000000", 2),
        ("all_normal", "0000000000", "0010001100", 2),
        ("all_normal_empty_pred", "000000", "000000", 1),
        ("single_point", "1", "1", 0),
        ("pred_everywhere", "0001100010", "1111111111", 1),
    ]
    cases = [{"name": name, "y_true": t, "y_pred": p, "k": k} for name, t, p, k in hand]
    rng = np.random.default_rng(SEED)
    for i in range(24):
        n = int(rng.integers(30, 500))
        r = int(rng.integers(1, 7))
        t = _place_ranges(rng, n, r, max(1, n // 15))
        if i % 6 == 0:
            t[0] = 1
        if i % 6 == 1:
            t[-1] = 1
        p = _noisy_pred(rng, t)
        k = int(rng.integers(0, 6))
        cases.append(
            {
                "name": f"random_{i:02d}",
                "y_true": "".join(map(str, t)),
                "y_pred": "".join(map(str, p)),
                "k": k,
            }
        )
    return cases


def score_cases() -> list[dict]:
    rng = np.random.default_rng(SEED + 1)
    cases = []
    specs = [
        # (name, n, ranges, max_len, windows, decimals)
        ("small_n_below_thresholds", 120, 2, 6, [0, 1, 2, 5, 12], 2),
        ("medium", 600, 4, 20, [0, 3, 10, 40], 3),
        ("ties_integer_scores", 400, 3, 15, [0, 4, 16], 0),
        ("edges", 300, 2, 10, [0, 2, 7, 30], 3),
        ("close_ranges", 500, 8, 6, [0, 5, 20, 60], 3),
        ("long", 1500, 5, 40, [0, 25, 100], 3),
        ("single_point_anomalies", 400, 6, 1, [0, 3, 9, 27], 3),
    ]
    for name, n, r, max_len, windows, dec in specs:
        t = _place_ranges(rng, n, r, max_len)
        if name == "edges":
            t[:4] = 1
            t[-3:] = 1
        if name == "close_ranges":
            t[:] = 0
            pos = 40
            while pos < n - 20:
                L = int(rng.integers(1, max_len + 1))
                t[pos : pos + L] = 1
                pos += L + int(rng.integers(2, 12))
        base = rng.random(n)
        signal = t * rng.uniform(0.2, 0.8)
        # scores rise slightly before the anomaly and decay after it (realistic lag)
        smooth = np.convolve(signal, np.ones(5) / 5, mode="same")
        score = base * 0.6 + smooth
        if dec == 0:
            score = np.floor(score * 10)
        else:
            score = np.round(score, dec)
        cases.append(
            {
                "name": name,
                "y_true": "".join(map(str, t)),
                "y_score": [float(x) for x in score],
                "windows": windows,
            }
        )
    return cases


# ---------------------------------------------------------------------------------------
# reference computations
# ---------------------------------------------------------------------------------------


def _call(fn, *a, **kw):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            v = fn(*a, **kw)
        v = float(v)
        if np.isnan(v):
            return {"error": "nan"}
        return v
    except Exception as e:  # record what the reference does on edge cases
        return {"error": f"{type(e).__name__}: {e}"[:200]}


def _versions(*names: str) -> dict:
    out = {"python": platform.python_version(), "numpy": np.__version__}
    for n in names:
        try:
            out[n] = metadata.version(n)
        except metadata.PackageNotFoundError:
            out[n] = "not installed"
    return out


RANGE_GRID = [
    (alpha, card, bias)
    for alpha in (0.0, 0.3, 1.0)
    for card in ("one", "reciprocal")
    for bias in ("flat", "front", "middle", "back")
]
FBETA_GRID = [
    # (beta, p_alpha, r_alpha, cardinality, p_bias, r_bias)
    (1.0, 0.0, 0.0, "one", "flat", "flat"),
    (1.0, 0.0, 0.5, "reciprocal", "front", "back"),
    (2.0, 0.0, 0.2, "reciprocal", "middle", "middle"),
    (0.5, 0.1, 1.0, "one", "back", "front"),
]
PAK_KS = [0, 10, 20, 33.3, 50, 75, 90, 100]


def ref_prts() -> dict:
    from prts import ts_fscore, ts_precision, ts_recall
    from sklearn.metrics import auc, f1_score
    from tadpak import pak

    cases = []
    for c in binary_cases():
        t, p = _arr(c["y_true"]), _arr(c["y_pred"])
        exp = {}
        for alpha, card, bias in RANGE_GRID:
            key = f"alpha={alpha}|cardinality={card}|bias={bias}"
            exp[f"range_precision|{key}"] = _call(
                ts_precision, t, p, alpha=alpha, cardinality=card, bias=bias
            )
            exp[f"range_recall|{key}"] = _call(ts_recall, t, p, alpha=alpha, cardinality=card, bias=bias)
        for beta, pa, ra, card, pb, rb in FBETA_GRID:
            key = f"beta={beta}|p_alpha={pa}|r_alpha={ra}|cardinality={card}|p_bias={pb}|r_bias={rb}"
            exp[f"range_fbeta|{key}"] = _call(
                ts_fscore, t, p, beta=beta, p_alpha=pa, r_alpha=ra, cardinality=card, p_bias=pb, r_bias=rb
            )

        def pak_f1(k):
            adj = pak.pak(p.astype(float), t, 0.5, k=k)
            return f1_score(t, adj.astype(int), zero_division=0)

        for k in PAK_KS:
            exp[f"pak_f1|k={k}"] = _call(pak_f1, k)

        def pak_auc():
            ks = np.arange(101)
            f = [pak_f1(k) for k in ks]
            return auc(ks / 100.0, f)

        exp["pak_auc"] = _call(pak_auc)
        cases.append({**c, "expected": exp})
    return {
        "reference": _versions("prts", "tadpak", "scikit-learn"),
        "notes": "range_* from prts.ts_precision/ts_recall/ts_fscore; pak_f1 = sklearn f1_score "
        "(zero_division=0) of tadpak.pak.pak(y_pred, y_true, thres=0.5, k); pak_auc = sklearn auc "
        "over k=0..100 (k/100 on the x axis).",
        "cases": cases,
    }


def ref_aeon() -> dict:
    from aeon.benchmarking.metrics.anomaly_detection import (
        range_f_score,
        range_pr_vus_score,
        range_precision,
        range_recall,
        range_roc_vus_score,
    )
    from sklearn.metrics import (
        average_precision_score,
        precision_recall_curve,
        roc_auc_score,
    )

    bcases = []
    for c in binary_cases():
        t, p = _arr(c["y_true"]), _arr(c["y_pred"])
        exp = {}
        for alpha, card, bias in RANGE_GRID:
            key = f"alpha={alpha}|cardinality={card}|bias={bias}"
            exp[f"range_precision|{key}"] = _call(
                range_precision, t, p, alpha=alpha, cardinality=card, bias=bias
            )
            exp[f"range_recall|{key}"] = _call(range_recall, t, p, alpha=alpha, cardinality=card, bias=bias)
        for beta, pa, ra, card, pb, rb in FBETA_GRID:
            if beta != 1.0:
                continue  # aeon divides by beta^2 (P + R): only beta = 1 is the standard F
            key = f"beta={beta}|p_alpha={pa}|r_alpha={ra}|cardinality={card}|p_bias={pb}|r_bias={rb}"
            exp[f"range_fbeta|{key}"] = _call(
                range_f_score, t, p, beta=beta, p_alpha=pa, r_alpha=ra, cardinality=card, p_bias=pb, r_bias=rb
            )
        bcases.append({**c, "expected": exp})

    def best_f1(t, s):
        pr, rc, _ = precision_recall_curve(t, s)
        with np.errstate(invalid="ignore", divide="ignore"):
            f = np.where(pr + rc > 0, 2 * pr * rc / (pr + rc), 0.0)
        return f.max()

    scases = []
    for c in score_cases():
        t = _arr(c["y_true"])
        s = np.asarray(c["y_score"], dtype=np.float64)
        exp = {
            "roc_auc": _call(roc_auc_score, t, s),
            "pr_auc": _call(average_precision_score, t, s),
            "best_f1": _call(best_f1, t, s),
        }
        for w in c["windows"]:
            exp[f"vus_roc|variant=timeeval|window={w}"] = _call(range_roc_vus_score, t, s, max_buffer_size=w)
            exp[f"vus_pr|variant=timeeval|window={w}"] = _call(range_pr_vus_score, t, s, max_buffer_size=w)
        scases.append({**c, "expected": exp})
    return {
        "reference": _versions("aeon", "scikit-learn"),
        "notes": "range_* from aeon.benchmarking.metrics.anomaly_detection (cardinality passed "
        "explicitly); vus_* from aeon range_roc_vus_score/range_pr_vus_score(max_buffer_size=window) "
        "= TimeEval compatibility mode; roc_auc/pr_auc/best_f1 from scikit-learn.",
        "cases": bcases,
        "score_cases": scases,
    }


def ref_tsbad() -> dict:
    from TSB_AD.evaluation.affiliation.generics import convert_vector_to_events
    from TSB_AD.evaluation.affiliation.metrics import pr_from_events
    from TSB_AD.evaluation.basic_metrics import basic_metricor, generate_curve
    from vus.utils.metrics import metricor as vus_metricor

    bcases = []
    for c in binary_cases():
        t, p = _arr(c["y_true"]), _arr(c["y_pred"])
        exp = {}

        def aff(which):
            r = pr_from_events(convert_vector_to_events(p), convert_vector_to_events(t), (0, len(t)))
            return r["Affiliation_Precision" if which == "p" else "Affiliation_Recall"]

        exp["affiliation_precision"] = _call(aff, "p")
        exp["affiliation_recall"] = _call(aff, "r")
        exp["point_adjusted_f1|tsb_ad"] = _call(
            basic_metricor().metric_PointF1PA, t, p.astype(float), preds=p.copy()
        )
        bcases.append({**c, "expected": exp})

    scases = []
    for c in score_cases():
        t = _arr(c["y_true"])
        s = np.asarray(c["y_score"], dtype=np.float64)
        exp = {}
        for w in c["windows"]:

            def tsb(w=w):
                out = generate_curve(t.astype(int), s, w, "opt", 250)
                return out[6], out[7]

            def vpkg(w=w):
                out = vus_metricor().RangeAUC_volume_opt(
                    labels_original=t.astype(int), score=s, windowSize=w, thre=250
                )
                return out[4], out[5]

            for tag, fn in (("reference", tsb), ("vus_package", vpkg)):
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        roc, pr = fn()
                    exp[f"vus_roc|variant={tag}|window={w}"] = float(roc)
                    exp[f"vus_pr|variant={tag}|window={w}"] = float(pr)
                except Exception as e:
                    err = {"error": f"{type(e).__name__}: {e}"[:200]}
                    exp[f"vus_roc|variant={tag}|window={w}"] = err
                    exp[f"vus_pr|variant={tag}|window={w}"] = err
        scases.append({**c, "expected": exp})
    return {
        "reference": _versions("TSB-AD", "vus", "scikit-learn"),
        "notes": "affiliation_* from TSB_AD.evaluation.affiliation pr_from_events(events_pred, "
        "events_gt, (0, n)); point_adjusted_f1|tsb_ad from basic_metricor.metric_PointF1PA "
        "(never adjusts a range starting at index 0); vus_*|variant=reference from "
        "TSB_AD generate_curve(labels, score, window, 'opt', 250); variant=vus_package from "
        "vus.utils.metrics.metricor.RangeAUC_volume_opt (same algorithm, own range parser).",
        "cases": bcases,
        "score_cases": scases,
    }


def ref_tsadmetrics() -> dict:
    from tsadmetrics.metrics.tem.dpm.NabScore import NabScore
    from tsadmetrics.metrics.tem.ptdm.DetectionAccuracyInRange import (
        DetectionAccuracyInRange,
    )
    from tsadmetrics.metrics.tem.ptdm.TotalDetectedInRange import TotalDetectedInRange
    from tsadmetrics.metrics.tem.tmem.TemporalDistance import TemporalDistance
    from tsadmetrics.metrics.tem.tpdm.CompositeFScore import CompositeFScore

    cases = []
    for c in binary_cases():
        t, p = _arr(c["y_true"]), _arr(c["y_pred"])
        k = c["k"]
        exp = {
            "nab_score|window_fraction=0": _call(lambda: NabScore().compute(t, p)),
            "composite_f1": _call(lambda: CompositeFScore().compute(t, p)),
            "tdir": _call(lambda: TotalDetectedInRange(k=k).compute(t, p)),
            "dair": _call(lambda: DetectionAccuracyInRange(k=k).compute(t, p)),
            "temporal_distance": _call(lambda: TemporalDistance().compute(t, p)),
        }
        cases.append({**c, "expected": exp})
    return {
        "reference": _versions("tsadmetrics"),
        "notes": "tsadmetrics metric classes .compute(y_true, y_pred). Its NAB port uses the true "
        "ranges themselves as NAB windows (our window_fraction=0) and no probationary period; "
        "its tdir/dair return 0 whenever nothing is predicted.",
        "cases": cases,
    }


REFS = {"prts": ref_prts, "aeon": ref_aeon, "tsbad": ref_tsbad, "tsadmetrics": ref_tsadmetrics}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ref", choices=sorted(REFS))
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    data = REFS[args.ref]()
    data["generated_by"] = "scripts/make_metric_fixtures.py " + args.ref
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{args.ref}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")
    tmp.replace(path)
    print(f"wrote {path} in {time.perf_counter() - t0:.1f} s ({sys.executable})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
