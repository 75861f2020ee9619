"""What every command line other than Hydra's promises, in one place: the work runs under
:func:`~anogen.outputs.signals.handle_signals`, and its end becomes an exit code and one line on
stderr: 0 done; 2 a mistake (:class:`~anogen.types.AnogenError`, the line names the key); 3 no space
left on the device; 130/143 interrupted (nothing written, or the complete result set when the
signal came during its commit). Used by ``anogen.legacy``, ``anogen.report`` and ``anogen.gutentag``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

from anogen.outputs.files import DISK_FULL_EXIT, disk_full, disk_full_message
from anogen.outputs.signals import exit_code, handle_signals
from anogen.types import AnogenError

__all__ = ["run_command"]


def run_command(prog: str, work: Callable[[], Any], *, out: str | Path | None = None,
                kept: str = "the result files were complete and are kept") -> tuple[int, Any]:
    """``(exit code, what work returned)``; the code is 0 when it returned.

    Args:
        prog: the command's name in the messages (``anogen.legacy``).
        work: the command's work, called with no arguments.
        out: the folder it writes, named when the disk is full.
        kept: what to say when an interrupt came after the result set was committed.
    """
    try:
        with handle_signals():
            return 0, work()
    except AnogenError as e:
        print(f"{prog}: error: {' '.join(str(e).split())}", file=sys.stderr)
        return 2, None
    except OSError as e:
        full = disk_full(e)
        if full is None:
            raise
        print(f"{prog}: error: {disk_full_message(full, out)}", file=sys.stderr)
        return DISK_FULL_EXIT, None
    except KeyboardInterrupt as e:
        what = kept if getattr(e, "committed", False) else "nothing was written"
        print(f"{prog}: {e or 'interrupted by SIGINT'}; {what}", file=sys.stderr)
        return exit_code(e), None
