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


def load_component_config(group: str, name: str, **overrides: Any) -> dict:
    """The packaged YAML ``conf/{group}/{name}.yaml`` as a dict, with ``overrides`` merged in.

    Raises:
        AnogenError: unknown option (lists the valid ones).
    """
    from omegaconf import OmegaConf

    path = CONF_DIR / group / f"{name}.yaml"
    if not path.is_file():
        valid = sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))
        raise AnogenError(f"{group}: unknown option {name!r}; valid: {valid}")
    node = OmegaConf.to_container(OmegaConf.load(path), resolve=False)
    if isinstance(node, dict) and "_target_" not in node and len(node) == 1:  # multi-select file
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


def generate(data: Any, *, sampler: str | Mapping | Any = "noise", train: Any = None, key: str | None = None,
             columns: Sequence[str] | None = None, dates: Sequence[Sequence] | None = None,
             train_mode: str = "rest", seed: int = 0, min_gap: int = 1, model: str | Mapping | None = None,
             trainer: Mapping | None = None, **params: Any) -> Injected | list[Injected]:
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
        **params: sampler parameters (``ratio``, ``magnitude``, ``kinds``, ...).

    Returns:
        An :class:`~anogen.types.Injected` (a list of them when ``dates`` has several pairs).
    """
    from anogen.config import build
    from anogen.data.split import make_folds, segments_of
    from anogen.pipeline import fold_context, stage_seed
    from anogen.samplers import generate_fold

    frame = _frame(data, key, columns)
    if train is not None:
        if dates:
            raise AnogenError("give either train or dates, not both")
        tframe = _frame(train, key, columns, name="train")
        if tframe.columns != frame.columns:
            raise AnogenError(f"train columns {list(tframe.columns)} differ from data columns {list(frame.columns)}")
        folds = [Fold(0, frame.columns, tframe.values, frame.values, tframe.index, frame.index,
                      segments_of(np.ones(tframe.n_rows, bool)), key)]
    elif dates:
        folds = make_folds(frame, dates, train=train_mode)
    else:
        folds = [Fold(0, frame.columns, frame.values, frame.values, frame.index, frame.index,
                      segments_of(np.ones(frame.n_rows, bool)), key)]
    if isinstance(sampler, str):
        smp = build(load_component_config("sampler", sampler, **params), "sampler")
    elif isinstance(sampler, Mapping):
        smp = build({**dict(sampler), **params}, "sampler")
    else:
        if params:
            raise AnogenError(f"sampler parameters {sorted(params)} given with a sampler object; set them on it")
        smp = sampler
    needs_model = bool(getattr(smp, "needs_model", False))
    if needs_model and model is None:
        raise AnogenError(f"sampler {getattr(smp, 'name', '?')} needs a model: pass model='vae' or model='vae_mlp'")
    out = []
    for fold in folds:
        m, scaler = None, None
        if needs_model:
            from anogen.train.cache import train_or_load

            mcfg = load_component_config("model", model) if isinstance(model, str) else dict(model)
            tcfg = {**load_component_config("trainer", "default"), "progress": False, **dict(trainer or {})}
            m, scaler, _ = train_or_load(mcfg, tcfg, fold, seed=stage_seed(seed, fold.number, 0))
        ctx = fold_context(fold, model=m, scaler=scaler, seed=stage_seed(seed, fold.number, 1))
        rng = np.random.default_rng(stage_seed(seed, fold.number, 2))
        if hasattr(smp, "generate"):
            out.append(smp.generate(ctx, rng, min_gap=min_gap))
        else:
            out.append(generate_fold(smp, ctx, rng, min_gap=min_gap))
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
              trainer: Mapping | None = None, min_gap: int = 1, by_sampler: bool = False):
    """Which detector finds which anomalies: the leaderboard as a DataFrame (no files written).

    Args:
        data: DataFrame or ``(n, d)`` array of normal data.
        samplers: packaged sampler names or ``{name: config dict | sampler object}``.
        detectors: packaged detector names or ``{name: config dict | detector object}``.
        metrics: packaged metric groups (``pointwise``, ``threshold_free``, ``kovacs``, ``range``, ...).
        threshold: packaged threshold name (``percentile``, ``contamination``, ``fixed``, ``best_f1``) or a dict.
        seeds: one injection per seed.
        key, columns, dates, train_mode, test_fraction: as for the ``data`` config.
        tuning: ``{"enabled": True, "objective": "f1"|"recall_at_fpr", "max_fpr": 0.05}`` to pick
            thresholds on a validation half of each test fold.
        model, trainer: for generative samplers (see :func:`generate`).
        min_gap: placement gap.
        by_sampler: one row per (detector, sampler) instead of per detector.

    Returns:
        DataFrame: one row per detector (mean and ``_std`` of every metric, ``recall[kind]``).
    """
    from anogen.config import build, build_group
    from anogen.data.split import make_folds
    from anogen.leaderboard import leaderboard, run_benchmark
    from anogen.pipeline import stage_seed

    frame = _frame(data, key, columns)
    folds = make_folds(frame, dates, train=train_mode, test_fraction=test_fraction)

    def named(group, items):
        if isinstance(items, Mapping):
            return {k: (build(v, f"{group}.{k}") if isinstance(v, Mapping) else v) for k, v in items.items()}
        return {n: build(load_component_config(group, n), f"{group}.{n}") for n in items}

    smp = named("sampler", samplers)

    def make_detectors():
        if isinstance(detectors, Mapping):
            import copy

            return {k: (build(v, f"detectors.{k}") if isinstance(v, Mapping) else copy.deepcopy(v))
                    for k, v in detectors.items()}
        return {n: build(load_component_config("detectors", n), f"detectors.{n}") for n in detectors}

    mets: dict[str, Any] = {}
    for g in metrics:
        from omegaconf import OmegaConf

        path = CONF_DIR / "metrics" / f"{g}.yaml"
        if not path.is_file():
            valid = sorted(p.stem for p in (CONF_DIR / "metrics").glob("*.yaml"))
            raise AnogenError(f"metrics: unknown group {g!r}; valid: {valid}")
        mets.update(build_group(OmegaConf.load(path), "metrics"))
    thr = build(load_component_config("threshold", threshold) if isinstance(threshold, str) else dict(threshold),
                "threshold")
    get_model = None
    if any(getattr(s, "needs_model", False) for s in smp.values()):
        if model is None:
            raise AnogenError("a generative sampler needs model='vae' or model='vae_mlp'")
        from anogen.train.cache import train_or_load

        mcfg = load_component_config("model", model) if isinstance(model, str) else dict(model)
        tcfg = {**load_component_config("trainer", "default"), "progress": False, **dict(trainer or {})}

        def get_model(fold):
            m, sc, _ = train_or_load(mcfg, tcfg, fold, seed=stage_seed(seeds[0], fold.number, 0))
            return m, sc

    rows, _ = run_benchmark(folds, smp, make_detectors, mets, thr, seeds=list(seeds), tuning=tuning,
                            get_model=get_model, min_gap=min_gap, keep_traces=False)
    return leaderboard(rows, ("detector", "sampler") if by_sampler else ("detector",))
