"""The config-facing side of the metrics: one :class:`Metric` per YAML entry.

A file ``conf/metrics/kovacs.yaml`` holds entries such as::

    tdir: {_target_: anogen.metrics.suite.Metric, fn: tdir, k: 3}

``fn`` names a metric function (declared with :func:`anogen.metrics.metric`, which says whether
it takes the prediction or the scores); the other keys are its keyword arguments. The jobs build
every entry into a ``dict[str, Metric]`` and call :func:`compute_metrics` once per detector;
the result keys are the entry names (prefix them with the detector name: ``detector/metric``).
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any, Callable, Mapping, get_args

import numpy as np

from anogen.metrics import METRICS
from anogen.metrics.base import Input, metric_input
from anogen.types import AnogenError

__all__ = ["Metric", "compute_metrics", "resolve_metric"]


def resolve_metric(fn: str | Callable[..., Any]) -> Callable[..., Any]:
    """Find a metric function by name (``"tdir"``), dotted path (``"pkg.mod.func"``) or as given."""
    if callable(fn):
        return fn
    if not isinstance(fn, str) or not fn:
        raise AnogenError(f"metric fn must be a function name such as 'f1', got {fn!r}")
    if "." not in fn:
        if fn in METRICS:
            return METRICS[fn]
        raise AnogenError(f"unknown metric fn {fn!r}; valid: {', '.join(METRICS)}, or a dotted path")
    mod_name, _, attr = fn.rpartition(".")
    try:
        obj = getattr(importlib.import_module(mod_name), attr)
    except (ImportError, AttributeError) as e:
        raise AnogenError(f"metric fn {fn!r} cannot be imported: {e}") from None
    if not callable(obj):
        raise AnogenError(f"metric fn {fn!r} is not callable")
    return obj


def _input_of(func: Callable[..., Any], input: str | None, label: str) -> Input:
    """The input a metric gets: its declaration; ``input`` only for an undeclared function."""
    declared = metric_input(func)
    if input is not None and input not in get_args(Input):
        raise AnogenError(f"metric {label!r}: input must be one of pred, score; got {input!r}")
    if declared is not None and input is not None and input != declared:
        raise AnogenError(f"metric {label!r}: its function is declared with @metric(input={declared!r}); "
                          f"input={input!r} contradicts it (leave input out)")
    if declared is None and input is None:
        raise AnogenError(f"metric {label!r}: the function does not say what it takes; decorate it with "
                          "@anogen.metrics.metric(input='pred' or 'score') (or give input)")
    return declared or input  # type: ignore[return-value]


class Metric:
    """One configured metric: a metric function plus its keyword arguments.

    Args:
        fn: a metric function, its name in :data:`anogen.metrics.METRICS` (e.g. ``"range_fbeta"``)
            or a dotted path to any function ``f(y_true, y_pred_or_score, **kwargs)``.
        input: only for a function without a :func:`~anogen.metrics.metric` declaration:
            ``"pred"`` (gets the thresholded 0/1 prediction) or ``"score"`` (the raw scores).
        name: result key; default: the key of the entry in ``compute_metrics``, else ``fn``'s name.
        **kwargs: keyword arguments of ``fn`` (checked against its signature now, so a typo
            fails when the config is loaded, not after the detectors ran).

    Calling it returns ``{name: value}``; a function returning a dict (``confusion``,
    ``detection_counts``, ``vus``, ``affiliation_pr``) is flattened to ``{name/key: value}``.
    """

    def __init__(self, fn: str | Callable[..., Any], input: str | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        self.fn = fn if isinstance(fn, str) else getattr(fn, "__name__", repr(fn))
        self.func = resolve_metric(fn)
        self.input: Input = _input_of(self.func, input, name or self.fn)
        self.name = name
        self.kwargs = dict(kwargs)
        try:
            inspect.signature(self.func).bind(None, None, **self.kwargs)
        except TypeError as e:
            params = [p for p in inspect.signature(self.func).parameters][2:]
            raise AnogenError(
                f"metric {name or self.fn!r}: bad arguments {sorted(self.kwargs)} for {self.fn} ({e}); "
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


def compute_metrics(metrics: Mapping[str, Metric | Callable[..., Any]], y_true, y_pred=None,
                    y_score=None) -> dict[str, float]:
    """Evaluate every configured metric on one series.

    Args:
        metrics: ``{entry name: Metric}`` (e.g. the built ``cfg.metrics``); a declared metric
            function (``{"auc": anogen.metrics.roc_auc}``) is taken as ``Metric(fn)``.
        y_true: ``(n,)`` 0/1 labels.
        y_pred: ``(n,)`` 0/1 prediction, for the metrics declared ``input="pred"``.
        y_score: ``(n,)`` scores, for the metrics declared ``input="score"``.

    Returns:
        Flat ``{metric name: float}`` in the order of ``metrics``.
    """
    y_true = np.asarray(y_true)
    out: dict[str, float] = {}
    for key, m in metrics.items():
        if not isinstance(m, Metric):
            if not (callable(m) and metric_input(m) is not None):
                raise AnogenError(f"metrics.{key} must be an anogen.metrics.suite.Metric or a function declared "
                                  f"with @anogen.metrics.metric, got {type(m).__name__}")
            m = Metric(m)
        res = m.compute(y_true, y_pred, y_score, name=key)
        dup = set(res) & set(out)
        if dup:
            raise AnogenError(f"metric name {sorted(dup)[0]!r} is produced twice; rename metrics.{key}")
        out.update(res)
    return out
