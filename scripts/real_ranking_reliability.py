#!/usr/bin/env python
"""How far does a real ranking agree with itself? A noise ceiling for docs/selection.md.

The selection's evidence compares a predicted ranking of 7 detectors with the *real* ranking on a
series' labelled test part. That real ranking is itself a noisy measurement: a series with two or
three labelled anomalies ranks the detectors by how they happened to do on those few events. This
script measures that noise on every shipped real series with at least two anomaly events:

1. split the test part in two at the middle of the gap between event ``k`` and ``k + 1``
   (``k`` = half the events, rounded up), so that each half holds whole events;
2. rank the detectors on each half exactly as the evidence ranks them on the whole test part
   (:func:`anogen.evaluate_detectors`: fitted on the clean train part, Borda over VUS-PR and
   range-F1 at the percentile threshold);
3. report the Spearman correlation between the two halves' rankings (split-half reliability),
   and the Spearman-Brown estimate for the whole test part, ``2 r / (1 + r)``.

A predictor, however good, cannot be expected to agree with a measured ranking much better than
the measurement agrees with a repetition of itself: if the whole-part reliability is ``R``, a
perfect predictor's expected correlation with the measured ranking is about ``sqrt(R)``.

    python scripts/real_ranking_reliability.py            # writes docs/real_ranking_reliability.json
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

DETECTORS = ["zscore", "zscore_rolling", "iforest", "lof", "knn", "pca", "ocsvm"]   # as selection_evidence.py


def events(y: np.ndarray) -> list[tuple[int, int]]:
    """``[(start, end)]`` of the runs of 1 in ``y`` (end exclusive)."""
    d = np.diff(np.r_[0, y.astype(np.int8), 0])
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist()))


def split_point(ev: list[tuple[int, int]]) -> int:
    """The row where the second half starts: the middle of the gap after the first half of the events."""
    k = (len(ev) + 1) // 2
    return (ev[k - 1][1] + ev[k][0]) // 2


def halves(name: str) -> dict:
    import anogen
    from anogen.data import real
    from anogen.selection.agreement import spearman

    s = real.load(name)
    y = s.test_labels.astype(np.int64)
    ev = events(y)
    cut = split_point(ev)
    points = []
    for lo, hi in ((0, cut), (cut, len(y))):
        df = anogen.evaluate_detectors(s.train, s.test[lo:hi], y[lo:hi], detectors=DETECTORS)
        points.append(dict(zip(df["detector"], df["points"])))
    a = np.array([points[0][d] for d in DETECTORS])
    b = np.array([points[1][d] for d in DETECTORS])
    return {"name": name, "group": s.meta.get("group", name), "events": len(ev), "cut": int(cut),
            "points": points, "spearman": spearman(a, b)}


def main(argv: list[str] | None = None) -> int:
    from threadpoolctl import threadpool_limits

    from anogen.data import real

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "real_ranking_reliability.json")
    ap.add_argument("--series", nargs="*", default=None)
    args = ap.parse_args(argv)
    names = args.series or [n for n in real.names(real_only=True)
                            if len(events(real.load(n).test_labels)) >= 2]
    out = {}
    with threadpool_limits(1):
        for n in names:
            t0 = time.perf_counter()
            out[n] = halves(n)
            print(f"{n}: {out[n]['events']} events, split-half Spearman {out[n]['spearman']:.2f} "
                  f"({time.perf_counter() - t0:.0f} s)", flush=True)
    r = np.array([v["spearman"] for v in out.values()], np.float64)
    r = r[np.isfinite(r)]
    med = float(np.median(r))
    whole = 2 * med / (1 + med) if med > -1 else float("nan")
    by_group: dict[str, list[float]] = {}
    for v in out.values():
        if np.isfinite(v["spearman"]):
            by_group.setdefault(v["group"], []).append(v["spearman"])
    summary = {"series": len(r), "median_split_half": med, "mean_split_half": float(r.mean()),
               "spearman_brown_whole": whole, "ceiling_sqrt": float(np.sqrt(whole)) if whole > 0 else float("nan"),
               "by_group": {g: float(np.mean(v)) for g, v in sorted(by_group.items())}}
    print(json.dumps(summary, indent=1))
    args.out.write_text(json.dumps({"summary": summary, "series": out}, indent=1, default=float) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
