"""Self-describing model checkpoints: one ``.npz`` file with the parameters and a JSON header.

File layout (a plain NumPy ``.npz`` zip, readable without anogen)::

    __anogen__            0-d unicode array: JSON {"format": "anogen-checkpoint", "version": 1,
                          "model_class": "LSTMVAE", "model_kwargs": {...}, "meta": {...}}
    param/<path>          one array per ``nnx.Param``, ``<path>`` = attribute path joined by "/"
                          (e.g. ``param/enc_lstm/0/kernel_h``)

``load_checkpoint`` rebuilds the model from ``model_class`` + ``model_kwargs`` and checks that
every parameter is present with the expected shape and dtype. Files are written to a temporary
name in the same folder and moved into place with ``os.replace`` (atomic), so a crash never leaves
a half-written checkpoint under the final name.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from flax import nnx

from anogen.models import MODELS
from anogen.outputs.files import apply_mode
from anogen.types import AnogenError

__all__ = ["CHECKPOINT_NAME", "CheckpointError", "load_checkpoint", "save_checkpoint"]

#: File name used when a directory is given instead of a file path.
CHECKPOINT_NAME = "model.npz"
_FORMAT = "anogen-checkpoint"
_VERSION = 1
_HEADER = "__anogen__"


class CheckpointError(AnogenError):
    """A checkpoint is missing, corrupt, or does not match the model it describes."""


def _resolve(path: str | os.PathLike) -> Path:
    p = Path(path)
    return p / CHECKPOINT_NAME if p.is_dir() else p


def _flat_params(model: nnx.Module) -> list[tuple[tuple, str, Any]]:
    state = nnx.state(model, nnx.Param)
    out = []
    for path, var in state.flat_state():
        out.append((tuple(path), "param/" + "/".join(str(p) for p in path), var))
    return out


def save_checkpoint(path: str | os.PathLike, model: nnx.Module, meta: dict | None = None) -> None:
    """Write ``model``'s parameters and a JSON header atomically.

    Args:
        path: target file (conventionally ``*.npz``); an existing directory means
            ``<dir>/model.npz``. Parent folders are created.
        model: an anogen model (must have ``get_config()``; its class must be in
            ``anogen.models.MODELS``).
        meta: extra JSON-able information stored in the header (scaler statistics, columns,
            training history, ...).

    Raises:
        CheckpointError: unknown model class or ``meta`` not JSON-serialisable.
    """
    cls = type(model).__name__
    if MODELS.get(cls) is not type(model):
        raise CheckpointError(f"cannot checkpoint a {cls}: expected one of {sorted(MODELS)}")
    header = {
        "format": _FORMAT,
        "version": _VERSION,
        "model_class": cls,
        "model_kwargs": model.get_config(),
        "meta": {} if meta is None else meta,
    }
    try:
        header_json = json.dumps(header, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"checkpoint meta is not JSON-serialisable: {exc}") from None
    arrays = {_HEADER: np.array(header_json)}
    for _, key, var in _flat_params(model):
        arrays[key] = np.asarray(var[...])
    target = _resolve(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        apply_mode(tmp)  # mkstemp makes 0600 files: the user's umask decides, as for every other output
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def load_checkpoint(path: str | os.PathLike) -> tuple[nnx.Module, dict]:
    """Rebuild a model from a checkpoint written by :func:`save_checkpoint`.

    Args:
        path: the checkpoint file, or a directory holding ``model.npz``.

    Returns:
        ``(model, meta)``: the model with the stored parameters, and the ``meta`` dict given at
        save time.

    Raises:
        CheckpointError: missing or unreadable file, wrong format or version, unknown model
            class, or parameters missing / of the wrong shape or dtype.
    """
    target = _resolve(path)
    where = f"checkpoint {str(target)!r}"
    files, header = _read(target, where)
    model = _rebuild(header, where)
    _restore_params(model, files, where)
    meta = header.get("meta", {})
    return model, meta if isinstance(meta, dict) else {"meta": meta}


def _read(target: Path, where: str) -> tuple[dict[str, np.ndarray], dict]:
    """The arrays of the file (header removed) and its checked header."""
    if not target.is_file():
        raise CheckpointError(f"no checkpoint at {str(target)!r}")
    try:
        with np.load(target, allow_pickle=False) as npz:
            files = {name: npz[name] for name in npz.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise CheckpointError(f"{where} is corrupt or not an .npz file: {exc}") from None
    if _HEADER not in files:
        raise CheckpointError(f"{where} has no anogen header: not an anogen checkpoint")
    try:
        header = json.loads(str(files.pop(_HEADER)))
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{where} has an unreadable header: {exc}") from None
    if not isinstance(header, dict) or header.get("format") != _FORMAT:
        raise CheckpointError(f"{where} is not an anogen checkpoint")
    if header.get("version") != _VERSION:
        raise CheckpointError(f"{where} has format version {header.get('version')!r}; this anogen reads {_VERSION}")
    return files, header


def _rebuild(header: dict, where: str) -> nnx.Module:
    """A freshly initialised model of the header's class and constructor arguments."""
    cls_name = header.get("model_class")
    cls = MODELS.get(cls_name) if isinstance(cls_name, str) else None
    if cls is None:
        raise CheckpointError(f"{where} names unknown model class {cls_name!r}")
    kwargs = header.get("model_kwargs")
    if not isinstance(kwargs, dict):
        raise CheckpointError(f"{where} has no model_kwargs")
    try:
        return cls(**kwargs, rngs=nnx.Rngs(0))
    except (AnogenError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{where} cannot rebuild {cls_name}: {exc}") from None


def _restore_params(model: nnx.Module, files: dict[str, np.ndarray], where: str) -> None:
    """Put the stored parameters into ``model`` after checking names, shapes and dtypes."""
    state = nnx.state(model, nnx.Param)
    pure: dict = {}
    expected = set()
    for path, key, var in _flat_params(model):
        expected.add(key)
        if key not in files:
            raise CheckpointError(f"{where} lacks parameter {key!r}")
        ref, arr = var[...], files[key]
        if arr.shape != ref.shape or arr.dtype != ref.dtype:
            raise CheckpointError(
                f"{where}: parameter {key!r} has shape {arr.shape} {arr.dtype}, expected {ref.shape} {ref.dtype}"
            )
        node = pure
        for p in path[:-1]:
            node = node.setdefault(p, {})
        node[path[-1]] = arr
    extra = sorted(set(files) - expected)
    if extra:
        raise CheckpointError(f"{where} has unexpected entries, e.g. {extra[0]!r}")
    nnx.replace_by_pure_dict(state, pure)
    nnx.update(model, state)
