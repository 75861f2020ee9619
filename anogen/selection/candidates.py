"""The candidates as the selection sees them: window variants of the windowed detectors (at the
data's dominant period or given lengths) and, in tabular mode, every windowed detector on single rows.

The variants are made by :func:`anogen.detectors.base.window_variant`, the one variant mechanism of
the plain run (``detector_variants``), the API's ``detectors=[...]`` lists and ``select.windows``."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import logging

import numpy as np

from anogen.data.period import data_period, period_window
from anogen.detectors.base import window_variant
from anogen.detectors.windows import resolve_window
from anogen.paths import conf_options
from anogen.evaluation import fresh_detectors
from anogen.types import AnogenError

__all__ = ["for_rows", "data_period", "window_variants", "with_period_variants", "PERIOD_VARIANTS"]

#: the candidates whose window of the data's cycle (``knn@period``) joins the pool by default
#: (``select.period_variants``): the two best period variants on the shipped real series, the cheapest two,
#: and the pool that won the leave-one-source-out evaluation (docs/selection.md)
PERIOD_VARIANTS = ("knn", "lof")

log = logging.getLogger(__name__)


def for_rows(detectors: Mapping[str, Any]) -> dict[str, Any]:
    """Tabular mode: every windowed estimator detector (``window`` and ``stride`` parameters) sees
    single rows (``window=1``); the others are unchanged."""
    out = fresh_detectors(detectors)
    for det in out.values():
        params = det.get_params(deep=False) if hasattr(det, "get_params") else {}
        if "window" in params and "stride" in params:
            det.set_params(window=1, stride=1)
    return out


def with_period_variants(detectors: Mapping[str, Any], names: Sequence[str],
                         key: str = "select.period_variants") -> dict[str, Any]:
    """The candidates plus ``NAME@period`` (a copy of candidate ``NAME`` on windows of the data's
    cycle) for every ``NAME`` of ``names`` that is a candidate and has no such variant yet;
    :func:`window_variants` then fixes its window, or leaves it out where it would copy ``NAME``
    (no clear cycle) or be too wide.

    Raises:
        AnogenError: a ``NAME`` that is neither a candidate nor a packaged detector (a typo would
            otherwise pass silently), or whose detector has no ``window`` parameter.
    """
    out = dict(detectors)
    for name in names:
        variant = f"{name}@period"
        if name not in detectors and name not in conf_options("detectors"):
            raise AnogenError(f"{name!r} is neither a candidate ({', '.join(detectors)}) nor a packaged detector",
                              key=key)
        if name not in detectors or variant in out:
            continue
        params = detectors[name].get_params(deep=False) if hasattr(detectors[name], "get_params") else {}
        if "window" not in params:
            raise AnogenError(f"{name!r} has no window parameter, so it has no period variant; give windowed "
                              "candidates (knn, lof, iforest, pca, ocsvm, kmeans, ...) or []", key=key)
        try:
            out[variant] = window_variant(detectors[name], "period", variant)
        except AnogenError as e:   # e.g. zscore: its window is a number of rows only
            raise AnogenError(f"{name!r} takes no period window ({e})", key=key) from None
    return out


def window_variants(detectors: Mapping[str, Any], windows: Sequence[Any],
                    train: np.ndarray, max_values: int | None = None,
                    left_out: dict[str, str] | None = None) -> tuple[dict[str, Any], dict[str, int]]:
    """The candidates plus a variant of every windowed one (``window`` and ``stride`` parameters)
    per entry of ``windows`` (an int or ``"period"``): ``({name: detector}, {variant: window})``.
    A variant whose window equals its candidate's is left out. ``period`` is the dominant period of
    ``train`` within the bounds of :func:`anogen.data.period.period_window`; data without a clear
    cycle are an error here (the variant would copy the fallback window).

    The windows mapping also holds, for every candidate whose own ``window`` is taken from the
    period (``auto``, ``period``, ``2period``: :func:`anogen.detectors.windows.resolve_window`), the
    length it resolves to on ``train``, so the report names it.

    A named period variant among the candidates (``knn@period``, ``lof@2period``) is fixed at the
    length it resolves to on ``train`` (as :func:`anogen.evaluate_detectors` fits it on the whole
    train part), and left out, logged, where it would add nothing or cost too much:

    * its window resolves to its candidate's own (``knn@period`` on data without a clear cycle
      takes the fallback window, 10 rows: a copy of ``knn``);
    * its windows hold more than ``max_values`` values (window x columns; ``None``: no bound):
      on wide data a period-long window makes the nearest-neighbour distances many times dearer
      (``select.max_window_values``).

    ``left_out``, when given, is filled with ``{variant: why}`` for the report."""
    out, sizes = dict(detectors), {}
    for name, det in detectors.items():
        w = det.get_params(deep=False).get("window") if hasattr(det, "get_params") else None
        if isinstance(w, str):
            sizes[name] = resolve_window(w, train, owner=name)
    columns = int(np.asarray(train).reshape(len(train), -1).shape[1])
    for name in [n for n in sizes if "@" in n]:
        base_name = name.partition("@")[0]
        base = out.get(base_name)
        bw = base.get_params(deep=False).get("window") if hasattr(base, "get_params") else None
        if bw is not None and sizes.get(base_name, bw) == sizes[name]:
            why = f"its window resolves to {sizes[name]} rows, {base_name}'s own (no clear cycle): a copy of it"
        elif max_values is not None and sizes[name] * columns > max_values:
            why = (f"its window of {sizes[name]} rows x {columns} columns holds {sizes[name] * columns:,} values, "
                   f"over select.max_window_values = {max_values:,}")
        else:   # fixed at the length it resolves to on the whole train part, as evaluate_detectors fits it
            out[name] = window_variant(out[name], sizes[name], name)
            continue
        log.info("%s: left out: %s", name, why)
        if left_out is not None:
            left_out[name] = why
        del out[name], sizes[name]
    for w in windows:
        if w == "period":
            period = data_period(train)
            if period is None:
                raise AnogenError("select.windows: period: the train data have no clear cycle (no autocorrelation "
                                  "peak above 0.2 in any column); give window lengths instead, e.g. [10, 50]")
            size, label = period_window(train, period=period), "period"
        else:
            size, label = int(w), f"w{int(w)}"
        for name, det in detectors.items():
            params = det.get_params(deep=False) if hasattr(det, "get_params") else {}
            if "@" in name or f"{name}@{label}" in out:   # a variant has no variants; one by name is kept
                continue
            if "window" not in params or "stride" not in params or params["window"] == size:
                continue
            out[f"{name}@{label}"] = window_variant(det, size, f"{name}@{label}")
            sizes[f"{name}@{label}"] = size
    return out, sizes
