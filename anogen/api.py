"""Library use: objects in, objects out, no files written.

>>> import numpy as np, anogen
>>> x = np.sin(np.linspace(0, 20, 500))[:, None] + 2
>>> inj = anogen.generate(x, sampler="noise", ratio=0.02, magnitude=0.5, seed=1)
>>> int(inj.labels.sum())
10
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from anogen.types import AnogenError, Fold, Injected

__all__ = ["benchmark", "generate", "evaluate", "load_component_config", "CONF_DIR"]

CONF_DIR = Path(__file__).parent / "conf"


def load_component_config(group: str, name: str, *, whole: bool = False, **overrides: Any) -> dict:
    """The packaged YAML ``conf/{group}/{name}.yaml`` as a dict, with ``overrides`` merged in.

    A file with a single ``{name: {_target_: ...}}`` entry (multi-select groups such as detectors)
    is unwrapped to that entry unless ``whole`` (metric groups hold several entries).

    Raises:
        AnogenError: unknown option (lists the valid ones).
    """
    from omegaconf import OmegaConf

    path = CONF_DIR / group / f"{name}.yaml"
    if not path.is_file():
        valid = sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))
        raise AnogenError(f"{group}: unknown option {name!r}; valid: {valid}")
    node = OmegaConf.to_container(OmegaConf.load(path), resolve=False)
    if not isinstance(node, dict):
        raise AnogenError(f"{group}/{name}.yaml is not a mapping")
    if not whole and "_target_" not in node and len(node) == 1:  # multi-select file
        node = next(iter(node.values()))
    node = {k: v for k, v in node.items() if k != "defaults"}
    node.update(overrides)
    return node


def _frame(data: Any, key: str | None, columns: Sequence[str] | None, name: str = "data"):
    import pandas as pd

    from anogen.data.loaders import frame_from_dataframe

    if isinstance(data, pd.DataFrame):
        return frame_from_dataframe(data, key=key, columns=columns, source=name)
    arr = np.asarray(data, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise AnogenError(f"{name} must be a DataFrame or an (n, d) array, got shape {arr.shape}")
    names = list(columns) if columns else [f"x{j}" for j in range(arr.shape[1])]
    if len(names) != arr.shape[1]:
        raise AnogenError(f"columns has {len(names)} names for {arr.shape[1]} array columns")
    return frame_from_dataframe(pd.DataFrame(arr, columns=names), source=name)


def _folds(frame, train: Any, key, columns, dates, train_mode: str, test_fraction: float | None = None) -> list[Fold]:
    """The folds of ``generate``: data vs a separate train set, date ranges, or data as its own reference."""
    from anogen.data.split import make_folds, segments_of

    if train is not None:
        if dates:
            raise AnogenError("give either train or dates, not both")
        tframe = _frame(train, key, columns, name="train")
        if tframe.columns != frame.columns:
            raise AnogenError(f"train columns {list(tframe.columns)} differ from data columns {list(frame.columns)}")
        return [Fold(0, frame.columns, tframe.values, frame.values, tframe.index, frame.index,
                     segments_of(np.ones(tframe.n_rows, bool)), key)]
    if dates or test_fraction is not None:
        return make_folds(frame, dates, train=train_mode, **({"test_fraction": test_fraction} if test_fraction else {}))
    return [Fold(0, frame.columns, frame.values, frame.values, frame.index, frame.index,
                 segments_of(np.ones(frame.n_rows, bool)), key)]


def _component(group: str, spec: Any, key: str, params: Mapping[str, Any] | None = None) -> Any:
    """A component from a packaged option name, a config dict with ``_target_``, or an object."""
    from anogen.config import build

    params = dict(params or {})
    if isinstance(spec, str):
        return build(load_component_config(group, spec, **params), key)
    if isinstance(spec, Mapping):
        return build({**dict(spec), **params}, key)
    if params:
        raise AnogenError(f"{key}: parameters {sorted(params)} given with an object; set them on it")
    return spec


def _model_getter(model: str | Mapping | None, trainer: Mapping | None, cache: bool | Mapping, seed: int, what: str):
    """``fold -> (model, scaler)`` training (or loading from the model cache) the generative model."""
    from anogen.jobs.spec import check_model, check_trainer
    from anogen.seeding import stage_seed
    from anogen.train.cache import train_or_load

    if model is None:
        raise AnogenError(f"{what} needs a model: pass model='vae' or model='vae_mlp'")
    mcfg = check_model(load_component_config("model", model) if isinstance(model, str) else dict(model))
    tcfg = check_trainer({**load_component_config("trainer", "default"), "progress": False, **dict(trainer or {})})
    cache_cfg = default_cache() if cache is True else (dict(cache) if isinstance(cache, Mapping) else {"enabled": False})

    def get(fold: Fold):
        m, scaler, _ = train_or_load(mcfg, tcfg, fold, seed=stage_seed(seed, fold.number, 0), cache=cache_cfg)
        return m, scaler
    return get


def default_cache() -> dict:
    """The model cache of the command line: ``$ANOGEN_CACHE_DIR`` or ``~/.cache/anogen``."""
    import os

    return {"enabled": True, "dir": os.environ.get("ANOGEN_CACHE_DIR") or str(Path.home() / ".cache" / "anogen")}


def generate(data: Any, *, sampler: str | Mapping | Any = "noise", train: Any = None, key: str | None = None,
             columns: Sequence[str] | None = None, dates: Sequence[Sequence] | None = None,
             train_mode: str = "rest", seed: int = 0, min_gap: int = 1, model: str | Mapping | None = None,
             trainer: Mapping | None = None, cache: bool | Mapping = True, **params: Any) -> Injected | list[Injected]:
    """Inject labelled anomalies into normal data.

    Args:
        data: DataFrame or ``(n, d)`` array of normal data.
        sampler: a packaged sampler name (``noise``, ``inject``, ``vae_tail``, ``latent_uniform``,
            ``compose``), a config dict with ``_target_``, or a sampler object.
        train: separate normal data that defines "normal" (statistics, model training). Without it
            and without ``dates``, ``data`` itself is used as the reference.
        key: time column of a DataFrame.
        columns: feature columns (DataFrame) or names for the array's columns.
        dates: ``[[start, end], ...]`` test ranges (see the ``data`` config); one result per pair.
        train_mode: ``rest`` or ``before`` (with ``dates``).
        seed: the only source of randomness.
        min_gap: minimum clean rows between anomalies.
        model: for generative samplers: ``vae``, ``vae_mlp`` or a model config dict.
        trainer: overrides of the trainer config (``epochs``, ``batch_size``, ...).
        cache: generative samplers: reuse a trained model from the model cache (as the command line
            does; ``$ANOGEN_CACHE_DIR`` or ``~/.cache/anogen``); ``False`` always trains, a dict
            ``{"enabled": True, "dir": ...}`` picks the folder. The only files ``generate`` may write.
        **params: sampler parameters (``ratio``, ``magnitude``, ``kinds``, ...).

    Returns:
        An :class:`~anogen.types.Injected` (a list of them when ``dates`` has several pairs).
    """
    from anogen.jobs.run import inject_fold
    from anogen.params import NonNegativeInt, check_value
    from anogen.seeding import stage_seed

    seed = check_value(seed, int, "seed")
    min_gap = check_value(min_gap, NonNegativeInt, "min_gap")
    folds = _folds(_frame(data, key, columns), train, key, columns, dates, train_mode)
    smp = _component("sampler", sampler, "sampler", params)
    get_model = _model_getter(model, trainer, cache, seed, f"sampler {getattr(smp, 'name', '?')}") \
        if getattr(smp, "needs_model", False) else None
    out = []
    for fold in folds:
        m, scaler = get_model(fold) if get_model else (None, None)
        inj, _ = inject_fold(smp, fold, m, scaler, stage_seed(seed, fold.number, 1), stage_seed(seed, fold.number, 2),
                             min_gap)
        out.append(inj)
    return out[0] if len(out) == 1 else out


def evaluate(targets: Any, candidates: Any, k: int = 0) -> dict:
    """The seed's evaluation on label sequences (Kovács et al. 2019 and the other label metrics).

    Args:
        targets: one 0/1 sequence or a list of them (true anomalies).
        candidates: same shape (detections).
        k: tolerance window (the seed's ``range``).

    Returns:
        The ``evalresults.json`` dict: per-pair lists and their ``average_*``.
    """
    from anogen.metrics.seed_eval import evaluate_pairs

    t = targets if (len(targets) and np.ndim(targets[0]) == 1) else [targets]
    c = candidates if (len(candidates) and np.ndim(candidates[0]) == 1) else [candidates]
    return evaluate_pairs(t, c, k)


def benchmark(data: Any, *, samplers: Sequence[str] | Mapping[str, Any] = ("noise", "inject"),
              detectors: Sequence[str] | Mapping[str, Any] = ("zscore", "iforest", "pca", "random"),
              metrics: Sequence[str] = ("pointwise", "threshold_free"), threshold: str | Mapping = "percentile",
              seeds: Sequence[int] = (0,), key: str | None = None, columns: Sequence[str] | None = None,
              dates: Sequence[Sequence] | None = None, train_mode: str = "rest", test_fraction: float = 0.25,
              tuning: Mapping[str, Any] | None = None, model: str | Mapping | None = None,
              trainer: Mapping | None = None, cache: bool | Mapping = True, min_gap: int = 1,
              by_sampler: bool = False):
    """Which detector finds which anomalies: the leaderboard as a DataFrame (no result files written).

    Args:
        data: DataFrame or ``(n, d)`` array of normal data.
        samplers: packaged sampler names or ``{name: config dict | sampler object}``.
        detectors: packaged detector names or ``{name: config dict | detector object}`` (objects are
            cloned, never fitted in place).
        metrics: packaged metric groups (``pointwise``, ``threshold_free``, ``kovacs``, ``range``, ...).
        threshold: packaged threshold name (``percentile``, ``contamination``, ``fixed``, ``best_f1``) or a dict.
        seeds: one injection per seed.
        key, columns, dates, train_mode, test_fraction: as for the ``data`` config.
        tuning: ``{"enabled": True, "objective": "f1"|"recall_at_fpr", "max_fpr": 0.05}`` to pick
            thresholds on a validation half of each test fold.
        model, trainer, cache: for generative samplers (see :func:`generate`).
        min_gap: placement gap.
        by_sampler: one row per (detector, sampler) instead of per detector.

    Returns:
        DataFrame: one row per detector (mean and ``_std`` of every metric, ``recall[kind]``).
    """
    from anogen.config import build_group
    from anogen.jobs.benchmark import leaderboard, run_benchmark
    from anogen.jobs.spec import Tuning
    from anogen.params import NonNegativeInt, check_params, check_value

    seeds = check_value(list(seeds), list[int], "seeds")
    min_gap = check_value(min_gap, NonNegativeInt, "min_gap")
    tuning = vars(Tuning(**check_params(Tuning, dict(tuning or {}), "tuning")))
    folds = _folds(_frame(data, key, columns), None, key, columns, dates, train_mode, test_fraction)
    smp = _named("sampler", "samplers", samplers)
    dets = _named("detectors", "detectors", detectors)
    mets: dict[str, Any] = {}
    for g in metrics:
        mets.update(build_group(load_component_config("metrics", g, whole=True), "metrics"))
    thr = _component("threshold", threshold, "threshold")
    get_model = _model_getter(model, trainer, cache, seeds[0], "a generative sampler") \
        if any(getattr(s, "needs_model", False) for s in smp.values()) else None
    res = run_benchmark(folds, smp, dets, mets, thr, seeds=seeds, tuning=tuning, get_model=get_model,
                        min_gap=min_gap, keep_traces=False)
    return leaderboard(res.rows, ("detector", "sampler") if by_sampler else ("detector",))


def _named(group: str, key: str, items: Sequence[str] | Mapping[str, Any]) -> dict[str, Any]:
    """``{name: component}`` from packaged names or a mapping of configs/objects (at least one)."""
    if isinstance(items, str):
        items = [items]
    if not items:
        raise AnogenError(f"{key}: give at least one, e.g. {key}=[{'zscore' if group == 'detectors' else 'noise'!r}]")
    if isinstance(items, Mapping):
        return {k: _component(group, v, f"{group}.{k}") for k, v in items.items()}
    return {n: _component(group, n, f"{group}.{n}") for n in items}
