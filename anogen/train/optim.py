"""The optimizer, built from its config node by ``_target_`` and wrapped in ``optax.inject_hyperparams``.

The optimizer node is a partial optax factory (``{_target_: optax.adamw, _partial_: true, b1: 0.9}``,
built by :func:`anogen.config.build`); the trainer supplies ``learning_rate`` and ``weight_decay``.
``optax.inject_hyperparams`` keeps those two in the optimizer *state*: the compiled train step
reads them from there (:func:`set_hyperparams` writes them at every step), so a learning-rate or
weight-decay sweep does not recompile. The optimizer's *structure* (factory node, whether weight
decay is on, gradient clipping) is what the compiled step depends on; :func:`shared_optimizer`
returns one object per structure, so compile caches keyed on it are hit across fits.
"""

from __future__ import annotations

import functools
import inspect
import json
import sys
from typing import Any, Callable

import optax

from anogen.config import build
from anogen.types import AnogenError

__all__ = ["make_optimizer", "optimizer_node", "optimizer_spec", "set_hyperparams", "shared_optimizer"]

_KEY = "trainer.optimizer"


def optimizer_node(optimizer: str | dict[str, Any], key: str = _KEY) -> dict[str, Any]:
    """The config node of an optimizer: ``"adam"`` -> ``{"_target_": "optax.adam", "_partial_": True}``.

    Args:
        optimizer: an optax function name (``"adamw"``), a dotted path, a ``_target_`` node, or
            the factory itself (e.g. ``functools.partial(optax.adamw, b1=0.9)``, what
            :func:`anogen.config.build` makes of a nested node).
        key: the config key, for messages.

    Raises:
        AnogenError: none of these, or a node with ``_partial_: false``.
    """
    if callable(optimizer):  # back to its node: a stable, hashable description for compile caches
        func = optimizer.func if isinstance(optimizer, functools.partial) and not optimizer.args else optimizer
        keywords = optimizer.keywords if func is not optimizer else {}
        return {"_target_": _import_path(func), **keywords, "_partial_": True}
    if isinstance(optimizer, str):
        if "." not in optimizer and not callable(getattr(optax, optimizer, None)):
            raise AnogenError(
                f"{key}: {optimizer!r} is not an optax optimizer; e.g. adam, adamw, sgd, rmsprop, lion "
                "(or a node {_target_: optax.adamw, _partial_: true})"
            )
        target = optimizer if "." in optimizer else f"optax.{optimizer}"
        return {"_target_": target, "_partial_": True}
    if not isinstance(optimizer, dict) or "_target_" not in optimizer:
        raise AnogenError(
            f"{key}: expected an optax optimizer name (e.g. 'adamw') or a node "
            f"{{_target_: optax.adamw, _partial_: true}}, got {optimizer!r}"
        )
    if optimizer.get("_partial_", True) is not True:
        raise AnogenError(f"{key}._partial_: must be true (the trainer supplies the learning rate)")
    return {**optimizer, "_partial_": True}


def _import_path(func: Any) -> str:
    """``"optax.adamw"`` for ``optax.adamw`` (the package's public name when it has one)."""
    module, name = getattr(func, "__module__", "") or "", getattr(func, "__qualname__", "") or ""
    package = sys.modules.get(module.split(".")[0])
    if package is not None and getattr(package, name, None) is func:
        return f"{package.__name__}.{name}"
    return f"{module}.{name}"


def optimizer_spec(config: Any, key: str = _KEY) -> tuple[str, bool, float | None]:
    """The structure of ``config``'s optimizer (hashable): ``(node JSON, decay on, clip norm)``.

    Args:
        config: a :class:`anogen.train.TrainConfig` (``optimizer``, ``weight_decay``, ``grad_clip``).
        key: the config key of the optimizer, for messages.
    """
    node = json.dumps(optimizer_node(config.optimizer, key), sort_keys=True)
    clip = None if config.grad_clip is None else float(config.grad_clip)
    return node, float(config.weight_decay) > 0, clip


@functools.lru_cache(maxsize=64)
def _injected(spec: tuple[str, bool, float | None], key: str = _KEY) -> Callable[..., optax.GradientTransformation]:
    """``(learning_rate, weight_decay) -> GradientTransformation`` for one structure, hyperparams injected."""
    node_json, decay_on, clip = spec
    factory = build(json.loads(node_json), key)
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        params = {}
    if not callable(factory) or "learning_rate" not in params:
        raise AnogenError(f"{key}: {json.loads(node_json)['_target_']} is not an optimizer taking learning_rate")
    decay_inside = "weight_decay" in params

    def inner(learning_rate: Any, weight_decay: Any) -> optax.GradientTransformation:
        parts = [] if clip is None else [optax.clip_by_global_norm(clip)]
        if decay_inside:
            parts.append(factory(learning_rate=learning_rate, weight_decay=weight_decay))
        else:
            if decay_on:
                parts.append(optax.add_decayed_weights(weight_decay))
            parts.append(factory(learning_rate=learning_rate))
        return parts[0] if len(parts) == 1 else optax.chain(*parts)

    try:
        inner(1e-3, 0.0)  # the factory's own argument errors surface here, at config time
    except (TypeError, ValueError) as e:
        raise AnogenError(f"{key}: {' '.join(str(e).split())}") from None
    return optax.inject_hyperparams(inner)


def make_optimizer(config: Any, key: str = _KEY) -> optax.GradientTransformation:
    """The optax optimizer of ``config``, its state starting at ``config``'s hyperparameters.

    ``learning_rate`` and ``weight_decay`` live in ``opt_state.hyperparams`` (change them with
    :func:`set_hyperparams`).

    Args:
        config: a :class:`anogen.train.TrainConfig`.
        key: the config key of the optimizer, for messages.

    Raises:
        AnogenError: unknown optimizer, or one that takes no ``learning_rate`` (names ``key``).
    """
    return _injected(optimizer_spec(config, key), key)(
        learning_rate=float(config.learning_rate), weight_decay=float(config.weight_decay)
    )


@functools.lru_cache(maxsize=64)
def shared_optimizer(spec: tuple[str, bool, float | None]) -> optax.GradientTransformation:
    """One optimizer object per structure (for compile caches); hyperparameters come from :func:`set_hyperparams`."""
    return _injected(spec)(learning_rate=1.0, weight_decay=0.0)


def set_hyperparams(opt_state: Any, learning_rate: Any, weight_decay: Any) -> Any:
    """``opt_state`` of an injected optimizer with new ``learning_rate`` and ``weight_decay`` (jit-safe)."""
    hyper = dict(opt_state.hyperparams)
    hyper["learning_rate"] = learning_rate
    hyper["weight_decay"] = weight_decay
    return opt_state._replace(hyperparams=hyper)
