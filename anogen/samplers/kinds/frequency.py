"""``frequency``: the column resampled faster or slower around the segment centre."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from anogen.samplers.kinds.base import AnomalyKind, Direction, FactorSpread, Segment, draw, sign
from anogen.samplers.kinds.signal import interp_at, reflect

__all__ = ["Frequency"]


@dataclass(frozen=True)
class Frequency(AnomalyKind):
    """The column resampled ``factor`` times faster (up) or slower (down) around the segment
    centre, re-centred on the segment mean.

    Args:
        factor: > 1; a number or ``[low, high]`` (drawn per event).
        direction: ``up`` (faster), ``down`` (slower) or ``both`` (random per event).
    """

    name: ClassVar[str] = "frequency"
    family: ClassVar[str] = "shape"
    needs_variation: ClassVar[bool] = True
    factor: FactorSpread = 2.0
    direction: Direction = "both"

    def apply(self, seg: Segment, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Any]]:
        f0 = draw(self.factor, rng)
        f = f0 if sign(self.direction, rng) > 0 else 1.0 / f0
        L = seg.length
        centre = seg.start + (L - 1) / 2.0
        pos = reflect(centre + f * (np.arange(L) - (L - 1) / 2.0), seg.test.shape[0])
        vals = interp_at(seg.series, pos)
        return vals - vals.mean() + seg.values.mean(), {"factor": f}
