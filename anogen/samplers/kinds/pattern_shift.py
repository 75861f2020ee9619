"""``pattern_shift``: the segment's pattern moved later or earlier in time (a phase shift)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

import numpy as np
from pydantic import Field

from anogen.params import PositiveInt
from anogen.samplers.kinds.base import AnomalyKind, Direction, Segment, sign
from anogen.samplers.kinds.signal import column_period, interp_at, reflect

__all__ = ["PatternShift"]

#: a fraction of the segment in (0, 0.5)
HalfFraction = Annotated[float, Field(gt=0, lt=0.5)]


@dataclass(frozen=True)
class PatternShift(AnomalyKind):
    """Row ``i`` of the segment takes the column's value at time ``s + i - d_i`` (linear
    interpolation; times outside the fold are reflected back in): ``d`` ramps from 0 to
    ``sign * shift`` over the first ``transition * L`` rows, stays there, and ramps back to 0 over
    the last ``transition * L`` rows. The middle of the segment is the pattern ``shift`` rows
    later (up) or earlier (down), joined smoothly to its neighbours (GutenTAG's pattern-shift).

    Args:
        shift: rows; ``None`` = a quarter of the column's dominant period (``L // 4`` without a
            clear period), at least 1.
        direction: ``up`` (the pattern lags), ``down`` (it leads) or ``both`` (random per event).
        transition: fraction of the segment at each end over which the shift builds up and
            decays, in (0, 0.5).
    """

    name: ClassVar[str] = "pattern_shift"
    family: ClassVar[str] = "contextual"
    needs_variation: ClassVar[bool] = True
    shift: PositiveInt | None = None
    direction: Direction = "both"
    transition: HalfFraction = 0.25

    def _shift(self, seg: Segment) -> int:
        if self.shift is not None:
            return int(self.shift)
        period = column_period(seg)
        return max(1, (period if period is not None else seg.length) // 4)

    def apply(self, seg: Segment, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Any]]:
        L = seg.length
        d = sign(self.direction, rng) * self._shift(seg)
        a = max(1, min(int(round(self.transition * L)), (L - 1) // 2))
        w = np.ones(L, dtype=np.float64)
        w[:a] = np.arange(1, a + 1) / (a + 1)
        w[L - a:] = np.arange(a, 0, -1) / (a + 1)
        pos = reflect(seg.start + np.arange(L) - d * w, seg.test.shape[0])
        return interp_at(seg.series, pos), {"shift": int(d), "transition_rows": a}
