"""The candidates as the selection sees them: window variants of the windowed detectors (at the
data's dominant period or given lengths) and, in tabular mode, every windowed detector on single rows."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from anogen.evaluation import fresh_detectors
from anogen.samplers.kinds.signal import dominant_period
from anogen.types import AnogenError

__all__ = ["for_rows", "data_period", "window_variants"]


def for_rows(detectors: Mapping[str, Any]) -> dict[str, Any]:
    """Tabular mode: every windowed estimator detector (``window`` and ``stride`` parameters) sees
    single rows (``window=1``); the others are unchanged."""
    out = fresh_detectors(detectors)
    for det in out.values():
        params = det.get_params(deep=False) if hasattr(det, "get_params") else {}
        if "window" in params and "stride" in params:
            det.set_params(window=1, stride=1)
    return out


def data_period(train: np.ndarray) -> int | None:
    """The dominant period of ``(n, d)`` rows: the median of the columns' periods (``None``
    when no column has a clear cycle, :func:`anogen.samplers.kinds.signal.dominant_period`)."""
    found = [p for p in (dominant_period(np.asarray(train)[:, j]) for j in range(np.shape(train)[1])) if p]
    return int(np.median(found)) if found else None


def window_variants(detectors: Mapping[str, Any], windows: Sequence[Any],
                    train: np.ndarray) -> tuple[dict[str, Any], dict[str, int]]:
    """The candidates plus a variant of every windowed one (``window`` and ``stride`` parameters)
    per entry of ``windows`` (an int or ``"period"``): ``({name: detector}, {variant: window})``.
    A variant whose window equals its candidate's is left out."""
    out, sizes = dict(detectors), {}
    for w in windows:
        if w == "period":
            size = data_period(train)
            if size is None:
                raise AnogenError("select.windows: period: the train data have no clear cycle (no autocorrelation "
                                  "peak above 0.2 in any column); give window lengths instead, e.g. [10, 50]")
            label = "period"
        else:
            size, label = int(w), f"w{int(w)}"
        for name, det in fresh_detectors(detectors).items():
            params = det.get_params(deep=False) if hasattr(det, "get_params") else {}
            if "window" not in params or "stride" not in params or params["window"] == size:
                continue
            det.set_params(window=size, **({"name": f"{name}@{label}"} if "name" in params else {}))
            out[f"{name}@{label}"] = det
            sizes[f"{name}@{label}"] = size
    return out, sizes
