"""``noise_burst``: Gaussian noise over the segment or in short bursts (MATLAB's noise anomaly)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from anogen.params import FiniteFloat, PositiveInt
from anogen.samplers.kinds.base import AnomalyKind, PositiveSpread, Segment, draw

__all__ = ["NoiseBurst"]


@dataclass(frozen=True)
class NoiseBurst(AnomalyKind):
    """``x + N(mean * s, (scale * s)^2)`` (``s`` = the column's train std) on every row
    (``white``) or on ``bursts`` bursts of ``burst_length`` rows (``burst``): the first burst
    opens the segment, the last one closes it, the others start at uniformly drawn rows; rows
    between bursts keep their clean values and are not labelled (each burst is its own labelled
    run). A zero draw is drawn again, so every noisy row changes.

    Args:
        mode: ``white`` or ``burst``.
        scale: noise std in train stds; a number or ``[low, high]`` (drawn per event).
        mean: noise mean in train stds (MATLAB's ``Mean``).
        bursts: bursts per event (``burst``; when they cannot fit apart, the whole segment).
        burst_length: rows per burst.
    """

    name: ClassVar[str] = "noise_burst"
    family: ClassVar[str] = "collective"
    mode: Literal["white", "burst"] = "burst"
    scale: PositiveSpread = 2.0
    mean: FiniteFloat = 0.0
    bursts: PositiveInt = 3
    burst_length: PositiveInt = 2

    def nudges(self) -> bool:
        return self.mode == "white"

    def _rows(self, L: int, rng: np.random.Generator) -> np.ndarray:
        """``(L,)`` bool: the noisy rows."""
        b = self.burst_length
        if self.mode == "white" or self.bursts * b >= L:
            return np.ones(L, dtype=bool)
        starts = [0, L - b] + rng.integers(0, L - b + 1, size=max(0, self.bursts - 2)).tolist()
        rows = np.zeros(L, dtype=bool)
        for a in starts[: self.bursts]:
            rows[a:a + b] = True
        return rows

    def apply(self, seg: Segment, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Any]]:
        scale = draw(self.scale, rng)
        x = seg.values
        rows = self._rows(seg.length, rng)
        new = x.copy()
        idx = np.flatnonzero(rows)
        for _ in range(8):  # an exact zero draw (or one lost to rounding): draw again
            new[idx] = x[idx] + (self.mean + scale * rng.standard_normal(idx.size)) * seg.std
            idx = idx[new[idx] == x[idx]]
            if idx.size == 0:
                break
        return new, {"mode": self.mode, "scale": scale, "mean": float(self.mean), "noisy_rows": int(rows.sum())}
