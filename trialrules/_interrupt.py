"""
Turning SIGTERM and SIGHUP into an exception, like SIGINT's KeyboardInterrupt.

A Bulk run keeps a temporary database of patient ids; killed by a signal's
default action, Python runs no ``finally`` block and the file stays in $TMPDIR.
Raised as an exception instead, the signal unwinds the run: temporary data is
removed, the output is closed well-formed, and the command exits 128 + signal.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal (``signum``)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def exit_code(exc: KeyboardInterrupt) -> int:
    """The shell's convention: 128 + the signal number (SIGINT for Ctrl-C)."""
    return 128 + (exc.signum if isinstance(exc, Interrupted) else signal.SIGINT)


_deferring = 0
_pending: int | None = None


def _raise(signum: int, frame: FrameType | None) -> None:
    global _pending
    # Further signals while the run unwinds would interrupt the clean-up itself.
    for sig in (*_SIGNALS, signal.SIGINT):
        signal.signal(sig, signal.SIG_IGN)
    if _deferring:
        _pending = signum
        return
    raise Interrupted(signum)


@contextmanager
def deferred() -> Iterator[None]:
    """Within the block a signal waits: a result is written whole or not at all
    (an exception inside ``write`` to a full pipe would cut a JSON line in two)."""
    global _deferring, _pending
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
        if not _deferring and _pending is not None:
            signum, _pending = _pending, None
            raise Interrupted(signum)


@contextmanager
def signals_raise() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise :class:`Interrupted` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {sig: signal.getsignal(sig) for sig in (*_SIGNALS, signal.SIGINT)}
    for sig in _SIGNALS:
        signal.signal(sig, _raise)
    if saved[signal.SIGINT] is signal.default_int_handler:
        signal.signal(signal.SIGINT, _raise)
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
