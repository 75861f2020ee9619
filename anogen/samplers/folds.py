"""One sampler on one fold, as every job runs it: the sampling context, the anomalies and, for a
learned sampler, its generator report (:mod:`anogen.samplers.report`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from anogen.samplers import SampleContext, generate_fold
from anogen.samplers.report import generator_report
from anogen.types import Fold, Injected

__all__ = ["inject_fold"]


def inject_fold(sampler: Any, fold: Fold, model: Any, model_scaler: Any, ctx_seed: int, rng_seed: int,
                min_gap: int, history: Any = None) -> tuple[Injected, dict]:
    """One sampler on one fold: ``(injected, context extras)``; learned samplers' generator report
    rides on ``injected.report``.

    Args:
        sampler: a built sampler.
        fold: the clean fold (its test part receives the anomalies).
        model, model_scaler: the generative model and its scaler (``None`` for model-free samplers).
        ctx_seed: seed of the sampling context (and of the generator report).
        rng_seed: seed of the sampler's random generator.
        min_gap: minimum clean rows between two anomalies.
        history: the generative model's training history, for the generator report's over-fitting
            check (``None``: not checked).
    """
    ctx = SampleContext.from_fold(fold, model=model, scaler=model_scaler, seed=ctx_seed)
    inj = generate_fold(sampler, ctx, np.random.default_rng(rng_seed), min_gap=min_gap)
    reports = generator_report(ctx, inj, seed=ctx_seed, history=history) if ctx.extra.get("generator") else {}
    return (replace(inj, report=reports) if reports else inj), ctx.extra
