"""Detector plug-ins: one Python file + one YAML entry (docs/extending.md, "A detector")."""

from __future__ import annotations

import numpy as np

from anogen.detectors.base import BaseDetector
from anogen.params import PositiveFloat, Ratio
from anogen.types import AnogenError


class MedianDistance(BaseDetector):
    """Largest absolute distance to the train median, in units of the train MAD."""

    def __init__(self, name: str = "median_distance", contamination: Ratio = 0.1, floor: PositiveFloat = 1e-9):
        self.name = name
        self.contamination = contamination
        self.floor = floor

    def _fit(self, X: np.ndarray, segments: np.ndarray) -> None:
        self.median_ = np.median(X, axis=0)
        self.mad_ = np.maximum(np.median(np.abs(X - self.median_), axis=0), self.floor)

    def _decision_function(self, X: np.ndarray) -> np.ndarray:
        return (np.abs(X - self.median_) / self.mad_).max(axis=1)


class FailingDetector(BaseDetector):
    """Raises a user-facing error in ``fit`` (the evaluation must record it and go on)."""

    def __init__(self, name: str = "bad", contamination: Ratio = 0.1):
        self.name = name
        self.contamination = contamination

    def _fit(self, X: np.ndarray, segments: np.ndarray) -> None:
        raise AnogenError(f"{self.name}: cannot fit this data ({X.shape[0]} rows)")

    def _decision_function(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover
        return np.zeros(X.shape[0])
