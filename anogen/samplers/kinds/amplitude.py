"""``amplitude``: the segment's deviations from a local baseline scaled up or down."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from anogen.params import PositiveInt
from anogen.samplers.kinds.base import NUDGE, AnomalyKind, Direction, FactorSpread, Segment, draw, nudge_off, sign
from anogen.samplers.kinds.signal import column_period

__all__ = ["Amplitude"]


@dataclass(frozen=True)
class Amplitude(AnomalyKind):
    """``m + f * (x - m)``, ``m`` = the mean of a centred ``context`` window, ``f = factor`` (up)
    or ``1 / factor`` (down).

    Args:
        factor: > 1; a number or ``[low, high]`` (drawn per event).
        direction: ``up`` (larger swings), ``down`` (smaller) or ``both`` (random per event).
        context: rows of the baseline window; ``None`` = ``4 L`` rows, rounded up to whole cycles
            when the train column has a clear dominant period (so the baseline is the cycle's
            centre line). A baseline that equals a value of the segment is moved slightly.
    """

    name: ClassVar[str] = "amplitude"
    family: ClassVar[str] = "shape"
    needs_variation: ClassVar[bool] = True
    factor: FactorSpread = 2.0
    direction: Direction = "both"
    context: PositiveInt | None = None

    def _window(self, seg: Segment) -> int:
        if self.context is not None:
            return int(self.context)
        w = 4 * seg.length
        period = column_period(seg)
        if period is not None:  # whole cycles, so the baseline is the cycle's centre line
            w = period * max(1, -(-w // period))
        return w

    def apply(self, seg: Segment, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Any]]:
        f0 = draw(self.factor, rng)
        f = f0 if sign(self.direction, rng) > 0 else 1.0 / f0
        n, s, L = seg.test.shape[0], seg.start, seg.length
        w = max(min(n, self._window(seg)), L)
        a = max(0, s - (w - L) // 2)
        b = min(n, a + w)
        a = max(0, b - w)
        x = seg.values
        m = nudge_off(float(seg.series[a:b].mean()), x, NUDGE * seg.std)
        return m + f * (x - m), {"factor": f, "baseline": m, "context": int(b - a)}
