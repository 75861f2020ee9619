"""JAX's persistent compilation cache, on by default under the anogen cache folder.

Most of a short run's time is JAX compiling the same programs again in every new process (the
quickstart compiles ~27 programs, ~11 s on 2 cores). JAX can keep compiled programs on disk,
keyed by the program, the JAX/XLA versions, the device and the flags, so a later process loads
them instead. :func:`enable_jax_cache` turns that on for the run job:

- ``cache.jax: true`` (default): ``<cache.dir>/jax``; ``cache.jax: <folder>``: that folder;
  ``cache.jax: false``: off.
- Programs that took at least ``min_compile_seconds`` (0.1 s) to compile are kept (JAX's default
  of 1 s would keep none of the small models' programs); at most ``max_bytes`` (2 GiB) on disk,
  least recently used dropped first, when the ``filelock`` package is installed (JAX needs it for
  that bound; without it the folder is not bounded).
- A folder written while it was unbounded (before ``filelock`` was installed: ``ray`` and many other
  packages bring it) has entries without the access-time file that JAX's bounded cache reads for
  every entry when it stores one; JAX then fails to store anything and warns at every compile. The
  missing access times are written (the entry's modification time) before the bound is turned on.
- Settings the user made win: ``JAX_COMPILATION_CACHE_DIR`` (and the other ``JAX_*`` variables)
  in the environment, or a cache folder already set with ``jax.config``.

When JAX is not imported yet, the settings are passed as the environment variables JAX reads at
import (so a run that never uses JAX does not pay for importing it).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["enable_jax_cache", "jax_cache_dir", "add_missing_atimes"]

#: keep programs that took at least this long to compile
MIN_COMPILE_SECONDS = 0.1
#: upper bound of the cache folder (JAX evicts least recently used entries beyond it)
MAX_BYTES = 2 * 1024**3

#: JAX's file names in the cache folder (``jax._src.lru_cache``): an entry and its access time
_CACHE_SUFFIX, _ATIME_SUFFIX = "-cache", "-atime"

_ENV = {"dir": "JAX_COMPILATION_CACHE_DIR", "min": "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS",
        "max": "JAX_COMPILATION_CACHE_MAX_SIZE"}


def jax_cache_dir(cache: Mapping[str, Any] | None) -> Path | None:
    """The folder for compiled programs from the ``cache`` config node, or ``None`` (off).

    Args:
        cache: ``{"dir": str, "jax": bool | str}`` (``jax`` missing = ``True``).

    Returns:
        ``<dir>/jax`` for ``jax: true``, the given folder for a string, ``None`` for ``jax: false``
        or when neither gives a folder.
    """
    cache = dict(cache or {})
    value = cache.get("jax", True)
    if value is None or value is False or (isinstance(value, str) and value.strip().lower() in ("", "false")):
        return None
    if isinstance(value, str) and value.strip().lower() != "true":
        return Path(value).expanduser()
    base = cache.get("dir")
    return Path(str(base)).expanduser() / "jax" if base else None


def enable_jax_cache(cache: Mapping[str, Any] | None, *, min_compile_seconds: float = MIN_COMPILE_SECONDS,
                     max_bytes: int = MAX_BYTES) -> Path | None:
    """Turn on JAX's persistent compilation cache (see the module docstring).

    Args:
        cache: the ``cache`` config node (``dir``, ``jax``).
        min_compile_seconds: keep programs that took at least this long to compile.
        max_bytes: size bound of the folder.

    Returns:
        The folder in use (the user's own setting when there is one), or ``None`` when off.
    """
    if os.environ.get(_ENV["dir"]):
        return Path(os.environ[_ENV["dir"]])
    folder = jax_cache_dir(cache)
    if folder is None:
        return None
    bound = _can_bound()
    if bound:
        add_missing_atimes(folder)
    if "jax" not in sys.modules:  # read by JAX at import: nothing to import now
        os.environ[_ENV["dir"]] = str(folder)
        os.environ.setdefault(_ENV["min"], str(min_compile_seconds))
        if bound:
            os.environ.setdefault(_ENV["max"], str(int(max_bytes)))
        return folder
    import jax

    if jax.config.jax_compilation_cache_dir:
        return Path(jax.config.jax_compilation_cache_dir)
    jax.config.update("jax_compilation_cache_dir", str(folder))
    if not os.environ.get(_ENV["min"]):
        jax.config.update("jax_persistent_cache_min_compile_time_secs", float(min_compile_seconds))
    if not os.environ.get(_ENV["max"]) and bound:
        jax.config.update("jax_compilation_cache_max_size", int(max_bytes))
    _reset_if_initialised()
    return folder


def add_missing_atimes(folder: Path) -> int:
    """Write the access-time file JAX's bounded cache expects beside every entry that lacks one (the
    entry's modification time, in JAX's format: 8 bytes, little-endian nanoseconds). Returns how many
    were written; a folder that does not exist or cannot be written is left alone."""
    folder = Path(folder)
    written = 0
    try:
        entries = list(folder.glob("*" + _CACHE_SUFFIX))
    except OSError:
        return 0
    for entry in entries:
        atime = entry.with_name(entry.name[: -len(_CACHE_SUFFIX)] + _ATIME_SUFFIX)
        if atime.exists():
            continue
        try:
            atime.write_bytes(entry.stat().st_mtime_ns.to_bytes(8, "little"))
            written += 1
        except OSError:  # read-only or vanished meanwhile: JAX copes or warns as before
            continue
    return written


def _can_bound() -> bool:
    """JAX bounds the folder's size only with ``filelock`` (else every compile warns and skips it)."""
    return importlib.util.find_spec("filelock") is not None


def _reset_if_initialised() -> None:
    """JAX decides at its first compile whether a cache is used and keeps that answer: after a
    compile without a folder (e.g. at an import), it is made to look again."""
    try:
        from jax._src import compilation_cache as cc
    except ImportError:  # pragma: no cover - layout of another JAX version
        return
    if getattr(cc, "_cache_checked", False) and hasattr(cc, "reset_cache"):
        cc.reset_cache()
