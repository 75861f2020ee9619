"""Noise anomalies (seed 000), done right.

``kind=relative``: x * (1 + m) (``direction=p``) or x * (1 - m) (``n``), the original code's rule;
``kind=gaussian``: x + N(0, m * train_std) (the README's "Gaussian noise"; ``p``/``n`` take the
absolute value with that sign). ``direction=both`` draws a random sign per anomaly.

Count: ``int(n_test * ratio)`` anomalous rows. Points (``wave=false``): that many distinct rows.
Waves: non-overlapping segments of ``wave_length`` rows, the last one shortened so the number of
anomalous rows equals the count exactly. A relative change of a zero is no change, so relative
anomalies only start where every row of the segment has a non-zero value in a chosen column.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from anogen.params import PositiveFloat, PositiveInt, Ratio, check_attributes
from anogen.samplers.base import SampleContext, Sampler, Slot, SlotRequest, anomaly_count, resolve_columns
from anogen.types import AnogenError, Edit

__all__ = ["Noise"]


class Noise(Sampler):
    """Relative or Gaussian noise at points or in waves.

    Args:
        ratio: fraction of test rows made anomalous, in (0, 0.5].
        magnitude: relative change (``relative``) or multiple of the train std (``gaussian``); > 0.
        kind: ``relative`` or ``gaussian``.
        direction: ``p`` (up), ``n`` (down) or ``both`` (random sign per anomaly).
        wave: segments instead of points.
        wave_length: rows per segment when ``wave`` (ignored otherwise).
        columns: columns to change; empty = all.
        mode: ``replace`` (noise changes existing rows; the only valid mode).
    """

    name = "noise"

    def __init__(self, ratio: Ratio = 0.01, magnitude: PositiveFloat = 0.1,
                 kind: Literal["relative", "gaussian"] = "relative", direction: Literal["p", "n", "both"] = "p",
                 wave: bool = False, wave_length: PositiveInt = 10, columns: list[str] | None = None,
                 mode: Literal["replace"] = "replace") -> None:
        self.ratio = ratio
        self.magnitude = magnitude
        self.kind = kind
        self.direction = direction
        self.wave = wave
        self.wave_length = wave_length
        self.columns = list(columns or [])
        self.mode = mode

    @property
    def family(self) -> str:
        """The anomaly family of its events (the selection battery's ``noise_points`` / ``noise_waves``):
        ``point`` for single rows, ``collective`` for waves."""
        return "collective" if self.wave else "point"

    def _lengths(self, n: int) -> list[int]:
        total = anomaly_count(n, self.ratio)
        if not self.wave:
            return [1] * total
        if self.wave_length > n:
            raise AnogenError(f"({self.wave_length}) is longer than the test fold ({n} rows)", key="sampler.wave_length",
                              sep=" ")
        full, rest = divmod(total, self.wave_length)
        return [self.wave_length] * full + ([rest] if rest else [])

    def plan(self, ctx: SampleContext, rng: np.random.Generator) -> list[SlotRequest]:
        """Requests of 1 row (points) or ``wave_length`` rows (waves); relative noise only where non-zero."""
        check_attributes(self, "sampler")
        n = ctx.n_test
        cols, _ = resolve_columns(self.columns, ctx.fold.columns)
        lengths = self._lengths(n)
        masks: dict[int, np.ndarray | None] = {}
        if self.kind == "relative":
            row_ok = (ctx.fold.test[:, cols] != 0).any(axis=1)
            csum = np.concatenate([[0], np.cumsum(~row_ok)])
            for L in set(lengths):
                ends = np.arange(n) + L
                m = ends <= n
                m[m] = (csum[ends[m]] - csum[np.arange(n)[m]]) == 0
                if m.sum() == 0:
                    raise AnogenError(
                        f"relative noise needs non-zero values, but no {L}-row segment of the "
                        f"test fold has them in columns {[ctx.fold.columns[c] for c in cols]}", key="sampler")
                masks[L] = m
        else:
            masks = {L: None for L in set(lengths)}
        return [SlotRequest(L, "replace", masks[L]) for L in lengths]

    def fill(self, ctx: SampleContext, slots: list[Slot], rng: np.random.Generator) -> list[Edit]:
        cols, names = resolve_columns(self.columns, ctx.fold.columns)
        test = ctx.fold.test
        edits = []
        for s in slots:
            seg = test[s.start:s.start + s.length].copy()
            if self.direction == "both":
                sign = float(rng.choice([-1.0, 1.0]))
            else:
                sign = 1.0 if self.direction == "p" else -1.0
            if self.kind == "relative":
                seg[:, cols] = seg[:, cols] * (1.0 + sign * self.magnitude)
            else:
                eps = rng.standard_normal((s.length, len(cols)))
                if self.direction != "both":
                    eps = np.abs(eps) * sign
                seg[:, cols] = seg[:, cols] + eps * self.magnitude * ctx.std[cols]
            edits.append(Edit(s.start, seg, "replace", f"{self.kind}_noise", names, self.name,
                              {"magnitude": float(self.magnitude), "sign": sign, "wave": bool(self.wave)}))
        return edits
