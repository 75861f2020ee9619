"""Seeds per stage: one run seed, split with :class:`numpy.random.SeedSequence` (no global state).

Stage paths used by the jobs (``stage_seed(seed, fold, stage)``): 0 = generative model,
1 = sampler context (JAX keys), 2 = placement and sampling (numpy), 3 = detectors; the benchmark
uses ``(seed, fold, 10, name_seed(sampler))`` for a sampler's held-out injection and
``(seed, fold, 100, name_seed(sampler))`` for its validation injection, so a sampler's anomalies do
not depend on its position in the list.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["stage_seed", "rng", "name_seed"]


def stage_seed(seed: int, *path: int) -> int:
    """A 32-bit seed for one stage, derived from the run seed and a path of integers."""
    return int(np.random.SeedSequence([int(seed), *map(int, path)]).generate_state(1)[0])


def rng(seed: int, *path: int) -> np.random.Generator:
    """A numpy generator for one stage (``np.random.default_rng(stage_seed(seed, *path))``)."""
    return np.random.default_rng(stage_seed(seed, *path))


def name_seed(name: str) -> int:
    """A stable integer from a name (CRC-32), for seeds that follow a name rather than a position."""
    return zlib.crc32(str(name).encode("utf-8"))
