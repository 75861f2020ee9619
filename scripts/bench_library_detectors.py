"""The library-backed detectors against a direct call of their library on the same data, and each on
10,000 rows x 32 columns.

Part 1 (ratio): train and test of ``--rows`` rows x ``--cols`` columns (a noisy sine per column);
each detector's ``fit`` + ``decision_function`` against the library doing the same scoring directly
(mp: ``stumpy.stump`` AB-join per column; poly: TSB-AD's POLY code per column, as vendored in
tests/reference_tsb_ad.py; sr: PyOD's ``SpectralResidual``; kmeans: aeon's ``KMeansAD`` if installed,
else scikit-learn's ``KMeans`` on the same windows; pyod:COPOD: PyOD's ``COPOD``). Best of
``--repeats`` runs, wall and CPU seconds (CPU: this process, all threads). mp's ``fit`` also
self-joins the train part for its train scores (thresholds), work the direct call does not do:
its score-only ratio is shown too.

Part 2: fit on 10,000 x 32 and score 10,000 x 32 (one run each; ``--no-big`` skips it).

Usage: python scripts/bench_library_detectors.py [--rows 2000 --cols 4 --repeats 3] [--no-big]
stumpy compiles its kernels on first use (about a minute, cached on disk after that): run once first.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anogen.detectors import build_detector  # noqa: E402
from anogen.detectors.windows import aggregate_window_scores  # noqa: E402


def series(n: int, d: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)[:, None]
    return np.sin(t / (8 + 3 * np.arange(d))) + 0.1 * rng.standard_normal((n, d))


def best(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """``(wall, cpu)`` seconds, the best of ``repeats`` runs."""
    walls, cpus = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return min(walls), min(cpus)


def direct_calls(train: np.ndarray, test: np.ndarray) -> dict[str, tuple[str, Callable[[], object]]]:
    """The library doing each detector's scoring directly on the same data."""
    import stumpy
    from pyod.models.copod import COPOD
    from pyod.models.ts_spectral_residual import SpectralResidual

    from tests.reference_tsb_ad import tsb_ad_poly

    d = train.shape[1]
    train_cols = [np.ascontiguousarray(train[:, j]) for j in range(d)]   # one contiguous array per column
    test_cols = [np.ascontiguousarray(test[:, j]) for j in range(d)]

    def mp() -> None:
        for j in range(d):
            stumpy.stump(test_cols[j], 20, train_cols[j], ignore_trivial=False)

    def poly() -> None:
        for j in range(d):
            tsb_ad_poly(test_cols[j], power=3, window=20, normalize=False)

    try:
        from aeon.anomaly_detection.series.distance_based import KMeansAD

        def kmeans() -> None:
            KMeansAD(n_clusters=20, window_size=20, random_state=0).fit(train, axis=0).predict(test, axis=0)
        kmeans_lib = "aeon KMeansAD (10 inits; kmeans.yaml: 1)"
    except ImportError:
        from sklearn.cluster import KMeans

        def kmeans() -> None:
            def win(x: np.ndarray) -> np.ndarray:
                return np.lib.stride_tricks.sliding_window_view(x, 20, axis=0).transpose(0, 2, 1).reshape(-1, 20 * d)
            km = KMeans(n_clusters=20, random_state=0, n_init=1, algorithm="lloyd").fit(win(train))
            w = win(test)
            s = np.linalg.norm(w - km.cluster_centers_[km.predict(w)], axis=1)
            aggregate_window_scores(s, np.arange(s.size), 20, test.shape[0], "mean")
        kmeans_lib = "scikit-learn KMeans, 1 init, same windows (aeon not installed)"

    return {
        "mp": ("stumpy.stump AB-join", mp),
        "poly": ("TSB-AD POLY (reference code)", poly),
        "sr": ("PyOD SpectralResidual", lambda: SpectralResidual(score_window=3).fit(train).decision_function(test)),
        "kmeans": (kmeans_lib, kmeans),
        "pyod:COPOD": ("PyOD COPOD", lambda: COPOD().fit(train).decision_function(test)),
    }


def ours(name: str) -> object:
    overrides = {"window": 20} if name in ("mp", "poly") else {}
    return build_detector(name, **overrides)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--cols", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-big", action="store_true")
    a = ap.parse_args()
    train, test = series(a.rows, a.cols, 0), series(a.rows, a.cols, 1)
    warm_train, warm_test = series(300, a.cols, 2), series(200, a.cols, 3)
    print(f"{datetime.date.today()}, {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"\nPart 1: {a.rows:,} train + {a.rows:,} test rows x {a.cols} columns, best of {a.repeats}")
    print("| detector | library call | library wall / CPU s | anogen fit+score wall / CPU s | ratio (wall) | "
          "anogen score only wall | ratio score only |")
    print("|---|---|---|---|---|---|---|")
    calls = direct_calls(train, test)
    for name, (label, call) in calls.items():
        ours(name).fit(warm_train).decision_function(warm_test)  # imports and JIT, once
        call()
        lib = best(call, a.repeats)
        both = best(lambda: ours(name).fit(train).decision_function(test), a.repeats)
        fitted = ours(name).fit(train)
        score = best(lambda: fitted.decision_function(test), a.repeats)
        print(f"| `{name}` | {label} | {lib[0]:.3f} / {lib[1]:.3f} | {both[0]:.3f} / {both[1]:.3f} | "
              f"{both[0] / lib[0]:.2f} | {score[0]:.3f} | {score[0] / lib[0]:.2f} |")
    if a.no_big:
        return
    big_train, big_test = series(10_000, 32, 4), series(10_000, 32, 5)
    print("\nPart 2: fit on 10,000 x 32, score 10,000 x 32 (one run)")
    print("| detector | fit wall / CPU s | score wall / CPU s | total wall s |")
    print("|---|---|---|---|")
    for name in calls:
        det = ours(name)
        w, c = time.perf_counter(), time.process_time()
        det.fit(big_train)
        fw, fc = time.perf_counter() - w, time.process_time() - c
        w, c = time.perf_counter(), time.process_time()
        det.decision_function(big_test)
        sw, sc = time.perf_counter() - w, time.process_time() - c
        print(f"| `{name}` | {fw:.2f} / {fc:.2f} | {sw:.2f} / {sc:.2f} | {fw + sw:.2f} |", flush=True)


if __name__ == "__main__":
    main()
