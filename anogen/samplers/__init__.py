"""Samplers: propose anomalies (see :mod:`anogen.samplers.base` for the protocol).

:func:`generate_fold` is the one way to run a sampler on a fold: plan, allocate, fill, apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from anogen.params import NonNegativeInt, check_value
from anogen.placement import allocate, apply_edits
from anogen.samplers.base import SampleContext, Sampler, Slot, SlotRequest
from anogen.samplers.compose import Compose
from anogen.types import AnogenError, Injected

__all__ = ["Compose", "SampleContext", "Sampler", "Slot", "SlotRequest", "generate_fold"]


def generate_fold(sampler: Sampler | Sequence[Sampler], ctx: SampleContext, rng: np.random.Generator, *,
                  min_gap: NonNegativeInt = 1) -> Injected:
    """Plan, allocate, fill and apply a sampler on one fold.

    Args:
        sampler: a sampler (a :class:`Compose` included); a list of samplers is wrapped in a
            :class:`Compose` (they share the fold without overlapping).
        ctx: the :class:`SampleContext` of the fold.
        rng: ``np.random.Generator``, the only source of randomness.
        min_gap: minimum clean rows between two anomalies (``placement.min_gap``).

    Returns:
        :class:`anogen.types.Injected`: the fold with anomalies; labels, events and values agree.

    Raises:
        AnogenError: not a sampler, a bad ``min_gap``, or the sampler's / placement's own errors.
    """
    smp: Any = Compose.of(sampler) if isinstance(sampler, (list, tuple)) else sampler
    if not (hasattr(smp, "plan") and hasattr(smp, "fill")):
        raise AnogenError(f"sampler: {type(smp).__name__} is not a sampler (needs plan and fill)")
    min_gap = check_value(min_gap, NonNegativeInt, "placement.min_gap")
    requests = list(smp.plan(ctx, rng))
    slots = allocate(requests, ctx.n_test, rng, min_gap=min_gap)
    return apply_edits(ctx.fold, smp.fill(ctx, slots, rng))
