"""The detector protocol (scikit-learn / PyOD style).

A detector is fitted on the clean train part of a fold and scores every time step of the
(injected) test fold; a higher score means more anomalous. Inputs are scaled with statistics of
the train part (the pipeline does that), shape ``(n, d)``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["Detector"]


@runtime_checkable
class Detector(Protocol):
    """Fit on clean data, score every row.

    Attributes:
        name: short name used in result keys (``"name/metric"``).
    """

    name: str

    def fit(self, X: np.ndarray, segments: np.ndarray | None = None) -> "Detector":
        """Fit on ``X`` ``(n_train, d)``; ``segments`` ``(k, 2)`` are half-open ranges of
        contiguous rows (windows must not cross them; ``None`` = one segment). Returns self."""
        ...

    def score(self, X: np.ndarray) -> np.ndarray:
        """Anomaly score per row of ``X`` ``(n, d)`` -> ``(n,)`` float64, higher = more anomalous."""
        ...
