"""Deterministic series from nothing: GutenTAG's base oscillations (``data=synthetic``) and a
mixed periodic generator (tests, examples, scale benchmarks).

:func:`oscillation_frame` builds channels from base oscillations (sine, cosine, square, sawtooth,
ECG-like, random walk, cylinder-bell-funnel, polynomial, random mode jump), each with its own
noise (``variance``), ``offset`` and ``trend`` (another oscillation), as GutenTAG does;
:func:`synthetic_frame` is the older mixed generator (periodic components, trend, noise,
correlated channels).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import Field

from anogen.params import (FiniteFloat, NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt, Probability,
                           check_params, check_value)
from anogen.types import AnogenError

__all__ = ["synthetic_frame", "MinRows", "Period", "OSCILLATIONS", "oscillation", "oscillation_frame",
           "check_oscillation"]

#: ``data.n``: rows of a synthetic series (>= 4)
MinRows = Annotated[int, Field(ge=4)]
#: ``data.period``: rows per cycle (> 1)
Period = Annotated[float, Field(gt=1)]


def synthetic_frame(n: MinRows = 2000, d: PositiveInt = 3, seed: NonNegativeInt = 0, period: Period = 100,
                    trend: FiniteFloat = 0.0, noise: NonNegativeFloat = 0.1, correlation: Probability = 0.8,
                    start: str = "2020-01-01", freq: str = "1min") -> pd.DataFrame:
    """Periodic components + trend + noise with correlated channels.

    Channel j = a_j * sin(2*pi*t/period_j + phase_j) + trend * t/n + mixing of a shared latent
    signal (``correlation``) + Gaussian noise (``noise``). Deterministic given ``seed``; generated in
    float64 with O(n*d) memory.

    Returns:
        DataFrame with a ``date`` column and ``x0..x{d-1}``.

    Raises:
        AnogenError: a parameter outside its range (``data.n: must be >= 4, got 2``).
    """
    check_params(synthetic_frame, locals(), "data")  # locals() here = the arguments
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=np.float64)
    amp = rng.uniform(0.5, 2.0, d)
    periods = period * rng.uniform(0.5, 1.5, d)
    phase = rng.uniform(0, 2 * np.pi, d)
    offset = rng.uniform(-1, 1, d) * 5
    shared = np.sin(2 * np.pi * t / period) + 0.5 * np.sin(2 * np.pi * t / (period / 3.7))
    own = np.sin(2 * np.pi * t[:, None] / periods + phase) * amp
    x = offset + correlation * shared[:, None] * amp + (1 - correlation) * own
    x += trend * (t / n)[:, None]
    x += noise * rng.standard_normal((n, d))
    df = pd.DataFrame(x, columns=[f"x{j}" for j in range(d)])
    df.insert(0, "date", pd.date_range(start=start, periods=n, freq=freq))
    return df


# ---------------------------------------------------------------------------------------------
# Base oscillations (GutenTAG's): one function per kind, ``f(n, rng, channel, **params) -> (n,)``.
# Frequencies are periods per 100 rows, as in GutenTAG. Noise, offset and trend are added by
# :func:`oscillation` (they are common to every kind).
# ---------------------------------------------------------------------------------------------

#: rows per GutenTAG "second": a frequency is the number of periods per 100 rows
ROWS_PER_UNIT = 100.0


def _phase(n: int, frequency: float) -> np.ndarray:
    return 2.0 * np.pi * frequency * np.arange(n, dtype=np.float64) / ROWS_PER_UNIT


def _periodic(n: int, frequency: float, amplitude: float, freq_mod: float, wave) -> np.ndarray:
    """``amplitude * wave(phase)``, amplitude-modulated by ``wave(freq_mod * phase)`` when ``freq_mod > 0``."""
    base = _phase(n, frequency)
    out = amplitude * wave(base)
    return out * wave(base * freq_mod) if freq_mod else out


def sine(n: int, rng: np.random.Generator, channel: int = 0, frequency: NonNegativeFloat = 1.0,
         amplitude: PositiveFloat = 1.0, freq_mod: NonNegativeFloat = 0.0) -> np.ndarray:
    """``amplitude * sin(2 pi frequency t / 100)`` (``freq_mod``: amplitude modulation)."""
    return _periodic(n, frequency, amplitude, freq_mod, np.sin)


def cosine(n: int, rng: np.random.Generator, channel: int = 0, frequency: NonNegativeFloat = 1.0,
           amplitude: PositiveFloat = 1.0, freq_mod: NonNegativeFloat = 0.0) -> np.ndarray:
    """``amplitude * cos(2 pi frequency t / 100)``."""
    return _periodic(n, frequency, amplitude, freq_mod, np.cos)


def square(n: int, rng: np.random.Generator, channel: int = 0, frequency: NonNegativeFloat = 1.0,
           amplitude: PositiveFloat = 1.0, freq_mod: NonNegativeFloat = 0.0, duty: Probability = 0.5) -> np.ndarray:
    """A square wave in ``{-amplitude, amplitude}``, high for the ``duty`` fraction of each period."""
    from scipy import signal

    return _periodic(n, frequency, amplitude, freq_mod, lambda p: signal.square(p, duty=duty))


def sawtooth(n: int, rng: np.random.Generator, channel: int = 0, frequency: NonNegativeFloat = 1.0,
             amplitude: PositiveFloat = 1.0, freq_mod: NonNegativeFloat = 0.0, width: Probability = 1.0) -> np.ndarray:
    """A sawtooth in ``[-amplitude, amplitude]``; ``width``: the rising fraction of each period
    (1 = rising ramp, 0 = falling, 0.5 = triangle)."""
    from scipy import signal

    return _periodic(n, frequency, amplitude, freq_mod, lambda p: signal.sawtooth(p, width=width))


#: ECGSYN's P, Q, R, S, T waves: (phase angle, height, width) of a Gaussian each
_ECG_WAVES = ((-np.pi / 3, 1.2, 0.25), (-np.pi / 12, -5.0, 0.1), (0.0, 30.0, 0.1), (np.pi / 12, -7.5, 0.1),
              (np.pi / 2, 0.75, 0.4))


def ecg(n: int, rng: np.random.Generator, channel: int = 0, frequency: PositiveFloat = 1.0,
        amplitude: PositiveFloat = 1.0, variability: Annotated[float, Field(ge=0, lt=0.5)] = 0.05) -> np.ndarray:
    """ECG-like beats: per beat, the sum of Gaussians in the beat's phase at the P, Q, R, S and T
    waves of McSharry et al.'s ECGSYN (R peak = ``amplitude``); ``frequency`` beats per 100 rows,
    each beat's length varied by ``variability`` (relative std, heart-rate variability)."""
    period = ROWS_PER_UNIT / frequency
    k = int(np.ceil(n / period * 1.5)) + 2
    lengths = period * np.clip(1.0 + variability * rng.standard_normal(k), 0.5, 1.5)
    ends = np.cumsum(lengths)
    t = np.arange(n, dtype=np.float64)
    beat = np.searchsorted(ends, t, side="right")
    start = np.where(beat > 0, ends[np.maximum(beat - 1, 0)], 0.0)
    theta = -np.pi + 2.0 * np.pi * (t - start) / lengths[beat]
    z = np.zeros(n)
    for th, a, b in _ECG_WAVES:
        d = np.angle(np.exp(1j * (theta - th)))  # wrapped to (-pi, pi]
        z += a * np.exp(-d**2 / (2 * b**2))
    return amplitude * z / 30.0


def random_walk(n: int, rng: np.random.Generator, channel: int = 0, amplitude: PositiveFloat = 1.0,
                smoothing: Annotated[float, Field(ge=0, lt=1)] = 0.01) -> np.ndarray:
    """Steps of -1, 0 or +1, summed, smoothed by a Gaussian window of ``smoothing * n`` rows,
    scaled to ``[-amplitude, amplitude]``."""
    w = int(smoothing * n)
    steps = np.concatenate([[0.0], rng.choice([-1.0, 0.0, 1.0], size=n + max(w, 1) - 2)]).cumsum()
    if w > 1:
        g = np.exp(-0.5 * np.linspace(-1.5, 1.5, w) ** 2 / 0.25)
        steps = np.convolve(steps, g / g.sum(), "valid")
    x = steps[:n]
    span = x.max() - x.min()
    return amplitude * (2.0 * (x - x.min()) / span - 1.0) if span > 0 else np.zeros(n)


def cylinder_bell_funnel(n: int, rng: np.random.Generator, channel: int = 0, avg_pattern_length: PositiveInt = 10,
                         amplitude: PositiveFloat = 1.0, variance_pattern_length: NonNegativeFloat = 0.0,
                         variance_amplitude: NonNegativeFloat = 2.0) -> np.ndarray:
    """Saito's cylinder-bell-funnel patterns one after the other on a zero line: a plateau
    (cylinder), a rising ramp (bell) or a falling ramp (funnel), each drawn at random with a random
    sign, length ``N(avg_pattern_length, variance_pattern_length)`` (at least 1), height
    ``N(amplitude, variance_amplitude)``, separated by ``U[0, avg_pattern_length)`` rows."""
    x = np.zeros(n)
    pos = int(rng.integers(0, avg_pattern_length))
    while True:
        L = max(1, int(np.ceil(rng.normal(avg_pattern_length, variance_pattern_length))))
        if pos + L >= n:
            return x
        a = rng.normal(amplitude, variance_amplitude) * rng.choice([-1.0, 1.0])
        u = np.arange(L, dtype=np.float64) / L
        x[pos:pos + L] = a * (np.ones(L), u, 1.0 - u)[int(rng.integers(3))]
        pos += L + int(rng.integers(0, avg_pattern_length))


def polynomial(n: int, rng: np.random.Generator, channel: int = 0,
               polynomial: Annotated[list[FiniteFloat], Field(min_length=1)] = (1.0, 1.0)) -> np.ndarray:
    """``c0 + c1 t + c2 t^2 + ...`` at rows ``t = 0..n-1`` (coefficients by increasing degree)."""
    return np.polynomial.Polynomial(list(polynomial))(np.arange(n, dtype=np.float64))


def random_mode_jump(n: int, rng: np.random.Generator, channel: int = 0, frequency: PositiveFloat = 10.0,
                     channel_diff: FiniteFloat = 0.0, channel_offset: FiniteFloat = 1.0,
                     random_seed: NonNegativeInt | None = None) -> np.ndarray:
    """``frequency`` stretches of equal length, each at ``+h`` or ``-h`` at random, with
    ``h = channel_diff * channel + channel_offset``; channels given the same ``random_seed`` jump
    together (the modes are drawn from it instead of the series' generator)."""
    step = max(1, int(n // frequency))
    src = np.random.default_rng(random_seed) if random_seed is not None else rng
    modes = src.choice([-1.0, 1.0], size=-(-n // step))
    return np.repeat(modes, step)[:n] * (channel_diff * channel + channel_offset)


#: the base oscillations by kind (GutenTAG's names with ``_`` for ``-``)
OSCILLATIONS = {f.__name__: f for f in (sine, cosine, square, sawtooth, ecg, random_walk, cylinder_bell_funnel,
                                        polynomial, random_mode_jump)}
#: parameters every oscillation takes besides its own
COMMON = ("kind", "variance", "offset", "trend")


def check_oscillation(spec: Any, key: str) -> dict[str, Any]:
    """An oscillation spec ``{kind, variance, offset, trend, **params}`` checked (one-line errors
    naming ``key``) and coerced; ``trend`` is checked recursively."""
    if not isinstance(spec, Mapping):
        raise AnogenError(f"{key}: expected a mapping with a kind (e.g. {{kind: sine, frequency: 2}}), got {spec!r}")
    spec = dict(spec)
    kind = spec.get("kind", "sine")
    if kind not in OSCILLATIONS:
        raise AnogenError(f"{key}.kind: unknown oscillation {kind!r}; valid: {sorted(OSCILLATIONS)}")
    own = {k: v for k, v in spec.items() if k not in COMMON}
    valid = [p for p in inspect.signature(OSCILLATIONS[kind]).parameters if p not in ("n", "rng", "channel")]
    for name in own:
        if name not in valid:
            raise AnogenError(f"{key}: unknown parameter {name!r} of {kind}; valid parameters: {[*valid, *COMMON[1:]]}")
    out = {"kind": kind, **check_params(OSCILLATIONS[kind], own, key, partial=True)}
    out["variance"] = check_value(spec.get("variance", 0.0), NonNegativeFloat, f"{key}.variance")
    out["offset"] = check_value(spec.get("offset", 0.0), FiniteFloat, f"{key}.offset")
    if spec.get("trend") is not None:
        out["trend"] = check_oscillation(spec["trend"], f"{key}.trend")
    return out


def oscillation(spec: Mapping[str, Any], n: int, rng: np.random.Generator, channel: int = 0,
                key: str = "data.oscillation") -> np.ndarray:
    """One channel: the base oscillation of ``spec`` + its ``trend`` (another spec, recursively) +
    ``offset`` + Gaussian noise of std ``variance * amplitude`` (GutenTAG's rule; amplitude 1 for
    kinds without one).

    Returns:
        ``(n,)`` float64.
    """
    spec = check_oscillation(spec, key)
    params = {k: v for k, v in spec.items() if k not in COMMON}
    x = np.asarray(OSCILLATIONS[spec["kind"]](n, rng, channel, **params), dtype=np.float64)
    if "trend" in spec:
        x = x + oscillation(spec["trend"], n, rng, channel, f"{key}.trend")
    sd = spec["variance"] * float(params.get("amplitude", 1.0))
    if sd > 0:
        x = x + sd * rng.standard_normal(n)
    return x + spec["offset"]


def oscillation_frame(n: MinRows = 2000, d: PositiveInt = 3, seed: NonNegativeInt = 0,
                      oscillation_spec: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
                      start: str = "2020-01-01", freq: str = "1min") -> pd.DataFrame:
    """Channels of base oscillations (``data=synthetic``).

    Args:
        n: rows.
        d: channels when ``oscillation_spec`` is one mapping (every channel the same kind and
            parameters, its own noise and random parts); ignored for a list.
        seed: the generator's seed (deterministic output).
        oscillation_spec: one spec for every channel, or a list with one spec per channel (see
            :func:`oscillation`); ``None`` = a noisy sine.

    Returns:
        DataFrame with a ``date`` column and ``x0..x{d-1}``.
    """
    n = check_value(n, MinRows, "data.n")
    d = check_value(d, PositiveInt, "data.d")
    spec = oscillation_spec if oscillation_spec is not None else {"kind": "sine", "variance": 0.05}
    if not isinstance(spec, Mapping) and not (isinstance(spec, Sequence) and not isinstance(spec, str)):
        raise AnogenError(f"data.oscillation: expected a mapping or a list of mappings, got {spec!r}")
    specs = [spec] * d if isinstance(spec, Mapping) else list(spec)
    if not specs:
        raise AnogenError("data.oscillation: give at least one oscillation")
    keys = (["data.oscillation"] * d if isinstance(spec, Mapping)
            else [f"data.oscillations.{j}" for j in range(len(specs))])
    rng = np.random.default_rng(check_value(seed, NonNegativeInt, "data.seed"))
    cols = {f"x{j}": oscillation(s, n, rng, j, k) for j, (s, k) in enumerate(zip(specs, keys))}
    df = pd.DataFrame(cols)
    df.insert(0, "date", pd.date_range(start=start, periods=n, freq=freq))
    return df
