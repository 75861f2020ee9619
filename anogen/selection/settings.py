"""The ``select`` config node, typed (checked by :func:`anogen.params.check_params`)."""

from __future__ import annotations

import os

from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal, Mapping, Optional, Union

from anogen.params import Fraction, NonNegativeFloat, NonNegativeInt, OpenFraction, PositiveFloat, PositiveInt, \
    Probability, Ratio, check_params
from anogen.config import packaged_option, resolve_target
from anogen.paths import conf_options
from anogen.samplers.inject import packaged_catalog
from anogen.selection.battery import FAMILIES
from anogen.selection.consensus import SURROGATE
from anogen.selection.rows import ROW_KINDS
from anogen.types import AnogenError

__all__ = ["SelectSettings", "check_select", "learned_samplers"]


@dataclass(frozen=True)
class SelectSettings:
    """How the selection job builds its battery and aggregates it.

    Attributes:
        kinds: ``inject`` catalog kinds in the battery (``None`` = every kind the data allows,
            less ``exclude``).
        exclude: kinds left out when ``kinds`` is ``None``.
        noise: add the noise variants (``noise_points``, ``noise_waves``).
        levels: the difficulty ladder: RMS deviation of each event in units of the data's local
            variability (see :func:`anogen.selection.battery.local_scale`); ``None`` = ``steps``
            levels spaced geometrically from 1 (as large as the series' own step-to-step noise) to
            ``gross`` train standard deviations (:func:`anogen.selection.battery.ladder`).
        steps: levels of the automatic ladder.
        gross: the automatic ladder's top, in train standard deviations.
        seeds: injection seeds per kind x level.
        metrics: the metrics that rank detectors in each cell (each metric is one voter per cell);
            ``None`` = VUS-PR and range-F1 (series), PR-AUC and ROC-AUC (tabular).
        aggregate: how the voters are combined: ``mean`` (the trimmed mean of their metric
            values: a cell counts in proportion to how far apart it sets the detectors) or
            ``borda`` (the trimmed Borda count of their ranks, Goswami et al. 2023: every
            informative cell's ranking counts the same). Chosen by docs/selection.md's evidence.
        trim: fraction of voter weight the trimming drops (Goswami et al. 2023).
        family_weights: ``{family: factor}`` on an anomaly family's share of the vote (families
            not listed: 1; ``{point: 0}`` lets only collective, contextual and shape anomalies
            vote). Default: every family the same (docs/selection.md has what each family's
            ranking predicted on real data).
        bootstrap: resamples of the cluster bootstrap (0 = none).
        balance: weigh voters so that each anomaly family carries the same total weight.
        min_spread: a voter whose detectors' scores span less than this carries no information
            (a saturated or hopeless cell) and is left out.
        prior: ``auto`` (the shipped real-data prior at its leave-one-series-out weight),
            ``off``, or a weight in ``[0, 1]``.
        learned: learned sampler options (e.g. ``vae_tail``) added to the battery only when
            their generator report's verdict is ``ok`` (needs ``model=...``).
        battery_fraction: with real labels, the share of the clean train rows held out to carry
            the synthetic battery (the labelled test part is not clean).
        mode: ``series`` (windows, the typed kinds) or ``tabular``: rows are exchangeable, every
            windowed estimator detector sees single rows (``window=1``) and the battery uses
            ADBench's row anomalies (:mod:`anogen.selection.rows`: global, local, dependency,
            clustered) at strengths ``levels`` (default 1.1, 2, 5), plus ``learned`` samplers
            (e.g. ``latent_uniform`` with ``model=vae_mlp``) whose verdict is ok.
        row_ratio: tabular mode: share of test rows replaced in each cell.
        surrogates: label-free surrogates added as voters (:mod:`anogen.selection.surrogates`):
            ``centrality`` (Goswami et al. 2023: agreement of a detector's scores with its nearest
            other detectors' on the test part, its labels unused). One voter per fold, in its own
            family, weighted like one anomaly family. Off by default.
        windows: window-length variants of every windowed candidate (``window`` and ``stride``
            parameters), as extra candidates named ``{name}@w{n}`` or ``{name}@period``
            (``period``: the train data's dominant period, the median over columns that have one;
            an error when none has). The window can matter more than the detector (docs/selection.md).
        period_variants: candidates whose variant on windows of the data's cycle (``knn@period``)
            joins the pool when the candidate does: knn and lof by default, the pool that won the
            leave-one-source-out evaluation on 140 real series (docs/selection.md). ``[]``: none.
            Left out, and said so, where the train part has no clear cycle (the variant would copy
            its candidate) or where its windows would be too wide (``max_window_values``).
        max_window_values: a named period variant among the candidates (``knn@period``) whose
            windows would hold more values than this (window x columns) is left out, logged
            (``None``: no bound). On wide data a period-long window makes the nearest-neighbour
            distances many times dearer: on 10,000 x 32 rows with a 158-row cycle, keeping
            ``knn@period`` and ``lof@period`` made the selection 3.1-4.0x slower (3.8-4.9x the
            CPU-seconds; ``scripts/bench_select.py``). 1,024 keeps every period window of
            univariate data (at most 500 rows).
        workers: threads that score the candidates side by side (each candidate in one thread);
            ``auto`` = the CPU cores this process may use. The result does not depend on it.
    """

    kinds: list[str] | None = None
    exclude: list[str] = field(default_factory=lambda: ["combine"])
    noise: bool = True
    levels: tuple[PositiveFloat, ...] | None = None
    steps: PositiveInt = 4
    gross: PositiveFloat = 4.0
    seeds: tuple[NonNegativeInt, ...] = (0, 1)
    metrics: tuple[str, ...] | None = None
    aggregate: Literal["mean", "borda"] = "mean"
    trim: Fraction = 0.2
    family_weights: Optional[dict[str, NonNegativeFloat]] = None
    bootstrap: NonNegativeInt = 200
    balance: bool = True
    min_spread: NonNegativeFloat = 0.01
    prior: Union[Literal["auto", "off"], Probability] = "auto"
    learned: list[str] = field(default_factory=list)
    battery_fraction: OpenFraction = 0.25
    mode: Literal["series", "tabular"] = "series"
    row_ratio: Ratio = 0.05
    surrogates: list[Literal["centrality"]] = field(default_factory=list)
    windows: list[Union[PositiveInt, Literal["period"]]] = field(default_factory=list)
    period_variants: list[str] = field(default_factory=lambda: ["knn", "lof"])
    max_window_values: Optional[PositiveInt] = 1024
    workers: Union[PositiveInt, Literal["auto"]] = "auto"

    @property
    def threads(self) -> int:
        """``workers`` as a number (``auto``: the cores this process may use)."""
        if self.workers != "auto":
            return int(self.workers)
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # not on Linux
            return max(1, os.cpu_count() or 1)

    @property
    def voters(self) -> tuple[str, ...]:
        """The metrics that vote (``metrics``, or the mode's default)."""
        if self.metrics:
            return tuple(self.metrics)
        return ("pr_auc", "roc_auc") if self.mode == "tabular" else ("vus_pr", "range_f1")


def learned_samplers() -> list[str]:
    """The packaged sampler options whose sampler needs a generative model (``conf/sampler/*.yaml``)."""
    out = []
    for name in conf_options("sampler"):
        target = packaged_option("sampler", name).get("_target_")
        if target and getattr(resolve_target(target, f"sampler={name}"), "needs_model", False) is True:
            out.append(name)
    return out


def check_select(node: Mapping[str, Any] | None, key: str = "select") -> SelectSettings:
    """The ``select`` node checked and built (one-line error naming the key)."""
    node = dict(node or {})
    valid = [f.name for f in fields(SelectSettings)]
    unknown = sorted(set(node) - set(valid))
    if unknown:
        raise AnogenError(f"{key}: unknown key(s) {unknown}; valid: {valid}")
    p = check_params(SelectSettings, node, key)
    s = SelectSettings(**p)
    for name in ("levels", "seeds", "metrics"):
        if getattr(s, name) is not None and not getattr(s, name):
            raise AnogenError(f"{key}.{name}: give at least one")
    if s.metrics is not None and len(set(s.metrics)) != len(s.metrics):
        raise AnogenError(f"{key}.metrics lists a metric twice: {list(s.metrics)}")
    if len(set(map(str, s.windows))) != len(s.windows):
        raise AnogenError(f"{key}.windows lists a window twice: {list(s.windows)}")
    if len(set(s.period_variants)) != len(s.period_variants):
        raise AnogenError(f"{key}.period_variants lists a detector twice: {list(s.period_variants)}")
    if len(set(s.surrogates)) != len(s.surrogates):
        raise AnogenError(f"{key}.surrogates lists a surrogate twice: {list(s.surrogates)}")
    # series: the kinds' families; tabular: each row kind is its own family
    known = (*(FAMILIES if s.mode == "series" else ROW_KINDS), "learned", SURROGATE)
    s = replace(s, family_weights=dict(s.family_weights or {}))
    odd = sorted(set(s.family_weights) - set(known))
    if odd:
        raise AnogenError(f"{key}.family_weights: unknown famil{'y' if len(odd) == 1 else 'ies'} {odd}; "
                          f"valid: {list(known)}")
    if s.family_weights and not any(s.family_weights.get(f, 1.0) > 0 for f in known if f not in (SURROGATE, "learned")):
        raise AnogenError(f"{key}.family_weights: every anomaly family is at 0; nothing would vote")
    if s.mode == "series":  # names checked now, before any data is loaded or a model trained
        catalog = list(packaged_catalog())
        for name in ("kinds", "exclude"):
            odd = [k for k in (getattr(s, name) or []) if k not in catalog]
            if odd:
                raise AnogenError(f"unknown kind(s) {odd}; valid: {catalog}", key=f"{key}.{name}")
    if s.learned:
        learned = learned_samplers()
        odd = [k for k in s.learned if k not in learned]
        if odd:
            raise AnogenError(f"{odd} {'is not a learned sampler' if len(odd) == 1 else 'are not learned samplers'}; "
                              f"valid: {learned}", key=f"{key}.learned")
    if s.kinds is not None and not s.kinds and not s.noise and not s.learned:
        raise AnogenError(f"{key}: the battery is empty (kinds: [], noise: false, learned: [])")
    return s
