"""Time-series anomaly detection metrics: pure numpy, vectorised, validated once.

Every metric takes ``y_true`` (0/1 labels) and either ``y_pred`` (0/1 prediction) or
``y_score`` (float anomaly score, higher = more anomalous) of one length, as its
:func:`~anogen.metrics.base.metric` decorator declares, and returns a float (``confusion``,
``detection_counts``, ``vus`` and ``affiliation_pr`` return dicts). Bad input raises
:class:`anogen.types.AnogenError`. See ``docs/metrics.md`` for the exact definitions, the
reference implementations each one matches, and the undefined cases.

Every metric is a decorated function of a module of this package, imported here by name and listed
in :data:`METRICS` and ``__all__`` (``anogen.metrics.f1``); ``tests/test_metrics_suite.py`` checks
that no decorated function of the package is missing from them.
"""

from __future__ import annotations

from typing import Any, Callable

from .adjusted import pak_auc, pak_f1, point_adjust, point_adjusted_f1
from .affiliation import affiliation_pr, affiliation_precision, affiliation_recall
from .base import HEADLINE, metric, metric_input
from .composite import composite_f1, event_recall
from .curves import best_f1, best_f1_threshold, pr_auc, roc_auc, vus, vus_pr, vus_roc
from .kovacs import dair, detection_counts, tdir, temporal_distance, wdd
from .nab import NAB_PROFILES, nab_score
from .pointwise import accuracy, balanced_accuracy, confusion, f1, fbeta, fpr, precision, recall, specificity
from .ranges import range_fbeta, range_precision, range_recall

#: every metric of the package by name (the names ``fn:`` of a ``conf/metrics`` entry may use)
METRICS: dict[str, Callable[..., Any]] = {fn.__name__: fn for fn in (
    accuracy, affiliation_pr, affiliation_precision, affiliation_recall, balanced_accuracy, best_f1, composite_f1,
    confusion, dair, detection_counts, event_recall, f1, fbeta, fpr, nab_score, pak_auc, pak_f1, point_adjusted_f1,
    pr_auc, precision, range_fbeta, range_precision, range_recall, recall, roc_auc, specificity, tdir,
    temporal_distance, vus, vus_pr, vus_roc, wdd,
)}

#: the metrics that take ``(y_true, y_score)``; every other one takes ``(y_true, y_pred)``
SCORE_METRICS = frozenset(name for name, fn in METRICS.items() if metric_input(fn) == "score")

__all__ = [
    "HEADLINE", "METRICS", "NAB_PROFILES", "SCORE_METRICS", "best_f1_threshold", "metric", "metric_input",
    "point_adjust",
    # the metrics (the keys of METRICS)
    "accuracy", "affiliation_pr", "affiliation_precision", "affiliation_recall", "balanced_accuracy", "best_f1",
    "composite_f1", "confusion", "dair", "detection_counts", "event_recall", "f1", "fbeta", "fpr", "nab_score",
    "pak_auc", "pak_f1", "point_adjusted_f1", "pr_auc", "precision", "range_fbeta", "range_precision",
    "range_recall", "recall", "roc_auc", "specificity", "tdir", "temporal_distance", "vus", "vus_pr", "vus_roc",
    "wdd",
]
