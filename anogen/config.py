"""The one place that turns config nodes into objects (``_target_``), with clear errors.

``build(node, key)`` walks the node depth first: nested ``_target_`` nodes (an estimator inside a
detector, the optimizer inside a trainer) are built first under their own key path, then every
object's keyword arguments are checked against its annotated signature
(:func:`anogen.params.check_params`) and scikit-learn estimators against their own parameter
constraints, so a mistake is one line naming the full key (``detectors.iforest.estimator.n_estimators``)
before any data are loaded. ``_partial_: true`` gives a :func:`functools.partial`.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Mapping

from anogen.params import check_params, declares_param_types
from anogen.paths import CONF_DIR
from anogen.types import AnogenError

__all__ = ["build", "build_group", "to_plain", "resolve_target", "check_sklearn", "packaged_option", "CONF_DIR", "check_target"]



def packaged_option(group: str, name: Any, key: str | None = None) -> dict:
    """The packaged YAML ``conf/{group}/{name}.yaml`` as a plain dict (its ``defaults`` dropped).

    Raises:
        AnogenError: unknown group or option (one line under ``key``, listing the valid ones).
    """
    from omegaconf import OmegaConf

    key = key or group
    groups = sorted(p.name for p in CONF_DIR.iterdir() if p.is_dir() and p.name != "hydra")
    if not isinstance(group, str) or group not in groups:
        raise AnogenError(f"unknown config group {group!r}; valid: {groups}", key="group")
    if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
        raise AnogenError(f"an option name is a string, got {name!r}", key=key)
    path = CONF_DIR / group / f"{name}.yaml"
    if not path.is_file():
        valid = sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))
        raise AnogenError(f"unknown option {name!r}; valid: {valid}", key=key)
    node = OmegaConf.to_container(OmegaConf.load(path), resolve=False)
    if not isinstance(node, dict):
        raise AnogenError(f"{group}/{name}.yaml is not a mapping")
    return {k: v for k, v in node.items() if k != "defaults"}

def to_plain(node: Any) -> Any:
    """DictConfig/ListConfig -> plain dict/list (resolved); anything else unchanged."""
    try:
        from omegaconf import DictConfig, ListConfig, OmegaConf
    except ImportError:  # pragma: no cover
        return node
    if isinstance(node, (DictConfig, ListConfig)):
        return OmegaConf.to_container(node, resolve=True)
    return node

#: optional dependencies a ``_target_`` may need: top-level module -> (pip package, the extra of
#: ``pyproject.toml``'s optional-dependencies that installs it, or ``None``: install the package)
OPTIONAL_MODULES: dict[str, tuple[str, str | None]] = {
    "pyod": ("pyod", "pyod"), "faiss": ("faiss-cpu", "fast"), "optuna": ("hydra-optuna-sweeper", "sweep"),
    "hydra_plugins": ("hydra-optuna-sweeper", "sweep"), "pyarrow": ("pyarrow", "parquet"), "torch": ("torch", "bench"),
    "stumpy": ("stumpy", "detectors"), "aeon": ("aeon", "aeon"), "tslearn": ("tslearn", None), "sktime": ("sktime", None),
    "wandb": ("wandb", None), "xgboost": ("xgboost", None), "lightgbm": ("lightgbm", None),
}


def _missing_module(path: str) -> str | None:
    """The module a dotted path needs that is not installed (``None`` when its package imports)."""
    import importlib
    import importlib.util

    top = path.split(".")[0]
    try:
        if importlib.util.find_spec(top) is None:
            return top
        importlib.import_module(path.rsplit(".", 1)[0] if "." in path else path)
    except ModuleNotFoundError as e:  # a package the target's module needs (not a part of the path itself)
        name = e.name or ""
        return name if name and not (path == name or path.startswith(name + ".")) else None
    except Exception:  # noqa: BLE001 - anything else is reported by the lookup itself
        return None
    return None


def install_hint(module: str) -> str:
    """``; install it: pip install 'anogen[pyod]'`` for a known optional dependency, else a plain hint."""
    top = module.split(".")[0]
    if top in OPTIONAL_MODULES:
        package, extra = OPTIONAL_MODULES[top]
        return f"; install it: pip install 'anogen[{extra}]'" if extra else f"; install it: pip install {package}"
    return "; check the spelling of the _target_, or install the package that provides it"


def resolve_target(path: Any, key: str) -> Any:
    """Import a ``_target_`` dotted path (``"sklearn.ensemble.IsolationForest"``).

    A module that is not installed gives one line naming it and how to install it (an optional
    dependency: its ``anogen[extra]``), without Hydra's own error log."""
    if not isinstance(path, str) or not path:
        raise AnogenError(f"expected a dotted import path, got {path!r}", key=f"{key}._target_")
    import logging

    from hydra.utils import get_object

    missing = _missing_module(path)
    if missing is not None:
        raise AnogenError(f"cannot import {path!r}: module {missing!r} is not installed{install_hint(missing)}",
                          key=f"{key}._target_") from None
    hydra_log = logging.getLogger("hydra.utils")
    was = hydra_log.disabled
    hydra_log.disabled = True  # hydra logs an ERROR block before raising; the AnogenError below is the message
    try:
        return get_object(path)
    except Exception as e:  # noqa: BLE001 - hydra raises several kinds
        raise AnogenError(f"cannot import {path!r} ({' '.join(str(e).split())})", key=f"{key}._target_") from None
    finally:
        hydra_log.disabled = was

def check_sklearn(obj: Any, key: str) -> None:
    """Checks that need the built object, at build time (not at ``fit``): an anogen detector's own
    ``check_params()`` (annotations and the rules between parameters), scikit-learn's parameter
    constraints.

    The constraints are checked as scikit-learn's ``_validate_params`` checks them (parameters in
    ``get_params`` order, the first valid constraint wins, hidden ones are not named), and the first
    bad parameter is named by its key: ``detectors.iforest.estimator.n_estimators: must be an int in
    the range [1, inf), got 0``.
    """
    own = getattr(obj, "check_params", None)
    if callable(own) and str(getattr(own, "__module__", "")).startswith("anogen."):
        own()  # anogen.detectors.base.BaseDetector.check_params: one line naming the key
    validate = getattr(obj, "_validate_params", None)
    constraints = getattr(obj, "_parameter_constraints", None)
    if validate is None or not isinstance(constraints, Mapping):
        return
    try:
        # lazy: scikit-learn, only for its estimators (config.py stays light); private: the helper
        # sklearn.base.BaseEstimator._validate_params itself uses
        from sklearn.utils._param_validation import make_constraint
    except ImportError:  # moved by a later scikit-learn: its own check and words, at this key
        try:
            validate()
        except (TypeError, ValueError) as e:
            raise AnogenError(" ".join(str(e).split()), key=key) from None
        return
    for param, value in obj.get_params(deep=False).items():
        allowed = constraints.get(param)
        if param not in constraints or (isinstance(allowed, str) and allowed == "no_validation"):
            continue
        made = [make_constraint(c) for c in allowed]
        if any(c.is_satisfied_by(value) for c in made):
            continue
        shown = [str(c) for c in made if not c.hidden] or [str(c) for c in made]
        valid = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
        raise AnogenError(f"must be {' '.join(valid.split())}, got {value!r}", key=f"{key}.{param}")

def _build_value(value: Any, key: str, leaf: bool = False) -> Any:
    if isinstance(value, Mapping):
        if "_target_" in value:
            return build(value, key)
        return {k: _build_value(v, f"{key}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_build_value(v, f"{key}[{i}]") for i, v in enumerate(value)]
    return value

def build(node: Any, key: str, **kwargs: Any) -> Any:
    """Instantiate a ``_target_`` node.

    Args:
        node: a DictConfig or dict with ``_target_`` (anything without one is returned as is).
        key: the config key, for error messages (``"sampler"``, ``"detectors.iforest"``).
        **kwargs: runtime arguments (e.g. ``n_features``), checked like the others.

    Raises:
        AnogenError: unknown target, unknown or invalid parameter (one line naming the full key
            path and what is valid), or the constructor's own AnogenError prefixed with ``key``.
    """
    plain = to_plain(node)
    if not isinstance(plain, Mapping) or "_target_" not in plain:
        return node
    target = resolve_target(plain["_target_"], key)
    check_target(target, plain["_target_"], key)   # before anything of it is called
    partial = bool(plain.get("_partial_", False))
    params = {k: _build_value(v, f"{key}.{k}") for k, v in plain.items() if not str(k).startswith("_")}
    params.update(kwargs)
    params = _check_params(target, params, key, partial)
    if partial:
        return functools.partial(target, **params)
    try:
        obj = target(**params)
    except AnogenError as e:
        raise e.under(key) from None  # its key as seen from here (a key of its own is kept)
    except (TypeError, ValueError) as e:
        raise AnogenError(f"cannot build {plain['_target_']}: {' '.join(str(e).split())}", key=key) from None
    check_sklearn(obj, key)
    return obj

#: what the class behind a config group's ``_target_`` must define (checked before it is called): a
#: ``_target_`` names something that is built, so a class of the expected kind, never any callable
PROTOCOLS: dict[str, tuple[str, ...]] = {
    "sampler": ("plan", "fill"), "data": ("load", "folds"), "detectors": ("fit", "decision_function"),
    "filters": ("fit", "__call__"), "threshold": ("__call__",), "metrics": ("__call__",), "model": ("__call__",),
    "logger": ("log_metrics", "finish"),
}
#: the methods of which a nested component (an estimator in a detector, a kind in a catalog) defines one
COMPONENT_METHODS = ("plan", "fill", "apply", "fit", "decision_function", "predict", "transform", "load", "folds",
                     "__call__", "log_metrics")
#: modules whose plain functions a ``_target_`` may name (with ``_partial_``: the trainer's optimizer)
FUNCTION_MODULES = ("optax", "anogen")


def _group(key: str) -> str | None:
    """The config group whose component ``key`` names (``None`` for a nested part)."""
    parts = [p for p in key.replace("[", ".").replace("]", "").split(".") if p]
    if len(parts) == 1 and parts[0] in ("sampler", "data", "threshold", "model"):
        return parts[0]
    if len(parts) == 2 and parts[0] in ("detectors", "filters", "metrics", "logger"):
        return parts[0]
    if len(parts) == 3 and parts[:2] in (["benchmark", "samplers"], ["select", "learned"], ["select", "battery"]):
        return "sampler"
    return None


def _defines(cls: type, name: str) -> bool:
    return any(name in vars(c) for c in cls.__mro__ if c is not object)


def check_target(target: Any, path: str, key: str) -> None:
    """Refuse a ``_target_`` that is not what its place builds, before it is called: a function
    (outside :data:`FUNCTION_MODULES`) or a class without its group's methods (:data:`PROTOCOLS`;
    a part nested in a group, such as a detector's estimator: one of :data:`COMPONENT_METHODS`;
    a key outside the config groups, in library use: any class). ``{_target_: os.system, command: ...}`` as a
    sampler is refused, never run."""
    if not inspect.isclass(target):
        module = str(getattr(target, "__module__", "") or "").split(".")[0]
        if callable(target) and module in FUNCTION_MODULES:
            return
        if key.endswith("optimizer"):
            raise AnogenError(f"{path!r} is not an optax optimizer (e.g. optax.adamw)", key=f"{key}._target_")
        raise AnogenError(f"{path!r} is not a class to build here (a {type(target).__name__}); a _target_ names "
                          "a component class", key=f"{key}._target_")
    group = _group(key)
    need = PROTOCOLS.get(group or "", ())
    missing = [m for m in need if not _defines(target, m)]
    if missing:
        raise AnogenError(f"{path!r} is not a {group} component (it has no {', '.join(missing)})",
                          key=f"{key}._target_")
    root = key.replace("[", ".").split(".")[0]
    nested = root in PROTOCOLS or root in ("benchmark", "select", "trainer")   # a part of a config group
    if group is None and nested and not any(_defines(target, m) for m in COMPONENT_METHODS):
        raise AnogenError(f"{path!r} is not a component anogen can use here (none of {', '.join(COMPONENT_METHODS)})",
                          key=f"{key}._target_")


def _check_params(target: Any, params: dict, key: str, partial: bool) -> dict:
    """Unknown names are an error (listing the valid ones); annotated ones are type/range checked."""
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return params
    open_kwargs = any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())
    valid = [n for n, p in sig.parameters.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if not open_kwargs:
        for name in params:
            if name not in valid:
                raise AnogenError(f"unknown parameter {name!r}; valid parameters: {valid}", key=key)
    if partial:  # required parameters come later (e.g. the learning rate of an optimizer)
        return params
    module = str(getattr(target, "__module__", ""))
    if inspect.isclass(target) and not (module == "anogen" or module.startswith("anogen.")) \
            and not declares_param_types(target):
        return params  # third-party classes without anogen.params types check themselves (check_sklearn)
    return check_params(target, params, key)  # anogen's and plug-ins' annotated parameters

def build_group(node: Any, key: str, **kwargs: Any) -> dict[str, Any]:
    """Instantiate every entry of a multi-select group node (``{name: {_target_: ...}}``)."""
    plain = to_plain(node) or {}
    if not isinstance(plain, Mapping):
        raise AnogenError(f"must be a mapping of name -> component, got {type(plain).__name__}", key=key, sep=" ")
    return {name: build(sub, f"{key}.{name}", **kwargs) for name, sub in plain.items()}
