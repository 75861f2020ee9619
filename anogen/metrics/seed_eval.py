"""The seed's ``eval`` task: Kovács metrics (and every other label metric) per series pair.

Input (``-t eval -f INPUT.json``)::

    {"targets": [[0, 0, 1, ...], ...], "candidates": [[0, 1, 0, ...], ...], "range": 3}

One target/candidate pair per series. :func:`evaluate_pairs` returns the seed's per-pair
lists ``td``, ``tdir``, ``dair``, ``exact_match``, ``detected_anomaly``, ``missed_anomaly``,
``false_anomaly`` and their ``average_*``, plus the other label-based metrics per pair and
averaged (``precision``, ``recall``, ``f1``, ..., ``nab_score``). A metric that is undefined
for a pair (NAB on a series without anomaly) is ``None`` there and left out of its average.
"""

from __future__ import annotations

import numbers
from typing import Any, Callable

import numpy as np

from anogen.types import AnogenError

from . import adjusted, composite, kovacs, nab, pointwise, ranges
from .affiliation import affiliation_precision, affiliation_recall

__all__ = ["evaluate_pairs", "check_eval_input", "SEED_KEYS"]

#: the seed's own per-pair keys, in its order
SEED_KEYS = ("td", "tdir", "dair", "exact_match", "detected_anomaly", "missed_anomaly", "false_anomaly")


def _pair_array(x: Any, key: str, i: int) -> np.ndarray:
    if isinstance(x, (str, bytes)) or not hasattr(x, "__len__"):
        raise AnogenError(f"{key}[{i}] must be a list of 0/1 values, got {type(x).__name__}")
    a = np.asarray(x)
    if a.ndim != 1:
        raise AnogenError(f"{key}[{i}] must be a flat list of 0/1 values, got shape {a.shape}")
    if a.shape[0] == 0:
        raise AnogenError(f"{key}[{i}] is empty: need at least one time step")
    if a.dtype == bool:
        return a
    if a.dtype == object or not np.issubdtype(a.dtype, np.number):
        bad = next((v for v in a.tolist() if isinstance(v, bool) or not isinstance(v, numbers.Real)), a[0])
        raise AnogenError(f"{key}[{i}] must contain only 0/1 values; found {bad!r}")
    badm = (a != 0) & (a != 1)
    if badm.any():
        j = int(np.flatnonzero(badm)[0])
        raise AnogenError(f"{key}[{i}] must contain only 0/1 values; found {a[j].item()!r} at index {j}")
    return a != 0


def check_eval_input(targets: Any, candidates: Any, k: Any) -> tuple[list[np.ndarray], list[np.ndarray], int]:
    """Validate the seed's eval input.

    Args:
        targets: list of 0/1 lists (true labels), one per series.
        candidates: list of 0/1 lists (detector output), same count and lengths.
        k: the ``range`` tolerance, a non-negative integer.

    Returns:
        ``(targets, candidates, k)`` as bool arrays and an int.

    Raises:
        AnogenError: naming the offending key, index and value.
    """
    if (
        isinstance(k, bool)
        or not isinstance(k, numbers.Real)
        or (isinstance(k, float) and not k.is_integer())
    ):
        raise AnogenError(f"must be a non-negative integer, got {k!r}", key="range", sep=" ")
    if k < 0:
        raise AnogenError(f"must be a non-negative integer, got {k!r}", key="range", sep=" ")
    k = int(k)
    for key, v in (("targets", targets), ("candidates", candidates)):
        if isinstance(v, (str, bytes, dict)) or not isinstance(v, (list, tuple, np.ndarray)):
            raise AnogenError(f"{key} must be a list of 0/1 lists, got {type(v).__name__}")
        if len(v) == 0:
            raise AnogenError(f"{key} is empty: give one list per series")
    if len(targets) != len(candidates):
        raise AnogenError(
            "targets and candidates must have the same number of series, "
            f"got {len(targets)} and {len(candidates)}"
        )
    ts = [_pair_array(x, "targets", i) for i, x in enumerate(targets)]
    cs = [_pair_array(x, "candidates", i) for i, x in enumerate(candidates)]
    for i, (t, c) in enumerate(zip(ts, cs)):
        if t.shape[0] != c.shape[0]:
            raise AnogenError(
                f"targets[{i}] has length {t.shape[0]} but candidates[{i}] has length {c.shape[0]}"
            )
    return ts, cs, k


def _other_metrics(k: int) -> dict[str, Callable[[np.ndarray, np.ndarray], float]]:
    return {
        "wdd": lambda t, p: kovacs.wdd(t, p, k=k),
        "precision": pointwise.precision,
        "recall": pointwise.recall,
        "f1": pointwise.f1,
        "fpr": pointwise.fpr,
        "specificity": pointwise.specificity,
        "accuracy": pointwise.accuracy,
        "balanced_accuracy": pointwise.balanced_accuracy,
        "range_precision": ranges.range_precision,
        "range_recall": ranges.range_recall,
        "range_f1": ranges.range_fbeta,
        "point_adjusted_f1": adjusted.point_adjusted_f1,
        "pak_auc": adjusted.pak_auc,
        "affiliation_precision": affiliation_precision,
        "affiliation_recall": affiliation_recall,
        "composite_f1": composite.composite_f1,
        "nab_score": nab.nab_score,
    }


def evaluate_pairs(targets: Any, candidates: Any, k: Any) -> dict[str, Any]:
    """The seed's evaluation of target/candidate pairs, fixed and extended.

    Args:
        targets: list of 0/1 lists (true labels), one per series.
        candidates: list of 0/1 lists (predictions), same count and lengths.
        k: tolerance (the seed's ``range``), a non-negative integer.

    Returns:
        JSON-able dict: ``range``, ``n_pairs``; the seed's lists (``td``, ``tdir``, ``dair``,
        ``exact_match``, ``detected_anomaly``, ``missed_anomaly``, ``false_anomaly``) with
        one entry per pair and their ``average_<key>``; the same for ``wdd``, the point-wise,
        range-based, point-adjusted, affiliation, composite and NAB metrics.
    """
    ts, cs, k = check_eval_input(targets, candidates, k)
    out: dict[str, Any] = {"range": k, "n_pairs": len(ts)}
    lists: dict[str, list] = {key: [] for key in SEED_KEYS}
    others = _other_metrics(k)
    lists.update({key: [] for key in others})
    for t, c in zip(ts, cs):
        counts = kovacs.detection_counts(t, c, k)
        lists["td"].append(kovacs.temporal_distance(t, c))
        lists["tdir"].append(kovacs.tdir(t, c, k))
        lists["dair"].append(kovacs.dair(t, c, k))
        lists["exact_match"].append(counts["EM"])
        lists["detected_anomaly"].append(counts["DA"])
        lists["missed_anomaly"].append(counts["MA"])
        lists["false_anomaly"].append(counts["FA"])
        for key, fn in others.items():
            if key == "nab_score" and not t.any():
                lists[key].append(None)
            else:
                lists[key].append(float(fn(t, c)))
    for key, vals in lists.items():
        out[key] = vals
        defined = [v for v in vals if v is not None]
        out[f"average_{key}"] = float(np.mean(defined)) if defined else None
    return out
