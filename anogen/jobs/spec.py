"""The job builder: the whole config validated and built into objects, with no I/O.

:func:`build_job` is where the config stops being a DictConfig: every component (data source,
sampler(s), filters, detectors, metrics, threshold, loggers) is built through
:func:`anogen.config.build`, the trainer and model settings are checked against their typed
signatures, and the top-level keys (``seed``, ``placement.min_gap``, ``benchmark.*``) against
theirs, so any mistake is one line naming the key *before* any data are loaded or files written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

from anogen.config import build, build_group, packaged_option, resolve_target, to_plain
from anogen.data.scaling import ScalingKind
from anogen.detectors.base import detector_variants
from anogen.params import NonNegativeInt, PositiveInt, Probability, check_params, check_value
from anogen.samplers.compose import Compose
from anogen.samplers.report import OnDegenerate
from anogen.selection.settings import check_select
from anogen.types import AnogenError

__all__ = ["Job", "Tuning", "build_job", "check_trainer", "check_model"]


@dataclass(frozen=True)
class Tuning:
    """Threshold tuning on a validation half of each test fold (benchmark)."""

    enabled: bool = False
    objective: Literal["f1", "recall_at_fpr"] = "f1"  # anogen.tuning.Objective
    max_fpr: Probability = 0.05


@dataclass(frozen=True)
class Evaluation:
    """How detectors are scored (:mod:`anogen.evaluation`): ``incremental`` rescoring of the rows near
    injected anomalies only, and ``train_scores`` train rows scored for the thresholds (``None`` = all)."""

    incremental: bool = True
    train_scores: PositiveInt | None = 20_000


@dataclass
class Job:
    """Everything one run needs, built and validated.

    Attributes:
        seed: the run seed (split per stage by :mod:`anogen.seeding`).
        source: the data source (``load()``, ``folds(frame)``, ``scaling``).
        sampler: the sampler (a ``Compose`` of the benchmark samplers for the benchmark job).
        detectors: ``{name: unfitted detector}`` prototypes (cloned per fold).
        metrics: ``{name: Metric}``.
        threshold: the threshold strategy, ``None`` without detectors.
        min_gap: clean rows between anomalies.
        model_cfg: plain model config (``None`` without a generative sampler).
        trainer_cfg: plain trainer config.
        cache_cfg: ``{"enabled": bool, "dir": str}``.
        loggers: built loggers.
        plots: draw plots.
        benchmark_seeds: ``None`` for a single run; the injection seeds of the benchmark job.
        select: the selection job's settings (``+experiment=select``), else ``None``.
        tuning: threshold tuning (benchmark).
        on_degenerate: ``generator.on_degenerate``: what a degenerate generator report does
            (``warn``: a warning in the run log; ``error``: the run stops with the reasons).
        config: the resolved config as a plain dict (written as ``config.yaml``, given to loggers).
        sampler_models: ``benchmark.models``: ``{sampler name: model config}`` for benchmark
            samplers with a generative model of their own (the others use ``model_cfg``).
    """

    seed: int
    source: Any
    sampler: Any
    detectors: dict[str, Any]
    metrics: dict[str, Any]
    threshold: Any
    min_gap: int
    model_cfg: dict | None
    trainer_cfg: dict
    cache_cfg: dict
    loggers: list
    plots: bool = True
    benchmark_seeds: list[int] | None = None
    tuning: Tuning = field(default_factory=Tuning)
    evaluation: Evaluation = field(default_factory=Evaluation)
    select: Any = None
    config: dict = field(default_factory=dict)
    on_degenerate: str = "warn"
    sampler_models: dict[str, dict] = field(default_factory=dict)

    @property
    def needs_model(self) -> bool:
        return bool(getattr(self.sampler, "needs_model", False))


def check_trainer(trainer_cfg: Mapping[str, Any] | None, key: str = "trainer") -> dict:
    """The trainer settings checked against :class:`anogen.train.TrainConfig` (one line per mistake)."""
    from anogen.train import TrainConfig  # lazy: anogen.train imports JAX; the API imports this module for model-free calls too

    plain = dict(to_plain(trainer_cfg) or {})
    check_params(TrainConfig, plain, key)
    try:
        TrainConfig(**plain)
    except TypeError as e:
        raise AnogenError(f"{key}: {e}") from None
    return plain


def check_model(model_cfg: Mapping[str, Any] | None, key: str = "model") -> dict | None:
    """The model node's parameters checked against its class signature (built later, per fold)."""
    plain = to_plain(model_cfg)
    if plain is None:
        return None
    if not isinstance(plain, Mapping) or "_target_" not in plain:
        raise AnogenError(f"{key}: expected a model config with _target_ (model=vae, vae_mlp or lstm_ae)")
    target = resolve_target(plain["_target_"], key)
    params = {k: v for k, v in plain.items() if not k.startswith("_") and k != "scaling"}
    check_params(target, params, key, partial=True)
    if "scaling" in plain:
        check_value(plain["scaling"], ScalingKind, f"{key}.scaling")
    return dict(plain)


def _build_sampler(cfg: Any) -> tuple[Any, list[int] | None, Tuning, dict[str, dict]]:
    bench = to_plain(cfg.get("benchmark"))
    if bench is None:
        return build(cfg.sampler, "sampler"), None, Tuning(), {}
    if not isinstance(bench, Mapping) or not bench.get("samplers"):
        raise AnogenError("benchmark.samplers must name at least one sampler")
    unknown = sorted(set(bench) - {"samplers", "seeds", "tuning", "models"})
    if unknown:
        raise AnogenError(f"benchmark: unknown key(s) {unknown}; valid: ['samplers', 'seeds', 'tuning', 'models']")
    seeds = check_value(bench.get("seeds") or [int(cfg.get("seed", 0))], list[int], "benchmark.seeds")
    tuning = Tuning(**check_params(Tuning, dict(bench.get("tuning") or {}), "benchmark.tuning"))
    samplers = {k: build(v, f"benchmark.samplers.{k}") for k, v in bench["samplers"].items()}
    return Compose(samplers), list(seeds), tuning, sampler_models(bench.get("models"), samplers, "benchmark.models")


def sampler_models(node: Any, samplers: Mapping[str, Any], key: str) -> dict[str, dict]:
    """``{sampler name: checked model config}``: a generative model of its own for a benchmark
    sampler, given as a packaged model option (``vae``, ``vae_mlp``, ...) or a model config."""
    node = to_plain(node) or {}
    if not isinstance(node, Mapping):
        raise AnogenError(f"{key}: must map sampler names to models, e.g. {{latent_uniform: vae_mlp}}, got {node!r}")
    out = {}
    for name, model in node.items():
        if name not in samplers:
            raise AnogenError(f"{key}.{name}: no such sampler; the samplers are {list(samplers)}")
        if not getattr(samplers[name], "needs_model", False):
            raise AnogenError(f"{key}.{name}: sampler {name} does not use a generative model")
        cfg = packaged_option("model", model, f"{key}.{name}") if isinstance(model, str) else model
        out[name] = check_model(cfg, f"{key}.{name}")
    return out


def _attach_filters(sampler: Any, filters: dict) -> None:
    if not filters:
        return
    children = list(getattr(sampler, "samplers", None) or [sampler])
    takers = [s for s in children if hasattr(s, "filters")]
    if not takers:
        raise AnogenError(f"filters {sorted(filters)} only apply to latent samplers (sampler=latent_uniform); "
                          f"sampler={getattr(sampler, 'name', '?')} does not use them: remove filters=...")
    for s in takers:
        s.filters = {**filters, **s.filters}


def _resolved(cfg: Any) -> dict:
    """The config as a plain dict with every ``${...}`` resolved; a bad interpolation is one line naming its key."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    try:
        return OmegaConf.to_container(cfg, resolve=True)
    except OmegaConfBaseException as e:
        key = getattr(e, "full_key", None) or "config"
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise AnogenError(f"{key}: {msg}") from None


def _build_select(cfg: Any, detectors: dict, bench_seeds: list[int] | None) -> Any:
    """The ``select`` node checked (:class:`anogen.selection.SelectSettings`), ``None`` without one."""
    if cfg.get("select") is None:
        return None
    if bench_seeds is not None:
        raise AnogenError("select and benchmark are two jobs: use +experiment=select or +experiment=benchmark")
    if len(detectors) < 2:
        raise AnogenError("select: give at least two candidate detectors, e.g. detectors=[zscore,knn,iforest]")
    return check_select(to_plain(cfg.get("select")))


def _on_degenerate(node: Any) -> str:
    """``generator.on_degenerate`` checked (``warn`` or ``error``; the ``generator`` node has no other key)."""
    plain = dict(to_plain(node) or {})
    unknown = sorted(set(plain) - {"on_degenerate"})
    if unknown:
        raise AnogenError(f"generator: unknown key(s) {unknown}; valid: ['on_degenerate']")
    return check_value(plain.get("on_degenerate", "warn"), OnDegenerate, "generator.on_degenerate")


def build_job(cfg: Any) -> Job:
    """Validate and build the whole config; no data are loaded and nothing is written.

    Raises:
        AnogenError: the first mistake, one line naming its key.
    """
    from omegaconf import DictConfig, OmegaConf

    if not isinstance(cfg, DictConfig):
        if not isinstance(cfg, Mapping):
            raise AnogenError(f"cfg: must be a config mapping (a composed DictConfig or a dict), got {type(cfg).__name__}")
        cfg = OmegaConf.create(dict(cfg))
    resolved = _resolved(cfg)
    missing = sorted(OmegaConf.missing_keys(cfg))
    if missing:
        raise AnogenError(f"missing required value(s) {missing}: set them on the command line, e.g. {missing[0]}=...")
    seed = check_value(cfg.get("seed", 0), int, "seed")
    min_gap = check_value((cfg.get("placement") or {}).get("min_gap", 1), NonNegativeInt, "placement.min_gap")
    plots = check_value(cfg.get("plots", True), bool, "plots")
    on_degenerate = _on_degenerate(cfg.get("generator"))
    source = build(cfg.data, "data")
    sampler, bench_seeds, tuning, sampler_model_cfgs = _build_sampler(cfg)
    own = getattr(source, "sampler_node", None)   # a data source that brings its anomalies (data=gutentag)
    if own is not None and bench_seeds is None:
        sampler = build(own, "data (its anomalies)")
    _attach_filters(sampler, build_group(cfg.get("filters") or {}, "filters"))
    model_cfg = check_model(cfg.get("model"))
    children = getattr(sampler, "by_name", None) or {getattr(sampler, "name", "?"): sampler}
    modelless = [n for n, s in children.items() if getattr(s, "needs_model", False) and n not in sampler_model_cfgs]
    if modelless and model_cfg is None:
        raise AnogenError(f"sampler={modelless[0] if bench_seeds is not None else getattr(sampler, 'name', '?')} "
                          "needs a generative model: add model=vae (windows) or model=vae_mlp (rows)")
    detectors = build_group(cfg.get("detectors") or {}, "detectors")
    # window variants by name (+detector_variants=[knn@50,knn@period]): Hydra's detectors=[...] takes config files only
    detectors.update(detector_variants(to_plain(cfg.get("detector_variants")), detectors))
    threshold = build(cfg.threshold, "threshold") if cfg.get("threshold") is not None else None
    if detectors and threshold is None:
        raise AnogenError("threshold: a threshold strategy is required when detectors are configured")
    select = _build_select(cfg, detectors, bench_seeds)
    if bench_seeds is not None and not detectors:
        raise AnogenError("benchmark: select detectors, e.g. detectors=[zscore,iforest]")
    return Job(seed=seed, source=source, sampler=sampler, detectors=detectors,
               metrics=build_group(cfg.get("metrics") or {}, "metrics"), threshold=threshold, min_gap=min_gap,
               model_cfg=model_cfg, trainer_cfg=check_trainer(cfg.get("trainer")),
               cache_cfg=dict(to_plain(cfg.get("cache")) or {}),
               loggers=list(build_group(cfg.get("logger") or {}, "logger").values()), plots=plots,
               benchmark_seeds=bench_seeds, tuning=tuning, select=select, config=resolved, on_degenerate=on_degenerate,
               sampler_models=sampler_model_cfgs,
               evaluation=Evaluation(**check_params(Evaluation, dict(to_plain(cfg.get("evaluation")) or {}),
                                                    "evaluation")))
