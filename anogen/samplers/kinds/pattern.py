"""``pattern``: the segment's shape distorted (time warp, reversal or flip)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from anogen.samplers.kinds.base import AnomalyKind, FactorSpread, Segment, draw
from anogen.samplers.kinds.signal import interp_at, reflect

__all__ = ["Pattern"]


@dataclass(frozen=True)
class Pattern(AnomalyKind):
    """Shape distortion of the segment.

    Args:
        style: ``warp`` (time ``u -> u ** g`` inside the segment, ``g`` = ``strength`` or its
            inverse at random), ``reverse`` (time reversal; weak on a nearly symmetric stretch such
            as a peak) or ``flip`` (mirrored around the segment mean).
        strength: warp exponent > 1; a number or ``[low, high]`` (drawn per event).
    """

    name: ClassVar[str] = "pattern"
    family: ClassVar[str] = "shape"
    needs_variation: ClassVar[bool] = True
    style: Literal["warp", "reverse", "flip"] = "warp"
    strength: FactorSpread = 3.0

    def apply(self, seg: Segment, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Any]]:
        x = seg.values
        if self.style == "reverse":
            return x[::-1].copy(), {"style": self.style}
        if self.style == "flip":
            return 2.0 * x.mean() - x, {"style": self.style}
        g = draw(self.strength, rng)
        g = g if rng.random() < 0.5 else 1.0 / g
        # row i sits at time s + i = s - 0.5 + L * u_i, u_i = (i + 0.5) / L; warp u -> u ** g
        # (the neighbours just outside the segment anchor its ends, so no row stays put)
        L = seg.length
        u = (np.arange(L) + 0.5) / L
        pos = reflect(seg.start - 0.5 + L * u**g, seg.test.shape[0])
        return interp_at(seg.series, pos), {"style": self.style, "exponent": g}
