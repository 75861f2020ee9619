"""The selection battery: anomaly kinds x a difficulty ladder x seeds, and the ladder's rescaling.

A *cell* is one kind at one difficulty level with one seed. Its anomalies are made by an anogen
sampler (a typed ``inject`` kind, a ``noise`` variant, or a learned generator) and then **rescaled**
so that every event's root-mean-square deviation from the clean values equals ``level`` times the
column's *local variability* (:func:`local_scale`: the robust spread of one-step differences of
the clean train rows, i.e. the noise a detector has to see past). The kind decides an anomaly's
shape, the level decides its size, in units that mean the same on a smooth and on a noisy series:
level 1 is as large as the series' own step-to-step noise (subtle), level 9 is far outside it.

The default mix does not favour one detector family by construction: every kind belongs to one of
four families (``point``, ``collective``, ``contextual``, ``shape``), declared by the kind itself (the
``family`` of its class, :class:`~anogen.samplers.kinds.base.AnomalyKind`; the noise variants':
:attr:`anogen.samplers.noise.Noise.family`); point kinds get short events,
the other three get long ones (a tenth of the test part at most), and the job weighs voters so that
each family carries the same total weight (:func:`family_weights`).

Pure numpy apart from the kind catalog (families) and the sampler classes (the cells' config nodes);
nothing here runs samplers or detectors.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from anogen.samplers.base import config_node
from anogen.samplers.inject import Inject, packaged_catalog
from anogen.samplers.noise import Noise
from anogen.types import AnogenError, Injected

__all__ = ["FAMILIES", "NOISE_VARIANTS", "Cell", "family_of", "plan_battery", "local_scale", "ladder", "rescale",
           "family_weights", "DEFAULT_EXCLUDE"]

#: the anomaly families of the packaged kinds (each kind class declares its own ``family``)
FAMILIES = ("point", "collective", "contextual", "shape")
#: the battery's two noise variants: their :class:`~anogen.samplers.noise.Noise` settings (the family
#: is the sampler's: points ``point``, waves ``collective``)
NOISE_VARIANTS: dict[str, dict[str, Any]] = {"noise_points": {"wave": False}, "noise_waves": {"wave": True}}
#: catalog kinds left out of the default battery (``combine`` repeats level_shift + variance)
DEFAULT_EXCLUDE = ("combine",)


def family_of(kind: str, declared: str | None = None) -> str:
    """A kind's family: ``declared`` when given, ``learned`` for ``learned:*``, a noise variant's
    :attr:`~anogen.samplers.noise.Noise.family`, else the ``family`` its class declares in the packaged
    catalog (:func:`~anogen.samplers.inject.packaged_catalog`).

    Raises:
        AnogenError: a kind that is not in the packaged catalog, or whose class declares no family
            (never a silent ``other``).
    """
    if declared:
        return str(declared)
    if kind.startswith("learned:"):
        return "learned"
    if kind in NOISE_VARIANTS:
        return Noise(**NOISE_VARIANTS[kind]).family
    catalog = packaged_catalog()
    if kind not in catalog:
        raise AnogenError(f"select.kinds: unknown kind {kind!r}; valid: {[*catalog, *NOISE_VARIANTS]}")
    family = type(catalog[kind]).family
    if not family:
        raise AnogenError(f"select.kinds: kind {kind!r} ({type(catalog[kind]).__qualname__}) declares no family; "
                          f"give its class a family (one of {FAMILIES})")
    return str(family)


@dataclass(frozen=True)
class Cell:
    """One battery cell.

    Attributes:
        kind: the kind label (``spike``, ``noise_waves``, ``learned:vae_tail``, ...).
        family: its family.
        level: RMS deviation of every event in units of the local variability.
        seed: injection seed.
        node: the sampler config (``_target_`` node) that makes its anomalies.
    """

    kind: str
    family: str
    level: float
    seed: int
    node: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def name(self) -> str:
        return f"{self.kind}@{self.level:g}/seed{self.seed}"

    @property
    def cluster(self) -> str:
        """Bootstrap cluster: the kind x level (its seeds and metrics are resampled together)."""
        return f"{self.kind}@{self.level:g}"


def _lengths(n_test: int, short: bool, min_length: int) -> tuple[int, int, int]:
    """``(min_length, max_length, count)`` of a cell's events on a test part of ``n_test`` rows."""
    if short:
        lo = max(min_length, 1)
        hi = max(lo, min(8, n_test // 20))
        return lo, hi, int(np.clip(n_test // 60, 2, 8))
    lo = int(np.clip(n_test // 25, max(5, min_length), 100))
    hi = int(np.clip(n_test // 10, lo, 250))
    return lo, hi, int(np.clip(n_test // (5 * hi), 1, 3))


def _node(kind: str, n_test: int, min_length: int, family: str) -> dict[str, Any]:
    lo, hi, count = _lengths(n_test, family == "point", min_length)
    if kind == "noise_points":
        return config_node(Noise, ratio=min(0.5, max(count / n_test, 1e-9)), magnitude=1.0, kind="gaussian",
                           direction="both")
    if kind == "noise_waves":
        return config_node(Noise, ratio=min(0.5, count * lo / n_test), magnitude=1.0, kind="gaussian",
                           direction="both", wave=True, wave_length=lo)
    return config_node(Inject, kinds=[kind], count=count, min_length=lo, max_length=hi)


def plan_battery(kinds: Sequence[str], n_test: int, levels: Sequence[float], seeds: Sequence[int], *,
                 noise: bool = True, min_lengths: Mapping[str, int] | None = None,
                 declared: Mapping[str, str] | None = None,
                 learned: Mapping[str, Mapping[str, Any]] | None = None) -> list[Cell]:
    """Every cell of the battery.

    Args:
        kinds: ``inject`` catalog kinds to use.
        n_test: rows of the test part the anomalies go into.
        levels: the difficulty ladder (RMS deviation / local variability), each > 0.
        seeds: injection seeds.
        noise: add the two noise variants (``noise_points``, ``noise_waves``).
        min_lengths: each kind's shortest event (its class's ``min_length``).
        declared: a kind's own ``family`` where its class declares one.
        learned: ``{name: sampler node}`` of learned generators whose quality verdict passed.
    """
    min_lengths, declared = dict(min_lengths or {}), dict(declared or {})
    names = list(kinds) + (["noise_points", "noise_waves"] if noise else [])
    specs = [(k, family_of(k, declared.get(k)), _node(k, n_test, min_lengths.get(k, 1), family_of(k, declared.get(k))))
             for k in names]
    specs += [(f"learned:{k}", "learned", dict(v)) for k, v in (learned or {}).items()]
    return [Cell(k, fam, float(lv), int(s), node) for k, fam, node in specs for lv in levels for s in seeds]


def local_scale(train: np.ndarray, segments: np.ndarray | None = None) -> np.ndarray:
    """Local variability of each column: ``1.4826 * MAD(diff) / sqrt(2)`` of the clean train rows.

    One-step differences inside each contiguous segment; for white noise this is the noise's std,
    for a smooth signal the size of its step-to-step wiggle. Falls back to the differences' std,
    then the column's std, then 1, where a spread is 0 (quantised or constant columns).

    Args:
        train: ``(n, d)`` clean rows.
        segments: ``(k, 2)`` half-open ranges of contiguous rows (``None`` = one).

    Returns:
        ``(d,)`` positive float64.
    """
    x = np.asarray(train, dtype=np.float64)
    segs = [(0, len(x))] if segments is None else [tuple(s) for s in np.asarray(segments)]
    diffs = np.concatenate([np.diff(x[a:b], axis=0) for a, b in segs if b - a > 1] or [np.zeros((0, x.shape[1]))])
    out = np.empty(x.shape[1])
    for j in range(x.shape[1]):
        d = diffs[:, j]
        mad = 1.4826 * np.median(np.abs(d - np.median(d))) / np.sqrt(2) if len(d) else 0.0
        cands = [mad, np.std(d) / np.sqrt(2) if len(d) else 0.0, np.std(x[:, j]), 1.0]
        out[j] = next(c for c in cands if np.isfinite(c) and c > 0)
    return out


def rescale(inj: Injected, target: np.ndarray) -> Injected:
    """Every event's deviation from the clean values scaled to an RMS of ``target`` per column.

    Args:
        inj: an injected fold (``clean`` aligned with ``values``; inserted rows are left alone).
        target: ``(d,)`` the RMS deviation each changed column of each event gets.

    Returns:
        A new :class:`Injected` (labels and events unchanged; an event's ``params`` gain
        ``rescaled``: the factor applied per column).
    """
    values = inj.values.copy()
    col = {c: j for j, c in enumerate(inj.columns)}
    events = []
    for ev in inj.events:
        factors = {}
        for c in ev.columns:
            j = col[c]
            clean = inj.clean[ev.start:ev.end, j]
            dev = values[ev.start:ev.end, j] - clean
            ok = np.isfinite(clean)
            rms = float(np.sqrt(np.mean(dev[ok] ** 2))) if ok.any() else 0.0
            if rms > 0:
                f = float(target[j]) / rms
                values[ev.start:ev.end, j] = np.where(ok, clean + dev * f, values[ev.start:ev.end, j])
                factors[c] = f
        events.append(replace(ev, params={**ev.params, "rescaled": factors}))
    return replace(inj, values=values, events=tuple(events))


def ladder(local: np.ndarray, std: np.ndarray, steps: int = 4, gross: float = 4.0) -> tuple[float, ...]:
    """The automatic difficulty ladder in local-variability units.

    ``steps`` levels spaced geometrically from 1 (an event as large as the step-to-step noise) to
    ``gross`` train standard deviations (the median over columns of ``gross * std / local``), two
    significant digits. On white noise (local variability = std) it spans 1..``gross``; on a smooth
    signal far more local units, since there the same deviation is much easier to see locally.

    Args:
        local: ``(d,)`` local variability (:func:`local_scale`).
        std: ``(d,)`` train standard deviations.
        steps: number of levels (1 = only the top).
        gross: top of the ladder in train stds.
    """
    ratio = np.asarray(std, dtype=np.float64) / np.asarray(local, dtype=np.float64)
    ratio = ratio[np.isfinite(ratio) & (ratio > 0)]
    top = max(float(gross * np.median(ratio)) if len(ratio) else float(gross), 2.0)
    levels = np.geomspace(1.0, top, steps) if steps > 1 else np.array([top])
    return tuple(float(f"{v:.2g}") for v in levels)


def family_weights(families: Iterable[str], balance: bool = True) -> np.ndarray:
    """Voter weights giving each family the same total weight (``balance``), else all 1."""
    fam = np.asarray(list(families), dtype=object)
    if not balance or len(fam) == 0:
        return np.ones(len(fam))
    uniq, counts = np.unique(fam, return_counts=True)
    per = dict(zip(uniq.tolist(), counts.tolist()))
    return np.array([1.0 / per[f] for f in fam.tolist()])
