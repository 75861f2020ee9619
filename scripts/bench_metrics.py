#!/usr/bin/env python
"""Time every anogen metric on 1e6 points with 100 true ranges, against the references.

    .venv/bin/python scripts/bench_metrics.py                      # ours (+ scikit-learn) only
    .venv/bin/python scripts/bench_metrics.py --refenvs /tmp/refenvs --ref-timeout 600

With ``--refenvs DIR`` the reference packages are timed on the same data in their scratch
virtualenvs (``DIR/{prts,aeon,tsbad,tsad}/bin/python``, built as described in
``scripts/make_metric_fixtures.py``), one subprocess per reference call; a reference that
runs past ``--ref-timeout`` seconds is reported as ``>timeout``. Ours is the best of
``--repeat`` runs, a reference is timed once (the figure includes no import time).

Prints a table ``metric | ours s | reference | ref s | ratio (ref / ours)``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import anogen.metrics as M  # noqa: E402


def make_data(n: int, n_ranges: int, seed: int = 0):
    """Labels with ``n_ranges`` ranges (10..200 points), a noisy score and its prediction."""
    rng = np.random.default_rng(seed)
    t = np.zeros(n, dtype=np.int64)
    slots = np.sort(rng.choice(np.arange(1, n // 1000 - 1), size=n_ranges, replace=False)) * 1000
    for s in slots:
        t[s : s + int(rng.integers(10, 201))] = 1
    bump = np.convolve(t.astype(float), np.ones(9) / 9, mode="same")
    score = rng.random(n) * 0.7 + 0.45 * bump
    pred = (score >= 0.69).astype(np.int64)
    return t, pred, score


OURS = {
    # name: (callable(t, p, s), reference key or None)
    "precision": (lambda t, p, s: M.precision(t, p), "sk_precision"),
    "recall": (lambda t, p, s: M.recall(t, p), "sk_recall"),
    "f1": (lambda t, p, s: M.f1(t, p), "sk_f1"),
    "confusion": (lambda t, p, s: M.confusion(t, p), "sk_confusion"),
    "balanced_accuracy": (lambda t, p, s: M.balanced_accuracy(t, p), "sk_balanced_accuracy"),
    "roc_auc": (lambda t, p, s: M.roc_auc(t, s), "sk_roc_auc"),
    "pr_auc": (lambda t, p, s: M.pr_auc(t, s), "sk_pr_auc"),
    "best_f1": (lambda t, p, s: M.best_f1(t, s), "sk_best_f1"),
    "detection_counts(k=3)": (lambda t, p, s: M.detection_counts(t, p, k=3), None),
    "tdir(k=3)": (lambda t, p, s: M.tdir(t, p, k=3), "tsadmetrics_tdir"),
    "dair(k=3)": (lambda t, p, s: M.dair(t, p, k=3), "tsadmetrics_dair"),
    "temporal_distance": (lambda t, p, s: M.temporal_distance(t, p), "tsadmetrics_td"),
    "wdd(k=3)": (lambda t, p, s: M.wdd(t, p, k=3), None),
    "range_precision": (lambda t, p, s: M.range_precision(t, p), "prts_precision"),
    "range_recall": (lambda t, p, s: M.range_recall(t, p), "prts_recall"),
    "range_fbeta(reciprocal,middle)": (
        lambda t, p, s: M.range_fbeta(
            t, p, cardinality="reciprocal", p_bias="middle", r_bias="middle", r_alpha=0.2
        ),
        "aeon_range_f",
    ),
    "point_adjusted_f1": (lambda t, p, s: M.point_adjusted_f1(t, p), "tadpak_pa_f1"),
    "pak_f1(k=20)": (lambda t, p, s: M.pak_f1(t, p, k=20), "tadpak_pak_f1"),
    "pak_auc": (lambda t, p, s: M.pak_auc(t, p), "tadpak_pak_auc"),
    "affiliation (P and R)": (lambda t, p, s: M.affiliation_pr(t, p), "tsbad_affiliation"),
    "composite_f1": (lambda t, p, s: M.composite_f1(t, p), "tsadmetrics_cf"),
    "nab_score(window_fraction=0)": (
        lambda t, p, s: M.nab_score(t, p, window_fraction=0.0),
        "tsadmetrics_nab",
    ),
    "nab_score(window_fraction=0.1)": (lambda t, p, s: M.nab_score(t, p), None),
    "vus (ROC and PR, window=100)": (lambda t, p, s: M.vus(t, s, window=100), "tsbad_vus"),
    "vus_roc(window=100, timeeval)": (
        lambda t, p, s: M.vus_roc(t, s, window=100, variant="timeeval"),
        "aeon_vus_roc",
    ),
    "vus_pr(window=100, timeeval)": (
        lambda t, p, s: M.vus_pr(t, s, window=100, variant="timeeval"),
        "aeon_vus_pr",
    ),
}

# Reference calls: (env, description, code). The code sees t, p, s (numpy arrays) and np.
REFS = {
    "prts_precision": ("prts", "prts.ts_precision", "from prts import ts_precision as f\nR=lambda: f(t, p)"),
    "prts_recall": ("prts", "prts.ts_recall", "from prts import ts_recall as f\nR=lambda: f(t, p)"),
    "aeon_range_f": (
        "aeon",
        "aeon range_f_score",
        "from aeon.benchmarking.metrics.anomaly_detection import range_f_score as f\n"
        "R=lambda: f(t, p, p_alpha=0, r_alpha=0.2, cardinality='reciprocal', p_bias='middle', r_bias='middle')",
    ),
    "tadpak_pa_f1": (
        "prts",
        "tadpak.pak + sklearn f1",
        "from tadpak import pak\nfrom sklearn.metrics import f1_score\n"
        "R=lambda: f1_score(t, pak.pak(p.astype(float), t, 0.5, k=0))",
    ),
    "tadpak_pak_f1": (
        "prts",
        "tadpak.pak + sklearn f1",
        "from tadpak import pak\nfrom sklearn.metrics import f1_score\n"
        "R=lambda: f1_score(t, pak.pak(p.astype(float), t, 0.5, k=20))",
    ),
    "tadpak_pak_auc": (
        "prts",
        "tadpak.pak x101 + sklearn auc",
        "from tadpak import pak\nfrom sklearn.metrics import f1_score, auc\n"
        "R=lambda: auc(np.arange(101)/100, [f1_score(t, pak.pak(p.astype(float), t, 0.5, k=k)) for k in range(101)])",
    ),
    "tsbad_affiliation": (
        "tsbad",
        "TSB-AD affiliation pr_from_events",
        "from TSB_AD.evaluation.affiliation.generics import convert_vector_to_events as c\n"
        "from TSB_AD.evaluation.affiliation.metrics import pr_from_events as f\n"
        "R=lambda: f(c(p), c(t), (0, len(t)))['Affiliation_Recall']",
    ),
    "tsbad_vus": (
        "tsbad",
        "TSB-AD generate_curve(opt)",
        "from TSB_AD.evaluation.basic_metrics import generate_curve as f\n"
        "R=lambda: f(t, s, 100, 'opt', 250)[6]",
    ),
    "aeon_vus_roc": (
        "aeon",
        "aeon range_roc_vus_score",
        "from aeon.benchmarking.metrics.anomaly_detection import range_roc_vus_score as f\n"
        "R=lambda: f(t, s, max_buffer_size=100)",
    ),
    "aeon_vus_pr": (
        "aeon",
        "aeon range_pr_vus_score",
        "from aeon.benchmarking.metrics.anomaly_detection import range_pr_vus_score as f\n"
        "R=lambda: f(t, s, max_buffer_size=100)",
    ),
    "tsadmetrics_nab": (
        "tsad",
        "tsadmetrics NabScore",
        "from tsadmetrics.metrics.tem.dpm.NabScore import NabScore\nR=lambda: NabScore().compute(t, p)",
    ),
    "tsadmetrics_cf": (
        "tsad",
        "tsadmetrics CompositeFScore",
        "from tsadmetrics.metrics.tem.tpdm.CompositeFScore import CompositeFScore\n"
        "R=lambda: CompositeFScore().compute(t, p)",
    ),
    "tsadmetrics_tdir": (
        "tsad",
        "tsadmetrics TotalDetectedInRange",
        "from tsadmetrics.metrics.tem.ptdm.TotalDetectedInRange import TotalDetectedInRange as C\n"
        "R=lambda: C(k=3).compute(t, p)",
    ),
    "tsadmetrics_dair": (
        "tsad",
        "tsadmetrics DetectionAccuracyInRange",
        "from tsadmetrics.metrics.tem.ptdm.DetectionAccuracyInRange import DetectionAccuracyInRange as C\n"
        "R=lambda: C(k=3).compute(t, p)",
    ),
    "tsadmetrics_td": (
        "tsad",
        "tsadmetrics TemporalDistance",
        "from tsadmetrics.metrics.tem.tmem.TemporalDistance import TemporalDistance as C\n"
        "R=lambda: C().compute(t, p)",
    ),
}

SKLEARN = {
    "sk_precision": ("sklearn precision_score", lambda t, p, s, m: m.precision_score(t, p)),
    "sk_recall": ("sklearn recall_score", lambda t, p, s, m: m.recall_score(t, p)),
    "sk_f1": ("sklearn f1_score", lambda t, p, s, m: m.f1_score(t, p)),
    "sk_confusion": ("sklearn confusion_matrix", lambda t, p, s, m: m.confusion_matrix(t, p)),
    "sk_balanced_accuracy": (
        "sklearn balanced_accuracy_score",
        lambda t, p, s, m: m.balanced_accuracy_score(t, p),
    ),
    "sk_roc_auc": ("sklearn roc_auc_score", lambda t, p, s, m: m.roc_auc_score(t, s)),
    "sk_pr_auc": ("sklearn average_precision_score", lambda t, p, s, m: m.average_precision_score(t, s)),
    "sk_best_f1": ("sklearn precision_recall_curve", lambda t, p, s, m: m.precision_recall_curve(t, s)),
}

RUNNER = """
import sys, time, json, warnings
import numpy as np
warnings.simplefilter('ignore')
d = np.load(sys.argv[1]); t, p, s = d['t'], d['p'], d['s']
{code}
t0 = time.perf_counter(); R(); dt = time.perf_counter() - t0
print(json.dumps({{'seconds': dt}}))
"""


def time_ours(fn, t, p, s, repeat: int) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(t, p, s)
        best = min(best, time.perf_counter() - t0)
    return best


def time_ref(key: str, refenvs: Path, data: Path, timeout: float) -> tuple[str, float | str]:
    env, desc, code = REFS[key]
    py = refenvs / env / "bin" / "python"
    if not py.exists():
        return desc, "no env"
    try:
        r = subprocess.run(
            [str(py), "-c", RUNNER.format(code=code), str(data)],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return desc, f">{timeout:.0f}"
    if r.returncode != 0:
        return desc, "error: " + (r.stderr.strip().splitlines() or ["?"])[-1][:60]
    return desc, float(json.loads(r.stdout.strip().splitlines()[-1])["seconds"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--ranges", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--refenvs", type=Path, default=None, help="folder with the scratch reference venvs")
    ap.add_argument("--ref-timeout", type=float, default=600.0)
    ap.add_argument("--only", default=None, help="comma-separated substrings of metric names")
    ap.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = ap.parse_args(argv)

    t, p, s = make_data(args.n, args.ranges)
    n_pred_ranges = int(np.count_nonzero(np.diff(p, prepend=0) == 1))
    print(
        f"n={args.n}, true ranges={args.ranges} ({int(t.sum())} points), predicted ranges={n_pred_ranges} "
        f"({int(p.sum())} points), numpy {np.__version__}"
    )
    from sklearn import metrics as skm

    tmp = Path(tempfile.mkdtemp()) / "bench.npz"
    np.savez(tmp, t=t, p=p, s=s)
    rows = []
    header = f"{'metric':34s} {'ours s':>9s}  {'reference':40s} {'ref s':>9s} {'ratio':>8s}"
    print(header)
    print("-" * len(header))
    for name, (fn, ref) in OURS.items():
        if args.only and not any(x in name for x in args.only.split(",")):
            continue
        ours = time_ours(fn, t, p, s, args.repeat)
        desc, rsec = "", None
        if ref in SKLEARN:
            desc, f = SKLEARN[ref]
            rsec = time_ours(lambda a, b, c: f(a, b, c, skm), t, p, s, 1)
        elif ref is not None and args.refenvs is not None:
            desc, rsec = time_ref(ref, args.refenvs, tmp, args.ref_timeout)
        ratio = f"{rsec / ours:8.1f}" if isinstance(rsec, float) else ""
        rs = f"{rsec:9.3f}" if isinstance(rsec, float) else (rsec or "")
        print(f"{name:34s} {ours:9.4f}  {desc:40s} {rs:>9s} {ratio:>8s}", flush=True)
        rows.append({"metric": name, "ours_s": ours, "reference": desc, "reference_s": rsec})
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
