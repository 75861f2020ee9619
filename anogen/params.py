"""Typed parameters: types and ranges declared once, beside the parameters, checked in one place.

A component declares its constructor with annotated types::

    from anogen.params import PositiveInt, Fraction

    class ZScore(BaseDetector):
        def __init__(self, window: PositiveInt | None = None, contamination: Ratio = 0.1): ...

:func:`check_params` validates keyword arguments against such a signature (pydantic does the
work: ``"5"`` becomes ``5``, ``"abc"`` or ``0`` is refused) and raises one :class:`AnogenError`
line that names the full key path and what is valid::

    detectors.zscore.window: must be > 0, got 0

:func:`anogen.config.build` calls it for every ``_target_`` before the object is built, so a bad
config fails before any data are loaded; detectors call it again in ``fit`` (scikit-learn style:
parameters set with ``set_params`` are checked too). Unannotated parameters are not checked.
"""

from __future__ import annotations

import inspect
import typing
from functools import lru_cache
from typing import Annotated, Any, Callable, Mapping

from pydantic import AfterValidator, ConfigDict, Field, ValidationError, create_model

from anogen.types import AnogenError

__all__ = [
    "PositiveInt", "NonNegativeInt", "PositiveFloat", "NonNegativeFloat", "Fraction", "OpenFraction",
    "Ratio", "Probability", "FiniteFloat", "check_params", "check_value", "format_error", "declares_param_types",
]


def _finite(v: float) -> float:
    import math

    if not math.isfinite(v):
        raise ValueError("must be a finite number")
    return v


PositiveInt = Annotated[int, Field(gt=0)]
NonNegativeInt = Annotated[int, Field(ge=0)]
FiniteFloat = Annotated[float, AfterValidator(_finite)]
PositiveFloat = Annotated[float, Field(gt=0), AfterValidator(_finite)]
NonNegativeFloat = Annotated[float, Field(ge=0), AfterValidator(_finite)]
#: a fraction in [0, 1)
Fraction = Annotated[float, Field(ge=0, lt=1)]
#: a fraction in (0, 1)
OpenFraction = Annotated[float, Field(gt=0, lt=1)]
#: a contamination ratio in (0, 0.5]
Ratio = Annotated[float, Field(gt=0, le=0.5)]
#: a probability in [0, 1]
Probability = Annotated[float, Field(ge=0, le=1)]

_MODEL_CONFIG = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

_RANGE_WORDS = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}


def _signature_target(target: Any) -> Callable:
    return target.__init__ if inspect.isclass(target) else target


@lru_cache(maxsize=None)
def _model_for(target: Any):
    """A pydantic model of ``target``'s annotated keyword parameters (``None`` if it has none)."""
    fn = _signature_target(target)
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    try:
        hints = typing.get_type_hints(inspect.unwrap(fn), include_extras=True)
    except Exception:  # noqa: BLE001 - unresolvable annotations: check nothing rather than guess
        hints = {}
    fields: dict[str, Any] = {}
    for name, p in sig.parameters.items():
        if name == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        ann = hints.get(name, Any)
        default = ... if p.default is p.empty else p.default
        fields[name] = (ann, default)
    if not fields:
        return None
    open_kwargs = any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())
    config = ConfigDict(arbitrary_types_allowed=True, extra="allow" if open_kwargs else "forbid")
    return create_model(f"{getattr(target, '__name__', 'target')}Params", __config__=config, **fields)


def _bounds_of(metadata: Any) -> list[str]:
    out = []
    for m in metadata:
        if isinstance(getattr(m, "metadata", None), list):  # a pydantic Field(...): its constraints
            out += _bounds_of(m.metadata)
            continue
        for k in ("gt", "ge", "lt", "le"):
            v = getattr(m, k, None)
            if v is not None:
                out.append(f"{_RANGE_WORDS[k]} {v}")
    return out


def _declared_bounds(model: Any, loc: tuple) -> list[str]:
    """The whole declared range of a top-level field (``["> 0", "<= 0.5"]``), not only the bound hit."""
    if model is None or len(loc) != 1 or loc[0] not in model.model_fields:
        return []
    return _bounds_of(model.model_fields[loc[0]].metadata)


_TYPE_TAGS = {"int", "float", "str", "bool", "none", "list", "tuple", "dict"}


def _key_parts(loc: Any) -> list:
    """The key path of a pydantic location, without the union-member tags (``constrained-int``)."""
    out = []
    for i, p in enumerate(loc):
        s = str(p)
        if i > 0 and not isinstance(p, int) and (s in _TYPE_TAGS or any(c in s for c in "-[(")):
            continue
        out.append(p)
    return out


def format_error(err: Mapping[str, Any], key: str, valid: list[str] | None = None, model: Any = None,
                 noun: str = "parameter") -> AnogenError:
    """The :class:`AnogenError` of one pydantic error dict: key ``key.loc``, problem ``what is valid, got value``.

    ``noun`` names what an unknown name is (``unknown parameter; valid parameters: [...]``; the
    seed's JSON says ``key``).
    """
    loc = ".".join(str(p) for p in _key_parts(err.get("loc", ())))
    path = f"{key}.{loc}" if key and loc else (key or loc)
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    got = err.get("input")
    if kind == "extra_forbidden":
        return AnogenError(f"unknown {noun}; valid {noun}s: {valid}" if valid else f"unknown {noun}", key=path)
    if kind == "missing":
        return AnogenError("a value is required", key=path)
    bounds = [f"{_RANGE_WORDS[k]} {ctx[k]}" for k in ("gt", "ge", "lt", "le") if k in ctx]
    if bounds:
        bounds = _declared_bounds(model, tuple(err.get("loc", ()))) or bounds
        what = "must be " + " and ".join(bounds)
    else:
        msg = str(err.get("msg", "invalid value"))
        msg = msg.removeprefix("Value error, ")
        what = msg[0].lower() + msg[1:] if msg else "invalid value"
        what = what.replace("input should be", "must be")
    return AnogenError(f"{what}, got {got!r}", key=path)


#: the metadata objects of the types above: an annotation holding one of them uses anogen.params
_OWN_METADATA = {id(m) for t in (PositiveInt, NonNegativeInt, FiniteFloat, PositiveFloat, NonNegativeFloat, Fraction,
                                 OpenFraction, Ratio, Probability) for m in typing.get_args(t)[1:]}


def _uses_own_type(annotation: Any) -> bool:
    """Whether ``annotation`` is, or contains (``PositiveInt | None``, ``list[Ratio]``), a type of this module."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is Annotated and any(id(m) in _OWN_METADATA for m in args[1:]):
        return True
    return any(_uses_own_type(a) for a in args)


@lru_cache(maxsize=None)
def declares_param_types(target: Any) -> bool:
    """Whether ``target``'s parameters are annotated with this module's types (``count: PositiveInt``).

    :func:`anogen.config.build` checks such a class whatever its module (a plug-in is checked as a
    built-in is); a third-party class without them (a scikit-learn estimator) checks itself.
    """
    try:
        hints = typing.get_type_hints(inspect.unwrap(_signature_target(target)), include_extras=True)
    except Exception:  # noqa: BLE001 - unresolvable annotations: nothing declared that we can read
        return False
    return any(_uses_own_type(h) for name, h in hints.items() if name != "return")


def check_params(target: Any, params: Mapping[str, Any], key: str, partial: bool = False) -> dict[str, Any]:
    """Validate ``params`` against ``target``'s annotated signature.

    Args:
        target: a class (its ``__init__`` is read) or a function.
        params: keyword arguments (keys starting with ``_`` are ignored).
        key: the config key for messages (``"detectors.iforest"``).
        partial: missing required parameters are fine (given at run time, e.g. ``n_features``).

    Returns:
        The parameters, coerced to their declared types (only the ones given).

    Raises:
        AnogenError: one line naming ``key.param`` and what is valid.
    """
    given = {k: v for k, v in params.items() if not str(k).startswith("_")}
    model = _model_for(target)
    if model is None:
        return given
    try:
        validated = model.model_validate(given)
    except ValidationError as e:
        errors = [err for err in e.errors() if not (partial and err.get("type") == "missing")]
        if not errors:
            return given
        valid = [n for n in model.model_fields]
        raise format_error(errors[0], key, valid, model) from None
    out = dict(given)
    for name in given:
        if name in model.model_fields:
            out[name] = getattr(validated, name)
    return out


def check_value(value: Any, annotation: Any, key: str) -> Any:
    """Validate one value against a type (``check_value(x, PositiveInt, "trainer.epochs")``)."""
    from pydantic import TypeAdapter

    try:
        return TypeAdapter(annotation, config=None).validate_python(value)
    except ValidationError as e:
        err = dict(e.errors()[0])
        whole = _bounds_of(typing.get_args(annotation)[1:]) if typing.get_origin(annotation) is Annotated else []
        if whole and err.get("ctx") and any(k in err["ctx"] for k in _RANGE_WORDS):
            raise AnogenError(f"must be {' and '.join(whole)}, got {err.get('input')!r}", key=key) from None
        raise format_error(err, key) from None


def check_attributes(obj: Any, key: str) -> None:
    """Validate the constructor parameters an object keeps under their own names (scikit-learn style).

    :func:`anogen.config.build` checks a config before the object exists; this checks an object
    built directly in Python (``Noise(direction="x")``) at its first use, against the same
    annotations, with the same one-line message (``sampler.direction: must be 'p', 'n' or 'both'``).

    Raises:
        AnogenError: one line naming ``key.param`` and what is valid.
    """
    names = inspect.signature(type(obj)).parameters
    check_params(type(obj), {n: getattr(obj, n) for n in names if hasattr(obj, n)}, key)


__all__ += ["check_attributes"]
