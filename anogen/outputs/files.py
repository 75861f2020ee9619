"""Atomic file writes with the user's umask, and the output-folder check of the entry points.

A file is written under a temporary name in its folder, given the mode a plain ``open`` would
give (``0o666`` minus the umask: :func:`tempfile.mkstemp` makes ``0o600``), then renamed over the
target with ``os.replace``: a reader never sees a partial file, and no temporary file survives an
exception or an interruption (SIGINT/SIGTERM raised as exceptions by the entry points).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np

from anogen.types import AnogenError

__all__ = ["atomic_write", "write_json", "write_text", "write_csv", "to_jsonable", "umask", "file_mode",
           "dir_mode", "apply_mode", "check_output_dir", "disk_full", "disk_full_message", "DISK_FULL_EXIT",
           "pid_alive", "safe_name"]

#: the exit code of every entry point when the disk (or the user's quota) is full: the machine's
#: problem, not the user's config (2) nor a bug (1)
DISK_FULL_EXIT = 3


def umask() -> int:
    """The process umask, read without changing it where the system allows (``/proc``)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    old = os.umask(0o022)  # no /proc: the classic read (set and restore)
    os.umask(old)
    return old


def file_mode() -> int:
    """Mode of a new file for this user: ``0o666 & ~umask``."""
    return 0o666 & ~umask()


def dir_mode() -> int:
    """Mode of a new folder for this user: ``0o777 & ~umask``."""
    return 0o777 & ~umask()


def apply_mode(path: str | Path) -> None:
    """Give a file (or folder) made by ``tempfile`` the mode the user's umask asks for."""
    os.chmod(path, dir_mode() if os.path.isdir(path) else file_mode())


def atomic_write(path: str | Path, writer: Callable[[str], None], suffix: str = "") -> Path:
    """Call ``writer(tmp_path)`` then rename to ``path`` (no partial or temporary file on failure)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix or path.suffix, dir=path.parent)
        os.close(fd)
        writer(tmp)
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
    except BaseException:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def check_output_dir(path: str | Path, key: str) -> Path:
    """Check that ``path`` is, or can be made, a writable folder; nothing is left behind.

    The nearest existing folder is probed with a temporary file (removed at once): ``os.access``
    alone says yes to root on a read-only mount.

    Raises:
        AnogenError: one line naming ``key``: a file is in the way, or the nearest existing folder
            is not writable.
    """
    p = Path(path).expanduser().absolute()
    for link in (p, *p.parents):
        if link.is_symlink() and not link.exists():  # Hydra's mkdir would fail with FileExistsError
            raise AnogenError(f"{key}: {link} is a symbolic link to {os.readlink(link)}, which does not exist; "
                              "give a folder (or create the link's target)")
    probe = p
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        what = "is a file" if probe == p else f"cannot be created: {probe} is a file"
        raise AnogenError(f"{key}: {p} {what}; give a folder")
    if not os.access(probe, os.W_OK | os.X_OK) or not _can_create_in(probe):
        where = "" if probe == p else f" (nearest existing folder {probe})"
        raise AnogenError(f"{key}: {p} is not writable{where}")
    return p


def _can_create_in(folder: Path) -> bool:
    """Whether a file can really be made in ``folder`` (``os.access`` says yes to root on read-only mounts)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".anogen-probe.", dir=folder)
    except OSError:
        return False
    os.close(fd)
    os.unlink(tmp)
    return True


def to_jsonable(obj: Any) -> Any:
    """Numpy scalars/arrays and tuples -> JSON types; NaN/inf -> None."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if np.isfinite(f) else None
    if isinstance(obj, np.datetime64):
        return str(obj)
    return obj


def write_text(path: str | Path, text: str) -> Path:
    def w(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
    return atomic_write(path, w)


def write_json(path: str | Path, obj: Any, indent: int | None = 2) -> Path:
    return write_text(path, json.dumps(to_jsonable(obj), indent=indent, sort_keys=False) + "\n")


def write_csv(path: str | Path, df) -> Path:
    """Write a DataFrame (no index) atomically.

    Floats are written as the shortest text that reads back to the same float (Python's
    ``repr``): values round-trip exactly, a clean row reads back equal to the input
    (``24.8566666666667`` stays ``24.8566666666667``), and the same data give the same bytes.
    """
    return atomic_write(path, lambda tmp: df.to_csv(tmp, index=False, float_format=None))


def disk_full(e: BaseException | None) -> OSError | None:
    """The "no space left on device" / "disk quota exceeded" error in ``e`` or its causes, else ``None``."""
    import errno

    seen = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
            return e
        e = e.__cause__ or e.__context__
    return None


def disk_full_message(e: OSError, where: str | Path | None = None) -> str:
    """One line for a full disk: what could not be written, where, and what to do."""
    what = f" while writing {e.filename}" if getattr(e, "filename", None) else ""
    place = f" under {where}" if where else ""
    return (f"no space left on the device{what}{place} ({os.strerror(e.errno)}); nothing was kept: free some "
            "space or write the results to another disk")


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (a process of another user counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def safe_name(text: Any) -> str:
    """A file or folder name made from data or config (a column, a series' name): path separators,
    ``..`` and characters outside letters, digits and ``._-+=@,`` become ``_``, and it never starts
    with a dot, so it stays one name inside its folder (``../../x`` becomes ``______x``)."""
    import re

    name = re.sub(r"[^\w.\-+=@,]", "_", str(text), flags=re.ASCII).replace("..", "__")
    name = name.lstrip(".") or "_"
    return name[:200]
