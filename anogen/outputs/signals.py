"""Interruptions: SIGINT and SIGTERM unwind the run like an exception; a commit in progress finishes.

The entry points (``python -m anogen``, ``anogen.legacy``, ``anogen.report``) run inside
:func:`handle_signals`: SIGTERM then raises :class:`Interrupted` (SIGINT raises it too, a
``KeyboardInterrupt`` subclass), so the outputs context rolls back its staged files and the entry
point exits with ``128 + signal`` (130 for SIGINT, 143 for SIGTERM). The commit of a result set
runs inside :func:`deferred`: a signal that arrives then is held until every file is in place, so an
interruption leaves either nothing or the complete result set, never a part of it.

Library code installs nothing: outside :func:`handle_signals`, :func:`deferred` still holds a
signal during a commit and then hands it to whatever handler was there before (Python's
``KeyboardInterrupt`` for SIGINT, the default action for SIGTERM).

An interrupt is never swallowed, and never raised where it can do harm. Inside
:func:`handle_signals` the first SIGINT/SIGTERM is only *recorded*; :func:`raise_if_interrupted`
raises it at the next safe point (between epochs, between detectors and cases, between a job's
steps, before a commit), and :func:`handle_signals` raises it at its end if no safe point came.
An exception raised by the handler itself lands wherever the main thread happens to be: inside a
garbage-collection callback (JAX registers one) Python prints and drops it, inside a class body's
``__set_name__`` it is wrapped in a ``RuntimeError`` that a config error would then report, and
inside JAX's compilation or dispatch (Python code called back from XLA's C++) it once ended the
process with a segmentation fault instead of exit 130. A *second* signal raises at once, wherever
the run is (the user insists; a long step between two safe points cannot hold them).
"""

from __future__ import annotations

import signal
import sys
import threading
from contextlib import contextmanager
from typing import Iterator

__all__ = ["Interrupted", "handle_signals", "deferred", "exit_code", "exit_process", "raise_if_interrupted",
           "interrupted", "exit_at_once_on_signals"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_state = threading.local()
#: the signals that :func:`handle_signals`' handler raised as :class:`Interrupted`, first first (main
#: thread only: Python runs signal handlers there); cleared when :func:`handle_signals` ends
_raised: list[int] = []


class Interrupted(KeyboardInterrupt):
    """Raised by a SIGINT/SIGTERM handler installed by :func:`handle_signals`.

    Attributes:
        signum: the signal number.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = int(signum)


def exit_code(e: BaseException) -> int:
    """``128 + signal``: 143 for SIGTERM, 130 for SIGINT (and a plain ``KeyboardInterrupt``)."""
    return 128 + (e.signum if isinstance(e, Interrupted) else int(signal.SIGINT))


def exit_at_once_on_signals(prog: str) -> None:
    """For a command line's start-up (``python -m anogen`` and the other entry points), before it
    imports its libraries: SIGINT/SIGTERM print one line and end the process at once with 130/143
    (nothing has been written yet). :func:`handle_signals` takes over when the work starts."""
    import os

    def leave(signum: int, frame) -> None:  # noqa: ANN001 - a signal handler
        os.write(2, f"{prog}: interrupted by {signal.Signals(signum).name} while starting; nothing was written\n".encode())
        os._exit(128 + int(signum))

    if _main_thread():
        for s in _SIGNALS:
            signal.signal(s, leave)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _record(signum: int, frame) -> None:  # noqa: ANN001 - a signal handler
    """The handler inside :func:`handle_signals`: the first signal is recorded and raised at the
    next safe point; a second one raises here and now."""
    _raised.append(int(signum))
    if len(_raised) > 1:
        raise Interrupted(_raised[0])


def interrupted() -> int | None:
    """The signal that interrupted the run inside :func:`handle_signals` (``None`` if none did):
    long loops may check it to stop early; :func:`raise_if_interrupted` raises it."""
    return _raised[0] if _raised else None


def raise_if_interrupted(cause: BaseException | None = None) -> None:
    """A safe point: raise :class:`Interrupted` when a signal came (recorded by the handler of
    :func:`handle_signals`, or raised there by a second signal and then swallowed or wrapped in another
    exception, ``cause``). A no-op outside :func:`handle_signals` and when no signal came."""
    if _raised:
        raise Interrupted(_raised[0]) from cause


@contextmanager
def handle_signals() -> Iterator[None]:
    """Inside: SIGINT and SIGTERM end the run with :class:`Interrupted`, raised at the next safe point
    (a second signal: at once); main thread only, a no-op elsewhere."""
    if not _main_thread():
        yield
        return
    old = {s: signal.getsignal(s) for s in _SIGNALS}
    _raised.clear()
    for s in _SIGNALS:
        signal.signal(s, _record)
    old_hook = sys.unraisablehook

    def quiet(unraisable) -> None:  # noqa: ANN001 - sys.UnraisableHookArgs
        # an Interrupted that Python dropped (a GC callback): recorded, raised again later; no traceback
        if not isinstance(unraisable.exc_value, Interrupted):
            old_hook(unraisable)
    sys.unraisablehook = quiet
    try:
        yield
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # an interrupt wrapped in another exception, or a failure after one
        raise_if_interrupted(e)
        raise
    else:
        raise_if_interrupted()  # swallowed on the way: it still ends the run with 130/143
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        sys.unraisablehook = old_hook
        _raised.clear()


@contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM until the block ends, then deliver them to the previous handlers.

    Nested blocks hold until the outermost one ends. Outside the main thread signals cannot be
    handled here and the block runs as is (Python delivers signals to the main thread only).
    """
    if not _main_thread() or getattr(_state, "holding", False):
        yield
        return
    pending: list[int] = []
    old = {s: signal.getsignal(s) for s in _SIGNALS}
    for s in _SIGNALS:
        signal.signal(s, lambda signum, frame: pending.append(signum))
    _state.holding = True
    try:
        yield
    finally:
        _state.holding = False
        for s, h in old.items():
            signal.signal(s, h)
    for signum in pending[:1]:
        _deliver(signum, old[signum])


def _deliver(signum: int, handler) -> None:  # noqa: ANN001 - whatever signal.getsignal returned
    if callable(handler):
        handler(signum, None)
    elif handler == signal.SIG_DFL:
        signal.raise_signal(signum)  # the default action (SIGTERM: the process ends)


def _shutdown_threads() -> None:
    """What the interpreter does first at a normal exit: run the hooks registered with
    ``threading._register_atexit`` (``concurrent.futures`` and joblib/loky executors use them to
    tell their worker threads to stop), then join every non-daemon thread. Joining without the
    hooks waited forever on an idle executor's workers (a ``hydra/launcher=parallel`` sweep hung
    after its last job)."""
    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is not None and threading.current_thread() is threading.main_thread():
        shutdown()
        return
    me = threading.current_thread()  # pragma: no cover - another interpreter, or not the main thread
    for t in threading.enumerate():
        if t is not me and not t.daemon and t.is_alive():
            t.join()


def exit_process(code: int) -> None:
    """End the process with ``code`` without the interpreter's final teardown.

    A signal that lands while XLA compiles or runs (e.g. the first epoch's compilation with a cold
    cache) leaves JAX's runtime threads busy; tearing the interpreter down under them ended in a
    segmentation fault (exit -11 instead of 143). The run has already rolled back or committed its
    files, so for 130/143 the streams are flushed and the process leaves at once.

    Any other code: what a normal exit does that matters, in the same order (wait for non-daemon
    threads, run the ``atexit`` handlers: logging's flush, W&B's teardown, JAX's backend clean-up),
    then the streams are flushed and the process leaves. The interpreter's last stage, freeing every
    module and object one by one, is skipped: after a run it took ~1 s (the XLA client and its
    compiled programs, the imported libraries) and writes nothing (files are written with ``with``
    blocks or :func:`anogen.outputs.files.atomic_write`, log handlers are flushed by ``atexit``).
    Under a profiler or a debugger (``python -m cProfile -m anogen``) the exit is the normal one.
    """
    import atexit
    import os

    if code not in (130, 143) and (sys.getprofile() is not None or sys.gettrace() is not None):
        sys.exit(code)  # under a profiler or debugger (cProfile writes its file at the normal exit)
    if code not in (130, 143):
        _shutdown_threads()
        atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(0 if code is None else code if isinstance(code, int) else 1)
