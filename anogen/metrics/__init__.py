"""Time-series anomaly detection metrics: pure numpy, vectorised, validated once.

Every function takes ``y_true`` (0/1 labels) and either ``y_pred`` (0/1 prediction) or
``y_score`` (float anomaly score, higher = more anomalous) of one length and returns a
float (``confusion``, ``detection_counts``, ``vus`` and ``affiliation_pr`` return dicts).
Bad input raises :class:`anogen.types.AnogenError`. See ``docs/metrics.md`` for the exact
definitions, the reference implementations each one matches, and the undefined cases.
"""

from .adjusted import pak_auc, pak_f1, point_adjust, point_adjusted_f1
from .affiliation import affiliation_pr, affiliation_precision, affiliation_recall
from .composite import composite_f1, event_recall
from .curves import best_f1, best_f1_threshold, pr_auc, roc_auc, vus, vus_pr, vus_roc
from .kovacs import dair, detection_counts, tdir, temporal_distance, wdd
from .nab import NAB_PROFILES, nab_score
from .pointwise import (
    accuracy,
    balanced_accuracy,
    confusion,
    f1,
    fbeta,
    fpr,
    precision,
    recall,
    specificity,
)
from .ranges import range_fbeta, range_precision, range_recall

#: Metrics that take ``(y_true, y_score)``; every other public metric takes ``(y_true, y_pred)``.
SCORE_METRICS = frozenset({"roc_auc", "pr_auc", "best_f1", "vus", "vus_roc", "vus_pr"})

__all__ = [
    "NAB_PROFILES",
    "SCORE_METRICS",
    "accuracy",
    "affiliation_pr",
    "affiliation_precision",
    "affiliation_recall",
    "balanced_accuracy",
    "best_f1",
    "best_f1_threshold",
    "composite_f1",
    "confusion",
    "dair",
    "detection_counts",
    "event_recall",
    "f1",
    "fbeta",
    "fpr",
    "nab_score",
    "pak_auc",
    "pak_f1",
    "point_adjust",
    "point_adjusted_f1",
    "pr_auc",
    "precision",
    "range_fbeta",
    "range_precision",
    "range_recall",
    "recall",
    "roc_auc",
    "specificity",
    "tdir",
    "temporal_distance",
    "vus",
    "vus_pr",
    "vus_roc",
    "wdd",
]
