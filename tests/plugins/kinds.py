"""An anomaly-kind plug-in: one Python file + one YAML (docs/extending.md, "An anomaly kind")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from anogen.params import PositiveFloat
from anogen.samplers.kinds.base import AnomalyKind, Segment


@dataclass(frozen=True)
class Bump(AnomalyKind):
    """A smooth half-sine bump of ``height`` train stds over the segment."""

    name: ClassVar[str] = "bump"
    height: PositiveFloat = 3.0

    def apply(self, seg: Segment, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Any]]:
        shape = np.sin(np.linspace(0.0, np.pi, seg.length + 2)[1:-1])
        return seg.values + self.height * seg.std * shape, {"height": self.height}
