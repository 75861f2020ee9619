"""The config-facing side of the metrics: one :class:`Metric` per YAML entry.

A file ``conf/metrics/kovacs.yaml`` holds entries such as::

    tdir: {_target_: anogen.metrics.suite.Metric, fn: tdir, input: pred, k: 3}

The pipeline instantiates every entry (``hydra.utils.instantiate``) into a
``dict[str, Metric]`` and calls :func:`compute_metrics` once per detector; the result keys
are the entry names (prefix them with the detector name: ``detector/metric``).
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any, Callable, Mapping

import numpy as np

from anogen.types import AnogenError

__all__ = ["Metric", "compute_metrics", "resolve_metric"]

_INPUTS = ("pred", "score")


def resolve_metric(fn: str) -> Callable[..., Any]:
    """Find a metric function by name (``"tdir"``) or dotted path (``"pkg.mod.func"``)."""
    import anogen.metrics as metrics

    if not isinstance(fn, str) or not fn:
        raise AnogenError(f"metric fn must be a function name such as 'f1', got {fn!r}")
    if "." not in fn:
        if fn in metrics.__all__ and callable(getattr(metrics, fn)):
            return getattr(metrics, fn)
        names = ", ".join(n for n in metrics.__all__ if callable(getattr(metrics, n)))
        raise AnogenError(f"unknown metric fn {fn!r}; valid: {names}, or a dotted path")
    mod_name, _, attr = fn.rpartition(".")
    try:
        obj = getattr(importlib.import_module(mod_name), attr)
    except (ImportError, AttributeError) as e:
        raise AnogenError(f"metric fn {fn!r} cannot be imported: {e}") from None
    if not callable(obj):
        raise AnogenError(f"metric fn {fn!r} is not callable")
    return obj


class Metric:
    """One configured metric: a function of ``anogen.metrics`` plus its keyword arguments.

    Args:
        fn: function name in :mod:`anogen.metrics` (e.g. ``"range_fbeta"``) or a dotted path
            to any function ``f(y_true, y_pred_or_score, **kwargs)``.
        input: ``"pred"`` (gets the thresholded 0/1 prediction) or ``"score"`` (gets the
            raw anomaly score).
        name: result key; default: the key of the entry in ``compute_metrics``, else ``fn``.
        **kwargs: keyword arguments of ``fn`` (checked against its signature now, so a typo
            fails when the config is loaded, not after the detectors ran).

    Calling it returns ``{name: value}``; a function returning a dict (``confusion``,
    ``detection_counts``, ``vus``, ``affiliation_pr``) is flattened to ``{name/key: value}``.
    """

    def __init__(self, fn: str, input: str = "pred", name: str | None = None, **kwargs: Any) -> None:
        self.fn = fn
        self.func = resolve_metric(fn)
        if input not in _INPUTS:
            raise AnogenError(f"metric {name or fn!r}: input must be one of pred, score; got {input!r}")
        self.input = input
        self.name = name
        self.kwargs = dict(kwargs)
        try:
            inspect.signature(self.func).bind(None, None, **self.kwargs)
        except TypeError as e:
            params = [p for p in inspect.signature(self.func).parameters][2:]
            raise AnogenError(
                f"metric {name or fn!r}: bad arguments {sorted(self.kwargs)} for {fn} ({e}); "
                f"valid keyword arguments: {', '.join(params) or 'none'}"
            ) from None

    def __repr__(self) -> str:
        kw = "".join(f", {k}={v!r}" for k, v in self.kwargs.items())
        return f"Metric({self.fn!r}, input={self.input!r}, name={self.name!r}{kw})"

    def compute(self, y_true, y_pred=None, y_score=None, name: str | None = None) -> dict[str, float]:
        """Evaluate the metric; ``name`` overrides the default key (``self.name`` wins)."""
        key = self.name or name or self.fn
        x = y_pred if self.input == "pred" else y_score
        if x is None:
            what = "a thresholded prediction (y_pred)" if self.input == "pred" else "scores (y_score)"
            raise AnogenError(f"metric {key!r} needs {what}, got None")
        value = self.func(y_true, x, **self.kwargs)
        if isinstance(value, Mapping):
            return {f"{key}/{k}": float(v) for k, v in value.items()}
        return {key: float(value)}

    def __call__(self, y_true, y_pred=None, y_score=None) -> dict[str, float]:
        """``{name: value}`` for one series.

        Args:
            y_true: ``(n,)`` 0/1 labels.
            y_pred: ``(n,)`` 0/1 prediction (needed when ``input == "pred"``).
            y_score: ``(n,)`` anomaly scores (needed when ``input == "score"``).
        """
        return self.compute(y_true, y_pred, y_score)


def compute_metrics(metrics: Mapping[str, Metric], y_true, y_pred=None, y_score=None) -> dict[str, float]:
    """Evaluate every configured metric on one series.

    Args:
        metrics: ``{entry name: Metric}`` (e.g. the instantiated ``cfg.metrics``).
        y_true: ``(n,)`` 0/1 labels.
        y_pred: ``(n,)`` 0/1 prediction for the ``input: pred`` metrics.
        y_score: ``(n,)`` scores for the ``input: score`` metrics.

    Returns:
        Flat ``{metric name: float}`` in the order of ``metrics``.
    """
    y_true = np.asarray(y_true)
    out: dict[str, float] = {}
    for key, m in metrics.items():
        if not isinstance(m, Metric):
            raise AnogenError(f"metrics.{key} must be an anogen.metrics.suite.Metric, got {type(m).__name__}")
        res = m.compute(y_true, y_pred, y_score, name=key)
        dup = set(res) & set(out)
        if dup:
            raise AnogenError(f"metric name {sorted(dup)[0]!r} is produced twice; rename metrics.{key}")
        out.update(res)
    return out
