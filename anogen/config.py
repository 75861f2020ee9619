"""The one place that turns config nodes into objects (``_target_``), with clear errors."""

from __future__ import annotations

import inspect
from typing import Any, Mapping

from anogen.types import AnogenError

__all__ = ["build", "build_group", "to_plain"]


def to_plain(node: Any) -> Any:
    """DictConfig/ListConfig -> plain dict/list (resolved); anything else unchanged."""
    try:
        from omegaconf import DictConfig, ListConfig, OmegaConf
    except ImportError:  # pragma: no cover
        return node
    if isinstance(node, (DictConfig, ListConfig)):
        return OmegaConf.to_container(node, resolve=True)
    return node


def _check_params(target: Any, params: Mapping[str, Any], key: str) -> None:
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return
    if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        return
    valid = [n for n, p in sig.parameters.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    for name in params:
        if name.startswith("_"):
            continue
        if name not in valid:
            raise AnogenError(f"{key}: unknown parameter {name!r}; valid parameters: {valid}")


def build(node: Any, key: str, **kwargs: Any) -> Any:
    """Instantiate a ``_target_`` node.

    Args:
        node: a DictConfig or dict with ``_target_`` (an object without one is returned as is).
        key: the config key, for error messages (``"sampler"``, ``"detectors.iforest"``).
        **kwargs: runtime arguments (e.g. ``n_features``, ``rngs``).

    Raises:
        AnogenError: unknown target, unknown parameter, or the constructor's own AnogenError,
            always naming ``key``.
    """
    from hydra.errors import InstantiationException
    from hydra.utils import get_object, instantiate

    plain = to_plain(node)
    if not isinstance(plain, Mapping) or "_target_" not in plain:
        return node
    try:
        target = get_object(plain["_target_"])
    except Exception as e:  # noqa: BLE001 - hydra raises several kinds
        raise AnogenError(f"{key}._target_: cannot import {plain['_target_']!r} ({e})") from None
    _check_params(target, {**plain, **kwargs}, key)
    try:
        return instantiate(plain, **kwargs)
    except InstantiationException as e:
        cause = e.__cause__ or e.__context__
        while cause is not None and not isinstance(cause, AnogenError) and (cause.__cause__ or cause.__context__):
            if isinstance(cause, AnogenError):
                break
            cause = cause.__cause__ or cause.__context__
        if isinstance(cause, AnogenError):
            msg = str(cause)
            raise AnogenError(msg if msg.startswith(key) else f"{key}: {msg}") from None
        raise AnogenError(f"{key}: cannot build {plain['_target_']}: {cause or e}") from None
    except AnogenError as e:
        msg = str(e)
        raise AnogenError(msg if msg.startswith(key) else f"{key}: {msg}") from None


def build_group(node: Any, key: str, **kwargs: Any) -> dict[str, Any]:
    """Instantiate every entry of a multi-select group node (``{name: {_target_: ...}}``)."""
    plain = to_plain(node) or {}
    if not isinstance(plain, Mapping):
        raise AnogenError(f"{key} must be a mapping of name -> component, got {type(plain).__name__}")
    return {name: build(sub, f"{key}.{name}", **kwargs) for name, sub in plain.items()}
