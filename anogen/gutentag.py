"""GutenTAG's way of building a test bed, through anogen's samplers: train files, and an importer
for GutenTAG's YAML (the data source, :class:`~anogen.data.gutentag.Oscillations`, is in
:mod:`anogen.data.gutentag`).

* :func:`train_frames`: GutenTAG's train files of a fold (``supervised`` / ``semi_supervised`` of
  :class:`~anogen.data.gutentag.Oscillations`).
* :func:`read_gutentag` reads a GutenTAG YAML (or dict) and maps each time series to an anogen
  ``data`` node (its base oscillations) and ``sampler`` node (a ``compose`` of one ``inject`` per
  anomaly, with the anomaly's length, channel, position and creeping length, and its kinds mapped
  to anogen kinds), reporting what it approximated and what it could not map.
* :func:`generate` runs an imported series through anogen's samplers and placement and returns
  GutenTAG's files (``test.csv``, ``train_no_anomaly.csv``, ``train_anomaly.csv``);
  ``python -m anogen.gutentag config.yaml --out DIR`` writes them.

The series of an imported time series has ``2 * length`` rows: the first half is the train part,
the second half the test part, where the anomalies go (GutenTAG's positions are positions in it).
GutenTAG gives absolute values (``offset``, ``variance``, ``value``); anogen's kinds take train
standard deviations, so the importer converts with each channel's train std. Every node names its
class through the class itself (:func:`~anogen.samplers.base.config_node`), so a renamed class
fails on import, not in a user's run.
"""

from __future__ import annotations

if __name__ == "__main__":  # a Ctrl-C while the libraries load: exit 130, no traceback
    from anogen.outputs.signals import exit_at_once_on_signals

    exit_at_once_on_signals("anogen.gutentag")

import argparse
import inspect
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from anogen.config import build
from anogen.data.gutentag import TRAIN_FILES, Oscillations
from anogen.data.sources import DataSource
from anogen.data.synthetic import OSCILLATIONS, check_oscillation, oscillation
from anogen.outputs.context import RunOutputs
from anogen.outputs.entry import run_command
from anogen.outputs.files import check_output_dir, safe_name
from anogen.outputs.signals import exit_process
from anogen.samplers import SampleContext, generate_fold
from anogen.samplers.base import config_node
from anogen.samplers.compose import Compose
from anogen.samplers.inject import Inject
from anogen.samplers.kinds.amplitude import Amplitude
from anogen.samplers.kinds.base import AnomalyKind
from anogen.samplers.kinds.bias import Bias
from anogen.samplers.kinds.combine import Combine
from anogen.samplers.kinds.drift import Drift
from anogen.samplers.kinds.flatline import Flatline
from anogen.samplers.kinds.frequency import Frequency
from anogen.samplers.kinds.level_shift import LevelShift
from anogen.samplers.kinds.local_extremum import LocalExtremum
from anogen.samplers.kinds.pattern import Pattern
from anogen.samplers.kinds.pattern_shift import PatternShift
from anogen.samplers.kinds.spike import Spike
from anogen.samplers.kinds.variance import Variance
from anogen.seeding import stage_seed
from anogen.params import NonNegativeInt
from anogen.types import AnogenError, Fold, Frame, Injected

__all__ = ["train_frames", "ImportedSeries", "read_gutentag", "generate", "write", "main", "TRAIN_FILES"]


def train_frames(fold: Fold, sampler: Any, *, seed: int, supervised: bool, semi_supervised: bool,
                 min_gap: int = 1, model: Any = None, scaler: Any = None) -> dict[str, pd.DataFrame]:
    """GutenTAG's train files for one fold, as anogen frames (features, ``is_anomaly``,
    ``anomaly_kind``).

    Args:
        fold: the clean fold.
        sampler: the run's sampler; the supervised file is its anomalies written into the train
            part (placed, labelled and checked like the test fold's).
        seed: seed of the train injection.
        supervised: include ``train_anomaly.csv``.
        semi_supervised: include ``train_no_anomaly.csv`` (the clean train part, no labels set).
        min_gap: clean rows between anomalies.
        model, scaler: the generative model, for samplers that need one.

    Returns:
        ``{file name: DataFrame}``.
    """
    out: dict[str, pd.DataFrame] = {}
    clean = _train_as_test(fold)
    if semi_supervised:
        n = fold.train.shape[0]
        out[TRAIN_FILES["semi_supervised"]] = Injected(
            fold.train.copy(), np.zeros(n, bool), (), fold.columns, fold.train_index.copy(), fold.train.copy(),
            np.full(n, "", dtype=object)).to_frame(key=fold.key)
    if supervised:
        ctx = SampleContext.from_fold(clean, model=model, scaler=scaler, seed=seed)
        inj = generate_fold(sampler, ctx, np.random.default_rng(seed), min_gap=min_gap)
        out[TRAIN_FILES["supervised"]] = inj.to_frame(key=fold.key)
    return out


def _train_as_test(fold: Fold) -> Fold:
    """The fold with its train part as the part anomalies are written into."""
    return Fold(fold.number, fold.columns, fold.train, fold.train, fold.train_index, fold.train_index,
                fold.train_segments, fold.key)


# ------------------------------------------------------------------------------------------- importer
@dataclass
class ImportedSeries:
    """One GutenTAG time series mapped to anogen.

    Attributes:
        name: the series' name (``series{i}`` without one).
        length: rows of GutenTAG's series (the test part).
        data: the ``data`` config node (:class:`Oscillations`, ``2 * length`` rows, the second half
            the test part).
        sampler: the ``sampler`` config node (a ``compose`` of one ``inject`` per anomaly), or
            ``None`` without anomalies.
        supervised, semi_supervised: GutenTAG's train-file flags.
        approximated: what was mapped to a near, not an exact, counterpart.
        skipped: what could not be mapped and was left out.
    """

    name: str
    length: int
    data: dict[str, Any]
    sampler: dict[str, Any] | None
    supervised: bool = False
    semi_supervised: bool = False
    approximated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def config(self) -> dict[str, Any]:
        """``{"data": ..., "sampler": ...}``, the nodes this series replaces in an anogen config."""
        return {"data": self.data, "sampler": self.sampler}

    def into(self, cfg: Any) -> Any:
        """A copy of an anogen config (DictConfig or dict) with ``data`` and ``sampler`` replaced by
        this series' (``anogen.jobs.run(series.into(cfg))`` runs it with the config's detectors)."""
        from omegaconf import OmegaConf

        out = OmegaConf.create(OmegaConf.to_container(cfg, resolve=False) if OmegaConf.is_config(cfg) else dict(cfg))
        out.data = self.data
        out.sampler = self.sampler
        return out

    def report(self) -> str:
        """What was approximated and what was left out, one line each."""
        lines = [f"{self.name}: {self.length} rows, {len((self.sampler or {}).get('samplers', {}))} anomalies"]
        lines += [f"  approximated: {m}" for m in self.approximated]
        lines += [f"  not mapped: {m}" for m in self.skipped]
        return "\n".join(lines)


class GutenTAGSource(DataSource):
    """``data=gutentag data.path=config.yaml [data.series=NAME]``: one time series of a GutenTAG
    configuration, from the command line. Its base oscillations are the data (train part, then the
    test part), and its anomalies, mapped to anogen's kinds, replace the run's sampler
    (:attr:`sampler_node`; the job builds it in place of ``sampler``), so a run is what
    ``anogen.jobs.run(series.into(cfg))`` does in Python.

    Args:
        path: the GutenTAG YAML.
        series: the series' name (``None``: the first series of the file).
        seed: seed of the generated series.
    """

    name = "gutentag"

    def __init__(self, *, path: str, series: str | None = None, seed: NonNegativeInt = 0) -> None:
        if not Path(str(path)).expanduser().is_file():
            raise AnogenError(f"file not found: {path}", key="data.path")
        try:
            found = read_gutentag(Path(str(path)).expanduser(), seed=int(seed))
        except AnogenError as e:
            raise e.under("data.path") if e.key in (None, "gutentag") else e from None
        names = [s.name for s in found]
        if series is not None and str(series) not in names:
            raise AnogenError(f"unknown series {series!r}; the file's series: {names}", key="data.series")
        chosen = found[names.index(str(series))] if series is not None else found[0]
        self.path, self.series, self.seed = str(path), chosen.name, int(seed)
        self.imported = chosen
        self.source = build(dict(chosen.data), "data")
        self.sampler_node = dict(chosen.sampler) if chosen.sampler else None
        super().__init__(train="before", test_fraction=0.5, scaling=self.source.scaling)
        self.supervised = bool(getattr(self.source, "supervised", False))
        self.semi_supervised = bool(getattr(self.source, "semi_supervised", False))

    def load(self) -> Frame:
        return self.source.load()

    def folds(self, frame: Frame | None = None) -> list[Fold]:
        return self.source.folds(frame)


def _load(src: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(src, Mapping):
        return dict(src)
    import yaml

    try:
        doc = yaml.safe_load(Path(src).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise AnogenError(f"cannot read {src}: {' '.join(str(e).split())}", key="gutentag") from None
    if not isinstance(doc, Mapping) or not isinstance(doc.get("timeseries"), list):
        raise AnogenError(f"gutentag: {src} has no 'timeseries' list (GutenTAG's configuration format)")
    return dict(doc)


def read_gutentag(src: str | Path | Mapping[str, Any], seed: int = 0) -> list[ImportedSeries]:
    """Map every time series of a GutenTAG configuration to anogen.

    Args:
        src: a YAML file or the parsed configuration (``{"timeseries": [...]}``).
        seed: seed of the generated series.

    Returns:
        One :class:`ImportedSeries` per time series whose base oscillations could be mapped (the
        others are reported in the first series' ``skipped`` and left out).

    Raises:
        AnogenError: not a GutenTAG configuration.
    """
    if not isinstance(src, (str, Path, Mapping)):
        raise AnogenError(f"must be a YAML file's path or a GutenTAG configuration (a dict), got {type(src).__name__}",
                          key="src")
    out, lost = [], []
    for i, ts in enumerate(_load(src)["timeseries"]):
        if not isinstance(ts, Mapping):
            raise AnogenError(f"must be a mapping of the series' settings (name, length, base-oscillation, anomalies), "
                              f"got {ts!r}", key=f"timeseries[{i}]")
        name = str(ts.get("name") or f"series{i}")
        try:
            out.append(_import_series(ts, name, seed, name))
        except _Unmappable as e:
            lost.append(f"timeseries {name!r}: {e} (series left out)")
    if lost and out:
        out[0].skipped[:0] = lost
    if not out:
        raise AnogenError("gutentag: no time series could be mapped: " + "; ".join(lost))
    return out


class _Unmappable(Exception):
    """A part of a GutenTAG configuration with no anogen counterpart."""


def _keyed(d: Mapping[str, Any]) -> dict[str, Any]:
    """GutenTAG's ``a-b`` parameter names as ``a_b``."""
    return {str(k).replace("-", "_"): v for k, v in d.items()}


def _oscillation(bo: Mapping[str, Any], where: str, notes: list[str]) -> dict[str, Any]:
    """A GutenTAG base oscillation as an anogen oscillation spec (unknown parameters dropped)."""
    bo = _keyed(bo)
    kind = str(bo.get("kind", "sine")).replace("-", "_")
    if kind not in OSCILLATIONS:
        hint = " (use data=csv for your own series)" if kind == "custom_input" else ""
        raise _Unmappable(f"{where}: base oscillation {bo.get('kind')!r} has no anogen counterpart{hint}")
    valid = set(inspect.signature(OSCILLATIONS[kind]).parameters) - {"n", "rng", "channel"}
    spec: dict[str, Any] = {"kind": kind}
    if "frequency" in valid:
        spec["frequency"] = 10.0  # GutenTAG's default (anogen's is 1 period per 100 rows)
    for k, v in bo.items():
        if k in ("variance", "offset"):
            spec[k] = v
        elif k == "trend":
            spec["trend"] = _oscillation(v, f"{where}.trend", notes)
        elif k in valid:
            spec[k] = v
        elif k != "kind":
            notes.append(f"{where}: parameter {k!r} of {kind} ignored")
    try:
        return check_oscillation(spec, where)
    except AnogenError as e:
        raise _Unmappable(str(e)) from None


def _int(d: Mapping[str, Any], name: str, default: int, key: str, minimum: int | None = None) -> int:
    """GutenTAG's integer setting ``name`` of ``d`` (one line naming ``key`` when it is not one)."""
    v = d.get(name, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or (isinstance(v, float) and not v.is_integer()):
        raise AnogenError(f"must be an integer, got {v!r}", key=key)
    if minimum is not None and v < minimum:
        raise AnogenError(f"must be >= {minimum}, got {v!r}", key=key)
    return int(v)


def _import_series(ts: Mapping[str, Any], name: str, seed: int, at: str) -> ImportedSeries:
    """One GutenTAG time series; ``at`` names it in messages (its name, as the report does)."""
    length = _int(ts, "length", 10000, f"{at}.length", minimum=1)
    notes: list[str] = []
    safe = safe_name(name)
    if safe != name:  # the name becomes a folder: it must stay one name inside --out
        notes.append(f"{at}.name {name!r} is written as the folder {safe!r}")
        name = safe
    if ts.get("base-oscillations"):
        specs = [_oscillation(bo, f"{name}.base-oscillations[{j}]", notes)
                 for j, bo in enumerate(ts["base-oscillations"])]
        shape: dict[str, Any] = {"oscillations": specs, "d": len(specs)}
    elif ts.get("base-oscillation"):
        spec = _oscillation(ts["base-oscillation"], f"{name}.base-oscillation", notes)
        shape = {"oscillation": spec, "d": int(ts.get("channels", 1))}
        specs = [spec] * shape["d"]
    else:
        raise _Unmappable("no base-oscillation(s)")
    data = config_node(Oscillations, n=2 * length, seed=seed, **shape, test_fraction=0.5, train="before",
                       supervised=bool(ts.get("supervised", False)),
                       semi_supervised=bool(ts.get("semi-supervised", False)))
    series = ImportedSeries(name, length, data, None, data["supervised"], data["semi_supervised"], notes)
    try:
        fold = _build_data(data).folds()[0]
    except AnogenError as e:  # the data node's keys are GutenTAG's settings of this series
        raise e.rekeyed({"data.n": f"{at}.length", "data": at}) from None
    injects = {}
    for i, an in enumerate(ts.get("anomalies") or []):
        node = _anomaly(an, f"{name}.anomalies[{i}]", fold, specs, series)
        if node is not None:
            injects[f"anomaly{i}"] = node
    if injects:
        series.sampler = config_node(Compose, samplers=injects)
    return series


def _build_data(node: Mapping[str, Any]) -> Oscillations:
    return build(dict(node), "data")


def _anomaly(an: Mapping[str, Any], where: str, fold: Fold, specs: list[dict], series: ImportedSeries) -> dict | None:
    """One GutenTAG anomaly as an ``inject`` node (``None`` when none of its kinds maps)."""
    L = _int(an, "length", 200, f"{where}.length", minimum=1)
    ch = _int(an, "channel", 0, f"{where}.channel")
    if not 0 <= ch < len(specs):
        series.skipped.append(f"{where}: channel {ch} does not exist ({len(specs)} channels)")
        return None
    ctx = _KindContext(L, float(fold.train[:, ch].std() or 1.0), float(np.ptp(fold.train[:, ch])), specs[ch])
    nodes, labels = [], []
    for j, k in enumerate(an.get("kinds") or []):
        try:
            cls, params, note = _kind(_keyed(k), ctx)
        except _Unmappable as e:
            series.skipped.append(f"{where}.kinds[{j}]: {e}")
            continue
        nodes.append(config_node(cls, **params))
        labels.append(cls.name)
        if note:
            series.approximated.append(f"{where}.kinds[{j}]: {note}")
    if not nodes:
        return None
    kind = nodes[0] if len(nodes) == 1 else config_node(Combine, kinds=nodes)
    label = labels[0] if len(nodes) == 1 else Combine.name  # the kind's own name (combine: its parts')
    position: Any = [int(an["exact-position"])] if an.get("exact-position") is not None \
        else str(an.get("position", "middle"))
    node = config_node(Inject, count=1, kinds=[label], min_length=L, max_length=L, columns=[f"x{ch}"],
                       position=position, creeping=int(an.get("creeping-length", 0) or 0), catalog={label: kind})
    try:  # checked now, so that a bad anomaly is reported rather than failing the whole series later
        _build_inject(node)
    except AnogenError as e:
        series.skipped.append(f"{where}: {e}")
        return None
    return node


def _build_inject(node: Mapping[str, Any]) -> Any:
    return build(dict(node), "sampler")


@dataclass(frozen=True)
class _KindContext:
    """What a kind mapping needs: event rows, the channel's train std and range, its oscillation."""

    length: int
    std: float
    range: float
    spec: dict[str, Any]

    @property
    def amplitude(self) -> float:
        return float(self.spec.get("amplitude", 1.0))


#: a mapped kind: its class, its parameters, and a note when it only approximates GutenTAG's
_Mapped = tuple[type[AnomalyKind], dict[str, Any], str | None]


def _direction(x: float) -> str:
    return "up" if x > 0 else "down"


def _kind(k: dict[str, Any], c: _KindContext) -> _Mapped:
    """A GutenTAG anomaly kind as an anogen kind class and its parameters, and a note when only approximated."""
    kind = str(k.get("kind", "")).replace("-", "_")
    if kind == "amplitude":
        f = float(k.get("amplitude_factor", 1.0))
        _nonzero(f - 1.0, "amplitude_factor 1 changes nothing")
        return (Amplitude, {"factor": max(f, 1 / f), "direction": _direction(f - 1)},
                "amplitude: GutenTAG multiplies the raw values by a bell-shaped envelope, anogen scales the "
                "deviations from the local baseline")
    if kind == "mean":
        o = float(k.get("offset", 0.0))
        _nonzero(o, "offset 0 changes nothing")
        return LevelShift, {"offset": abs(o) / c.std, "direction": _direction(o)}, None
    if kind == "frequency":
        f = float(k.get("frequency_factor", 1.0))
        _nonzero(f - 1.0, "frequency_factor 1 changes nothing")
        return Frequency, {"factor": max(f, 1 / f), "direction": _direction(f - 1)}, None
    if kind == "platform":
        return Flatline, {"value": float(k.get("value", 0.0))}, None
    if kind == "mode_correlation":
        return Bias, {"mode": "proportional", "value": 2.0, "direction": "down"}, None
    if kind == "pattern":
        return (Pattern, {"style": "warp"},
                "pattern: GutenTAG's per-oscillation pattern change (sinusoid_k, cbf_pattern_factor, ...) is "
                "approximated by anogen's time warp")
    mapper = {"extremum": _extremum, "pattern_shift": _pattern_shift, "variance": _variance, "trend": _trend}.get(kind)
    if mapper is None:
        raise _Unmappable(f"anomaly kind {k.get('kind')!r} is not one of GutenTAG's")
    return mapper(k, c)


def _nonzero(x: float, why: str) -> None:
    if x == 0:
        raise _Unmappable(why)


def _extremum(k: dict[str, Any], c: _KindContext) -> _Mapped:
    d = "down" if k.get("min", False) else "up"
    if k.get("local", False):
        context = max(1, int(k.get("context_window", 10)) // 2)
        return (LocalExtremum, {"context": context, "excess": [0.05, 1.0], "direction": d},
                "local extremum: anogen goes beyond the local maximum (GutenTAG adds up to the local range "
                "to the value)")
    r = max(c.range, 1e-12) / c.std  # GutenTAG: value +- U(0.5, 1.5) * the series' range
    return Spike, {"magnitude": [0.5 * r, 1.5 * r], "direction": d}, None


def _pattern_shift(k: dict[str, Any], c: _KindContext) -> _Mapped:
    s = int(k.get("shift_by", 5))
    _nonzero(s, "shift_by 0 changes nothing")
    t = min(max(float(k.get("transition_window", 10)) / c.length, 1e-3), 0.49)
    return PatternShift, {"shift": abs(s), "direction": _direction(s), "transition": t}, None


def _variance(k: dict[str, Any], c: _KindContext) -> _Mapped:
    new, base = float(k.get("variance", 0.0)) * c.amplitude, float(c.spec.get("variance", 0.0)) * c.amplitude
    if new <= base:
        raise _Unmappable(f"variance {k.get('variance')} lowers the noise (base {c.spec.get('variance', 0.0)}); "
                          "no anogen kind removes noise")
    return Variance, {"scale": math.sqrt(new**2 - base**2) / c.std}, None


def _trend(k: dict[str, Any], c: _KindContext) -> _Mapped:
    osc = _keyed(k.get("oscillation") or {})
    spec = _oscillation(osc, "trend.oscillation", [])
    curve = oscillation({**spec, "variance": 0.0}, c.length, np.random.default_rng(0))
    end = float(curve[-1] - curve[0])
    _nonzero(end, "the trend oscillation ends where it starts")
    coefs = list(spec.get("polynomial", [])) if spec["kind"] == "polynomial" else []
    shape = "quadratic" if len(coefs) == 3 and coefs[1] == 0 and coefs[2] != 0 else "linear"
    exact = spec["kind"] == "polynomial" and (len(coefs) <= 2 or shape == "quadratic")
    note = None if exact else f"trend: the {spec['kind']} trend is approximated by a {shape} drift to its end value"
    note = (note + "; " if note else "") + "GutenTAG keeps the trend's end offset after the anomaly (unlabelled " \
        "rows), anogen's drift ends with the event"
    return Drift, {"shape": shape, "magnitude": abs(end) / c.std, "direction": _direction(end)}, note


# ------------------------------------------------------------------------------------------- generate
def generate(series: ImportedSeries, seed: int = 0, min_gap: int = 0) -> tuple[dict[str, pd.DataFrame], Injected]:
    """Run an imported series through anogen: GutenTAG's files as DataFrames.

    Returns:
        ``{"test.csv": ..., "train_no_anomaly.csv": ..., "train_anomaly.csv": ...}`` (train files
        when the series asks for them) with GutenTAG's columns ``timestamp, value-0, ...,
        is_anomaly``, and the injected test part (events, kinds, clean values).
    """
    source = _build_data(series.data)
    fold = source.folds()[0]
    sampler = build(series.sampler, "sampler") if series.sampler else None
    if sampler is None:
        n = fold.test.shape[0]
        test = Injected(fold.test, np.zeros(n, bool), (), fold.columns, fold.test_index, fold.test,
                        np.full(n, "", dtype=object))
    else:
        ctx = SampleContext.from_fold(fold, seed=seed)
        test = generate_fold(sampler, ctx, np.random.default_rng(stage_seed(seed, 0, 2)), min_gap=min_gap)
    out = {"test.csv": _gutentag_frame(test.values, test.labels)}
    if sampler is not None or series.semi_supervised:
        extra = train_frames(fold, sampler, seed=stage_seed(seed, 0, 3), min_gap=min_gap,
                             supervised=series.supervised and sampler is not None,
                             semi_supervised=series.semi_supervised)
        for name, df in extra.items():
            out[name] = _gutentag_frame(df[list(fold.columns)].to_numpy(), df["is_anomaly"].to_numpy())
    return out, test


def _gutentag_frame(values: np.ndarray, labels: np.ndarray) -> pd.DataFrame:
    df = pd.DataFrame(values, columns=[f"value-{j}" for j in range(values.shape[1])])
    df.insert(0, "timestamp", np.arange(values.shape[0]))
    df["is_anomaly"] = np.asarray(labels).astype(int)
    return df


def _event(e: Any) -> dict[str, Any]:
    """An event as ``anomalies.json`` writes it: its columns named as in ``test.csv`` (``value-0``)."""
    d = e.to_dict()
    d["columns"] = [f"value-{c[1:]}" if str(c).startswith("x") and str(c)[1:].isdigit() else c for c in d["columns"]]
    return d


def write(series: Sequence[ImportedSeries], out_dir: str | Path, seed: int = 0) -> list[Path]:
    """GutenTAG's layout: ``out_dir/<name>/test.csv`` (+ train files, ``anomalies.json``).

    All or nothing: the files are staged and appear together (:class:`~anogen.outputs.context.RunOutputs`);
    a failure (a full disk) or an interruption leaves no partial series folder."""
    rels = []
    with RunOutputs(Path(out_dir)) as out:
        for s in series:
            name = safe_name(s.name)
            files, test = generate(s, seed=seed)
            for fname, df in files.items():
                out.write_csv(f"{name}/{fname}", df)
                rels.append(f"{name}/{fname}")
            out.write_json(f"{name}/anomalies.json", {"events": [_event(e) for e in test.events],
                                                       "approximated": s.approximated, "not_mapped": s.skipped})
            rels.append(f"{name}/anomalies.json")
    return [Path(out_dir) / r for r in rels]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m anogen.gutentag config.yaml [--out DIR] [--seed N] [--print-config]``; returns the
    exit code: 0 done, 2 a mistake (one line on stderr naming GutenTAG's key; nothing written), 3 no
    space left on the device (nothing written), 130/143 interrupted (nothing written)."""
    ap = argparse.ArgumentParser(prog="python -m anogen.gutentag",
                                 description="Generate GutenTAG time series with anogen's kinds and placement.")
    ap.add_argument("config", help="a GutenTAG configuration (YAML)")
    ap.add_argument("--out", default="generated-timeseries", help="output folder (GutenTAG's layout)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--print-config", action="store_true", help="print the anogen data/sampler nodes, write nothing")
    a = ap.parse_args(argv)

    def work() -> None:
        if not a.print_config:
            check_output_dir(a.out, "--out")
        series = read_gutentag(a.config, seed=a.seed)
        for s in series:
            print(s.report())
            if a.print_config:
                print(json.dumps(s.config(), indent=2))
        if not a.print_config:
            print(f"wrote {len(write(series, a.out, seed=a.seed))} files to {a.out}")
    return run_command("anogen.gutentag", work, out=a.out)[0]


if __name__ == "__main__":  # pragma: no cover
    exit_process(main())
