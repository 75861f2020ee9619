"""Scalers fitted on the train part only (no test leak, unlike the seed's whole-file z-scores)."""

from __future__ import annotations

from typing import Literal

import numpy as np

from anogen.params import check_value
from anogen.types import AnogenError

__all__ = ["Scaler", "ScalingKind"]

#: ``data.scaling``: ``standard`` (mean/std), ``minmax`` (to [0, 1], seed 001) or ``none``
ScalingKind = Literal["standard", "minmax", "none"]


class Scaler:
    """Per-column affine scaling ``(x - shift) / scale``.

    Args:
        kind: ``standard`` (mean/std), ``minmax`` (to [0, 1], seed 001) or ``none``.

    Attributes (after ``fit``):
        shift_: ``(d,)``; scale_: ``(d,)``.

    A constant column (zero spread) gets scale 1, so it is shifted to 0 (``standard``, ``minmax``)
    and stays finite; NaN/inf or values whose mean/spread overflow float64 are an error naming the
    column (:func:`anogen.data.loaders.check_magnitude` refuses them when the data are loaded).
    """

    def __init__(self, kind: ScalingKind = "standard") -> None:
        self.kind = kind

    def fit(self, x: np.ndarray) -> "Scaler":
        """Fit on ``(..., d)`` train data (the kind is checked here: ``data.scaling``)."""
        check_value(self.kind, ScalingKind, "data.scaling")
        x = np.asarray(x, dtype=np.float64)
        d = x.shape[-1]
        flat = x.reshape(-1, d)
        with np.errstate(over="ignore", invalid="ignore"):
            if self.kind == "standard":
                shift, scale = flat.mean(axis=0), flat.std(axis=0)
            elif self.kind == "minmax":
                shift, scale = flat.min(axis=0), flat.max(axis=0) - flat.min(axis=0)
            else:
                shift, scale = np.zeros(d), np.ones(d)
        bad = np.flatnonzero(~(np.isfinite(shift) & np.isfinite(scale)))
        if bad.size:
            raise AnogenError(f"column {int(bad[0])} has NaN/inf values or values too large for float64 statistics; "
                              "rescale it", key="data.scaling")
        self.shift_ = shift
        self.scale_ = np.where(scale > 0, scale, 1.0)
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        """``(..., d)`` original units -> scaled (float64)."""
        return (np.asarray(x, dtype=np.float64) - self.shift_) / self.scale_

    def inverse_transform(self, x: np.ndarray) -> np.ndarray:
        """``(..., d)`` scaled -> original units (float64)."""
        return np.asarray(x, dtype=np.float64) * self.scale_ + self.shift_

    def state(self) -> dict:
        return {"kind": self.kind, "shift": self.shift_.tolist(), "scale": self.scale_.tolist()}
