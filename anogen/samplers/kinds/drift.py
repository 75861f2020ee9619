"""``drift``: a linear, quadratic or exponential drift added to the segment (MATLAB's drift)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from anogen.params import PositiveFloat
from anogen.samplers.kinds.base import AnomalyKind, Direction, PositiveSpread, Segment, draw, sign

__all__ = ["Drift"]


@dataclass(frozen=True)
class Drift(AnomalyKind):
    """``x + sign * magnitude * s * r(u)`` with ``u = (i + 1) / L`` (``s`` = the column's train
    std): ``linear`` ``r = u``, ``quadratic`` ``r = u^2``, ``exponential``
    ``r = (e^(rate u) - 1) / (e^rate - 1)``; every shape reaches ``magnitude`` stds at the last
    row (MATLAB's ``beta n``, ``beta n^2`` and exponential drift, scaled to the event). The data
    return to normal after the event (a sensor re-calibrated), so only the event's rows change.

    Args:
        shape: ``linear``, ``quadratic`` or ``exponential``.
        magnitude: the drift at the last row in train stds; a number or ``[low, high]``.
        rate: growth rate of the exponential shape (larger = later and steeper).
        direction: ``up``, ``down`` or ``both`` (random per event).
    """

    name: ClassVar[str] = "drift"
    family: ClassVar[str] = "collective"
    min_length: ClassVar[int] = 1
    shape: Literal["linear", "quadratic", "exponential"] = "linear"
    magnitude: PositiveSpread = 3.0
    rate: PositiveFloat = 5.0
    direction: Direction = "both"

    def curve(self, length: int) -> np.ndarray:
        """``(length,)`` the drift's shape ``r(u)``, from near 0 to 1."""
        u = np.arange(1, length + 1, dtype=np.float64) / length
        if self.shape == "linear":
            return u
        if self.shape == "quadratic":
            return u**2
        return np.expm1(self.rate * u) / np.expm1(self.rate)

    def apply(self, seg: Segment, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Any]]:
        mag, sgn = draw(self.magnitude, rng), sign(self.direction, rng)
        return seg.values + sgn * mag * seg.std * self.curve(seg.length), \
            {"shape": self.shape, "magnitude": mag, "sign": sgn}
