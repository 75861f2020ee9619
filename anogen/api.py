"""Library use: objects in, objects out, no files written.

>>> import numpy as np, anogen
>>> x = np.sin(np.linspace(0, 20, 500))[:, None] + 2
>>> inj = anogen.generate(x, sampler="noise", ratio=0.02, magnitude=0.5, seed=1)
>>> int(inj.labels.sum())
10
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from anogen.metrics.seed_eval import evaluate_pairs
from anogen.paths import CONF_DIR
from anogen.seeding import stage_seed
from anogen.types import AnogenError, Fold, Injected

__all__ = ["benchmark", "generate", "evaluate", "select", "evaluate_detectors", "load_component_config",
           "CONF_DIR"]



def load_component_config(group: str, name: str, *, whole: bool = False, **overrides: Any) -> dict:
    """The packaged YAML ``conf/{group}/{name}.yaml`` as a dict, with ``overrides`` merged in.

    A file with a single ``{name: {_target_: ...}}`` entry (multi-select groups such as detectors)
    is unwrapped to that entry unless ``whole`` (metric groups hold several entries).

    Raises:
        AnogenError: unknown option (lists the valid ones).
    """
    # lazy: pydantic: `import anogen` stays free of them
    from anogen.config import packaged_option

    node = packaged_option(group, name)
    if not whole and "_target_" not in node and len(node) == 1:  # multi-select file
        node = next(iter(node.values()))
    node.update(overrides)
    return node


def _frame(data: Any, key: str | None, columns: Sequence[str] | None, name: str = "data"):
    import pandas as pd

    # lazy: pandas: `import anogen` stays free of them
    from anogen.data.loaders import frame_from_dataframe

    key = _optional_str(key, "key")
    columns = _names(columns, "columns")
    if isinstance(data, pd.DataFrame):
        return frame_from_dataframe(data, key=key, columns=columns, source=name)
    if data is None or isinstance(data, (str, bytes, Mapping)) or not hasattr(data, "__len__"):
        raise AnogenError(f"{name}: must be a DataFrame or a numeric (n, d) array, got {type(data).__name__}")
    try:
        arr = np.asarray(data, dtype=np.float64)
    except (ValueError, TypeError) as e:
        why = "rows of different lengths" if "inhomogeneous" in str(e) else " ".join(str(e).split())
        raise AnogenError(f"{name}: must be a DataFrame or a numeric (n, d) array ({why})") from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise AnogenError(f"{name}: must be a DataFrame or an (n, d) array, got shape {arr.shape}")
    names = list(columns) if columns else [f"x{j}" for j in range(arr.shape[1])]
    if len(names) != arr.shape[1]:
        raise AnogenError(f"columns: {len(names)} names for {arr.shape[1]} array columns")
    return frame_from_dataframe(pd.DataFrame(arr, columns=names), source=name)


# ---- argument checks: one AnogenError naming the argument ----------------------------------------
def _int(value: Any, name: str, minimum: int | None = None) -> int:
    """An integer argument (``bool`` and strings refused), optionally ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise AnogenError(f"{name}: must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise AnogenError(f"{name}: must be >= {minimum}, got {value!r}")
    return int(value)


def _optional_str(value: Any, name: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise AnogenError(f"{name}: must be a column name (str) or None, got {value!r}")
    return value


def _names(value: Any, name: str) -> list[str] | None:
    """A list of names (a lone string is refused: ``columns="ab"`` is not ``["a", "b"]``)."""
    import pandas as pd

    if value is None:
        return None
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (Sequence, np.ndarray, pd.Index)):
        raise AnogenError(f"{name}: must be a list of names, got {value!r}")
    return [str(v) for v in value]


def _spec(value: Any, name: str, what: str, attrs: tuple[str, ...]) -> Any:
    """A component argument: a packaged name, a config dict, or an object with ``attrs``."""
    if isinstance(value, (str, Mapping)) or all(hasattr(value, a) for a in attrs):
        return value
    raise AnogenError(f"{name}: must be a packaged {what} name, a config dict with _target_ or a {what} object, "
                      f"got {value!r}")


def _list_arg(value: Any, name: str) -> list:
    """A list argument (one string is a list of one)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (bytes, Mapping)) or not isinstance(value, (Sequence, np.ndarray)):
        raise AnogenError(f"{name}: must be a list, got {value!r}")
    return list(value)


#: the ``data`` config keys of the data errors -> the arguments of ``generate``/``benchmark``/``select``
_DATA_KEYS = {"data.dates": "dates", "data.train": "train_mode", "data.test_fraction": "test_fraction",
              "data.columns": "columns", "data.key": "key"}


@contextmanager
def _api_errors() -> Iterator[None]:
    """Data errors naming the arguments (``dates[0]``, not ``data.dates[0]``): the error's key and
    the keys its text declares are renamed, nothing else. ``data.nan`` is no argument here: its hint
    becomes "set clean data"."""
    try:
        yield
    except AnogenError as e:
        e = e.rekeyed(_DATA_KEYS)
        if e.hint is not None and "data.nan" in e.refs:
            e = e.replace(hint="set clean data")
        raise e from None


def _folds(frame, train: Any, key, columns, dates, train_mode: str, test_fraction: float | None = None) -> list[Fold]:
    """The folds of ``generate``: data vs a separate train set, date ranges, or data as its own reference."""
    # lazy: pandas, pydantic: `import anogen` stays free of them
    from anogen.data.split import TrainMode, make_folds, segments_of
    from anogen.params import check_value

    check_value(train_mode, TrainMode, "train_mode")
    if dates is not None and (isinstance(dates, (str, bytes, Mapping)) or not isinstance(dates, Sequence)):
        raise AnogenError(f"dates: must be a list of [start, end] pairs, got {dates!r}")
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
    # lazy: pydantic: `import anogen` stays free of them
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
    # lazy: pandas, scikit-learn, JAX: `import anogen` stays free of them
    from anogen.jobs.spec import check_model, check_trainer
    from anogen.train.cache import train_or_load

    if model is None:
        raise AnogenError(f"{what} needs a model: pass model='vae' or model='vae_mlp'")
    if not isinstance(model, (str, Mapping)):
        raise AnogenError(f"model: must be 'vae', 'vae_mlp', 'lstm_ae' or a model config dict, got {model!r}")
    if trainer is not None and not isinstance(trainer, Mapping):
        raise AnogenError(f"trainer: must be a dict of trainer settings, got {trainer!r}")
    if not isinstance(cache, (bool, Mapping)):
        raise AnogenError(f"cache: must be True, False or {{'enabled': ..., 'dir': ...}}, got {cache!r}")
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
             trainer: Mapping | None = None, cache: bool | Mapping = True, on_degenerate: str = "warn",
             **params: Any) -> Injected | list[Injected]:
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
        on_degenerate: learned samplers: what a ``degenerate`` generator report does, ``warn`` (a
            logged warning) or ``error`` (an :class:`~anogen.types.AnogenError` with the reasons).
        **params: sampler parameters (``ratio``, ``magnitude``, ``kinds``, ...).

    Returns:
        An :class:`~anogen.types.Injected` (a list of them when ``dates`` has several pairs). For a
        learned sampler (``vae_tail``, ``latent_uniform``) its ``report`` holds the generator report
        (``inj.report["vae_tail"].verdict``, ``.summary()``, ``.to_dict()``; docs/generators.md).
    """
    # lazy: pandas, pydantic: `import anogen` stays free of them
    from anogen.samplers.folds import inject_fold
    from anogen.params import check_value
    from anogen.samplers.report import OnDegenerate, check_verdict

    on_degenerate = check_value(on_degenerate, OnDegenerate, "on_degenerate")
    seed = _int(seed, "seed")
    min_gap = _int(min_gap, "min_gap", 0)
    with _api_errors():
        folds = _folds(_frame(data, key, columns), train, key, columns, dates, train_mode)
    smp = _component("sampler", _spec(sampler, "sampler", "sampler", ("plan", "fill")), "sampler", params)
    get_model = _model_getter(model, trainer, cache, seed, f"sampler {getattr(smp, 'name', '?')}") \
        if getattr(smp, "needs_model", False) else None
    out = []
    for fold in folds:
        m, scaler = get_model(fold) if get_model else (None, None)
        inj, _ = inject_fold(smp, fold, m, scaler, stage_seed(seed, fold.number, 1), stage_seed(seed, fold.number, 2),
                             min_gap)
        if inj.report:
            check_verdict(inj.report, on_degenerate, where=f"fold {fold.number}: " if len(folds) > 1 else "")
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

    t, c = _label_lists(targets, "targets"), _label_lists(candidates, "candidates")
    try:
        return evaluate_pairs(t, c, k)
    except AnogenError as e:
        raise e.rekeyed({"range": "k"}) from None  # the seed's ``range`` is ``k`` here


def _label_lists(v: Any, name: str) -> list:
    """One 0/1 sequence or a list of them -> a list of sequences."""
    if isinstance(v, (str, bytes)) or not isinstance(v, (Sequence, np.ndarray)) or np.ndim(v) == 0:
        raise AnogenError(f"{name}: must be a 0/1 sequence or a list of them, got {type(v).__name__}")
    first = v[0] if len(v) else None
    return list(v) if first is not None and not isinstance(first, (str, bytes)) and np.ndim(first) == 1 else [v]


def benchmark(data: Any, *, train: Any = None, samplers: Sequence[str] | Mapping[str, Any] = ("noise", "inject"),
              detectors: Sequence[str] | Mapping[str, Any] = ("zscore", "iforest", "pca", "random"),
              metrics: Sequence[str] = ("pointwise", "threshold_free"), threshold: str | Mapping = "percentile",
              seeds: Sequence[int] = (0,), key: str | None = None, columns: Sequence[str] | None = None,
              dates: Sequence[Sequence] | None = None, train_mode: str = "rest", test_fraction: float = 0.25,
              tuning: Mapping[str, Any] | None = None, model: str | Mapping | None = None,
              trainer: Mapping | None = None, cache: bool | Mapping = True, min_gap: int = 1,
              by_sampler: bool = False, models: Mapping[str, str | Mapping] | None = None):
    """Which detector finds which anomalies: the leaderboard as a DataFrame (no result files written).

    Args:
        data: DataFrame or ``(n, d)`` array of normal data.
        train: separate normal data the detectors are fitted on (as for :func:`generate`); ``data``
            is then the test part the anomalies go into (``dates`` and ``test_fraction`` unused).
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
        models: ``{sampler name: model}``: a generative model of its own for a sampler, e.g.
            ``samplers=["vae_tail", "latent_uniform"], models={"vae_tail": "vae", "latent_uniform": "vae_mlp"}``
            (the others use ``model``).

    Returns:
        DataFrame: one row per detector (mean and ``_std`` of every metric, ``recall[kind]``).
    """
    # lazy: pandas, scikit-learn, pydantic: `import anogen` stays free of them
    from anogen.benchmarking import leaderboard, run_benchmark
    from anogen.jobs.spec import Tuning
    from anogen.params import OpenFraction, check_params, check_value

    seeds = [_int(s, f"seeds[{i}]") for i, s in enumerate(_list_arg(seeds, "seeds"))]
    if not seeds:
        raise AnogenError("seeds: give at least one, e.g. seeds=[0]")
    min_gap = _int(min_gap, "min_gap", 0)
    check_value(by_sampler, bool, "by_sampler")
    check_value(test_fraction, OpenFraction, "test_fraction")
    if tuning is not None and not isinstance(tuning, Mapping):
        raise AnogenError(f"tuning: must be a dict like {{'enabled': True, 'objective': 'f1'}}, got {tuning!r}")
    tuning = vars(Tuning(**check_params(Tuning, dict(tuning or {}), "tuning")))
    with _api_errors():
        folds = _folds(_frame(data, key, columns), train, key, columns, dates, train_mode,
                       None if train is not None else test_fraction)
    smp = _named("sampler", "samplers", samplers, ("plan", "fill"))
    dets = _named("detectors", "detectors", detectors, ("fit", "decision_function"))
    mets = _metrics_of(metrics)
    thr = _component("threshold", _spec(threshold, "threshold", "threshold", ("__call__",)), "threshold")
    # lazy: pandas, scikit-learn: `import anogen` stays free of them
    from anogen.jobs.spec import sampler_models

    own = sampler_models(models, smp, "models")
    get_model = _model_getter(model, trainer, cache, seeds[0], "a generative sampler") \
        if any(getattr(s, "needs_model", False) for n, s in smp.items() if n not in own) else None
    getters = {n: _model_getter(m, trainer, cache, seeds[0], n) for n, m in own.items()}
    res = run_benchmark(folds, smp, dets, mets, thr, seeds=seeds, tuning=tuning, get_model=get_model,
                        min_gap=min_gap, keep_traces=False, models=getters)
    return leaderboard(res.rows, ("detector", "sampler") if by_sampler else ("detector",))


def _named(group: str, key: str, items: Sequence[str] | Mapping[str, Any], attrs: tuple[str, ...]) -> dict[str, Any]:
    """``{name: component}`` from packaged names or a mapping of configs/objects (at least one)."""
    example = "zscore" if group == "detectors" else "noise"
    if not isinstance(items, Mapping):
        items = _list_arg(items, key)
    if not items:
        raise AnogenError(f"{key}: give at least one, e.g. {key}=[{example!r}]")
    if isinstance(items, Mapping):
        return {k: _component(group, _spec(v, f"{key}[{k!r}]", group, attrs), f"{group}.{k}")
                for k, v in items.items()}
    for i, n in enumerate(items):
        if not isinstance(n, str):
            raise AnogenError(f"{key}[{i}]: must be a packaged name (or pass a dict name -> config/object), got {n!r}")
    if group == "detectors" and any("@" in n or ":" in n for n in items):
        # lazy: scikit-learn, pydantic: `import anogen` stays free of them
        from anogen.detectors.base import build_detector

        # a window variant (knn@50, knn@period) or a library's detector (pyod:COPOD) by name: docs/detectors.md
        return {n: build_detector(n) if "@" in n or ":" in n else _component(group, n, f"{group}.{n}") for n in items}
    return {n: _component(group, n, f"{group}.{n}") for n in items}


# ---- detector selection (issue 11) ---------------------------------------------------------------
SELECT_DETECTORS = ("zscore", "zscore_rolling", "iforest", "lof", "knn", "pca", "ocsvm", "ensemble")


def _metrics_of(groups: Sequence[str]) -> dict[str, Any]:
    # lazy: pydantic: `import anogen` stays free of them
    from anogen.config import build_group

    mets: dict[str, Any] = {}
    names = _list_arg(groups, "metrics")
    if not names:
        raise AnogenError("metrics: give at least one group, e.g. metrics=['vus', 'range']")
    for g in names:
        mets.update(build_group(load_component_config("metrics", g, whole=True), "metrics"))
    return mets


def _labelled_fold(train: Any, test: Any, labels: Any, key, columns) -> tuple[Fold, np.ndarray | None]:
    """The fold of ``select`` / ``evaluate_detectors``: ``train`` vs ``test`` (or the last quarter of
    ``train``), and ``labels`` of the test rows checked (0/1, one per row)."""
    with _api_errors():
        if test is None:
            if labels is not None:
                raise AnogenError("labels: give the labelled test data as test=...")
            fold = _folds(_frame(train, key, columns, "train"), None, key, columns, None, "before", 0.25)[0]
        else:
            fold = _folds(_frame(test, key, columns, "test"), train, key, columns, None, "rest")[0]
    if labels is None:
        return fold, None
    y = np.asarray(labels)
    if y.ndim != 1 or y.shape[0] != fold.test.shape[0]:
        raise AnogenError(f"labels: need one 0/1 label per test row ({fold.test.shape[0]}), got shape {y.shape}")
    if not np.isin(y, (0, 1, True, False)).all():
        raise AnogenError("labels: must be 0/1 (or bool)")
    if not y.astype(bool).any():
        raise AnogenError("labels: no test row is labelled 1: there is no anomaly to rank the detectors on")
    return fold, y.astype(bool)


def select(train: Any, test: Any = None, *, detectors: Sequence[str] | Mapping[str, Any] = SELECT_DETECTORS,
           labels: Any = None, metrics: Sequence[str] = ("vus", "range", "threshold_free"), threshold: str | Mapping = "percentile",
           key: str | None = None, columns: Sequence[str] | None = None, seed: int = 0, min_gap: int = 1,
           **settings: Any):
    """Which detector for this data, and how sure (the ``+experiment=select`` job, no files written).

    Args:
        train: clean data (DataFrame or ``(n, d)`` array): the detectors are fitted on it.
        test: clean data the battery's anomalies go into (``None`` = the last quarter of ``train``);
            with ``labels``, the labelled data whose real ranking is shown beside the synthetic one
            (the battery then goes into the last ``battery_fraction`` of ``train``).
        detectors: candidates: packaged names or ``{name: config dict | detector object}``.
        labels: ``(n_test,)`` 0/1 real labels of ``test`` (optional).
        metrics: packaged metric groups; ``select``'s ``metrics`` setting picks the voters.
        threshold: packaged threshold name or a dict (for range-F1).
        key, columns: as for :func:`generate`.
        seed: injection and bootstrap seed.
        min_gap: placement gap.
        **settings: the ``select`` node (:class:`anogen.selection.SelectSettings`: ``levels``,
            ``seeds``, ``metrics``, ``trim``, ``bootstrap``, ``prior``, ...).

    Returns:
        :class:`anogen.selection.Selection`: ``ranking`` (best first, ``p_best``, rank interval),
        ``trust``, ``strengths``, ``by_kind``, ``by_level``, ``families``, ``real`` (with labels).
    """
    # lazy: pandas: `import anogen` stays free of them
    from anogen.selection.run import run_selection
    from anogen.selection.settings import check_select

    seed, min_gap = _int(seed, "seed"), _int(min_gap, "min_gap", 0)
    cfg = check_select(settings, "settings")
    fold, y = _labelled_fold(train, test, labels, key, columns)
    dets = _named("detectors", "detectors", detectors, ("fit", "decision_function"))
    if len(dets) < 2:
        raise AnogenError("detectors: give at least two candidates")
    thr = _component("threshold", _spec(threshold, "threshold", "threshold", ("__call__",)), "threshold")
    return run_selection([fold], dets, _metrics_of(metrics), thr, cfg, min_gap=min_gap, seed=seed,
                         labels_for=(lambda f: y) if y is not None else None)


def evaluate_detectors(train: Any, test: Any, labels: Any, *,
                       detectors: Sequence[str] | Mapping[str, Any] = SELECT_DETECTORS,
                       metrics: Sequence[str] = ("vus", "range", "threshold_free"), threshold: str | Mapping = "percentile",
                       rank_by: Sequence[str] = ("vus_pr", "range_f1"), key: str | None = None,
                       columns: Sequence[str] | None = None, period_variants: Sequence[str] = ("knn", "lof"),
                       max_window_values: int | None = 1024):
    """Score detectors on your own labelled data (bring your own labels; no files written).

    Args:
        train: clean data the detectors are fitted on.
        test: the labelled data.
        labels: ``(n_test,)`` 0/1 labels of ``test``.
        detectors, metrics, threshold, key, columns: as for :func:`select`.
        rank_by: the metrics that rank the detectors (as the selection's voters).
        period_variants: as ``select``'s setting: these candidates' variants on windows of the
            data's cycle (``knn@period``) join the candidates.
        max_window_values: as ``select``'s setting: a period variant is fixed at the window it
            resolves to on ``train``, and left out where that is its candidate's own window (no
            clear cycle: a copy) or where its windows would hold more values (window x columns)
            than this (``None``: no bound). So with the defaults this ranks exactly the
            candidates ``select`` chooses from.

    Returns:
        DataFrame, one row per detector, best first: ``rank`` and ``points`` (the mean of the
        ``rank_by`` metrics' values, as the selection's ``aggregate: mean``; a Borda count of ranks
        would tie a detector far behind on one metric with one barely ahead on another), every
        metric, ``error`` (a detector that failed is kept, ranked last; a missing metric counts 0).
    """
    import pandas as pd

    # lazy: pandas, pydantic: `import anogen` stays free of them
    from anogen.data.scaling import Scaler
    from anogen.evaluation import evaluate_detectors as run_eval
    from anogen.selection.cases import labelled_case
    from anogen.selection.aggregation import ranks

    fold, y = _labelled_fold(train, test, labels, key, columns)
    if y is None:
        raise AnogenError("labels: required (one 0/1 label per test row)")
    dets = _named("detectors", "detectors", detectors, ("fit", "decision_function"))
    if max_window_values is not None:
        max_window_values = _int(max_window_values, "max_window_values", 1)
    # lazy: scikit-learn, pandas: `import anogen` stays free of them
    from anogen.selection.candidates import window_variants, with_period_variants

    dets = with_period_variants(dets, _list_arg(period_variants, "period_variants"), key="period_variants")
    dets, _ = window_variants(dets, [], fold.train, max_window_values)
    mets = _metrics_of(metrics)
    thr = _component("threshold", _spec(threshold, "threshold", "threshold", ("__call__",)), "threshold")
    scaler = Scaler("standard").fit(fold.train)
    # lazy: pydantic: `import anogen` stays free of them
    from anogen.evaluation import fresh_detectors

    runs = run_eval(fresh_detectors(dets), scaler.transform(fold.train), [labelled_case(fold, y, scaler)], thr, mets,
                    segments=fold.train_segments)
    df = pd.DataFrame([{"detector": r.detector, **r.metrics, "error": r.error} for r in runs])
    voters = [m for m in _list_arg(rank_by, "rank_by") if m in df.columns]
    if not voters:
        raise AnogenError(f"rank_by: none of {list(rank_by)} among the metrics {list(mets)}")
    values = df[voters].to_numpy(np.float64)
    df["points"] = np.where(np.isnan(values), 0.0, values).mean(axis=1)
    df.loc[df["error"].notna(), "points"] = np.nan  # a detector that failed ranks last
    df["rank"] = ranks(df["points"].to_numpy()[None, :])[0]
    cols = ["rank", "detector", "points", *voters, *[m for m in mets if m in df.columns and m not in voters], "error"]
    return df.sort_values("rank", kind="stable").reset_index(drop=True)[cols]
