"""Time-series anomaly detection metrics: pure numpy, vectorised, validated once.

Every metric takes ``y_true`` (0/1 labels) and either ``y_pred`` (0/1 prediction) or
``y_score`` (float anomaly score, higher = more anomalous) of one length, as its
:func:`~anogen.metrics.base.metric` decorator declares, and returns a float (``confusion``,
``detection_counts``, ``vus`` and ``affiliation_pr`` return dicts). Bad input raises
:class:`anogen.types.AnogenError`. See ``docs/metrics.md`` for the exact definitions, the
reference implementations each one matches, and the undefined cases.

Every decorated function of a module of this package is collected into :data:`METRICS` and
exported here by its name (``anogen.metrics.f1``): adding a metric is one decorated function.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any, Callable

from .adjusted import point_adjust
from .base import HEADLINE, metric, metric_input
from .curves import best_f1_threshold
from .nab import NAB_PROFILES


def _collect() -> dict[str, Callable[..., Any]]:
    """``{name: function}`` of every declared metric defined in a module of this package."""
    found: dict[str, Callable[..., Any]] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for name, obj in vars(module).items():
            if metric_input(obj) is not None and getattr(obj, "__module__", None) == module.__name__:
                found[name] = obj
    return dict(sorted(found.items()))


#: every metric of the package by name (the names ``fn:`` of a ``conf/metrics`` entry may use)
METRICS: dict[str, Callable[..., Any]] = _collect()
globals().update(METRICS)

#: the metrics that take ``(y_true, y_score)``; every other one takes ``(y_true, y_pred)``
SCORE_METRICS = frozenset(name for name, fn in METRICS.items() if metric_input(fn) == "score")

__all__ = ["HEADLINE", "METRICS", "NAB_PROFILES", "SCORE_METRICS", "best_f1_threshold", "metric", "metric_input",
           "point_adjust", *METRICS]
