"""
Progress of a long screening on stderr: the phase, a count, the rate and the
time left. Drawn only when stderr is a terminal, never on stdout.

A background thread redraws twice a second, so a phase that yields nothing for
a while (indexing a Bulk export before the first patient) still shows it is
alive. Anything else written to the terminal goes through :meth:`Progress.clear`
first, so a results line never shares a line with the bar.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from typing import IO


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class Progress:
    """A one-line status on a terminal's stderr.

    Args:
        total: how many items the screening phase will count, if known.
        stream: where to draw (default ``sys.stderr``).
        enabled: draw at all; default: only when ``stream`` is a terminal.
        clock: a monotonic clock (tests pass a fake one).
    """

    def __init__(
        self,
        total: int | None = None,
        *,
        stream: IO[str] | None = None,
        enabled: bool | None = None,
        clock: object = time.monotonic,
    ) -> None:
        self.stream = stream or sys.stderr
        if enabled is None:
            try:
                enabled = self.stream.isatty()
            except (AttributeError, ValueError):
                enabled = False
        self.enabled = enabled
        self.total = total
        self.count = 0
        self.phase = ""
        self._clock = clock
        self._phase_started = self._now()
        self._created = self._phase_started
        self._counting_started: float | None = None
        self._lock = threading.Lock()
        self._shown = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _now(self) -> float:
        return float(self._clock())  # type: ignore[operator]

    def __enter__(self) -> Progress:
        if self.enabled:
            self._thread = threading.Thread(target=self._tick, name="trialrules-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()

    def start_phase(self, phase: str) -> None:
        """Begin a phase (``indexing the export``, ``screening``)."""
        with self._lock:
            self.phase = phase
            self._phase_started = self._now()
        self.draw()

    def step(self, n: int = 1) -> None:
        """Count n items done."""
        if self._counting_started is None:
            self._counting_started = self._now()
        self.count += n

    def line(self) -> str:
        """The status line as it would be drawn now."""
        now = self._now()
        parts = [self.phase or "working"]
        elapsed = now - (self._counting_started if self._counting_started is not None else self._phase_started)
        if self._counting_started is None:
            parts.append(_duration(now - self._phase_started))
            return " · ".join(parts)
        count = f"{self.count:,}" + (f"/{self.total:,}" if self.total else "") + " patients"
        parts.append(count)
        if elapsed > 0.5 and self.count:
            rate = self.count / elapsed
            parts.append(f"{rate:,.0f}/s")
            if self.total and self.total > self.count:
                left = (self.total - self.count) / rate
                parts.append(f"about {_duration(left)} left" if left >= 1 else "less than 1 s left")
        return " · ".join(parts)

    def summary(self) -> str:
        """``15,000 patients screened in 41 s (366/s) after 7 s reading``: the final line."""
        start = self._counting_started if self._counting_started is not None else self._phase_started
        elapsed = self._now() - start
        rate = f" ({self.count / elapsed:,.0f}/s)" if elapsed > 0 and self.count else ""
        before = start - self._created
        lead = f" after {_duration(before)} reading the input" if before >= 1 else ""
        return f"{self.count:,} patients screened in {_duration(elapsed)}{rate}{lead}"

    def draw(self) -> None:
        if not self.enabled:
            return
        with self._lock:
            self.stream.write("\r\x1b[2K" + self.line())
            self.stream.flush()
            self._shown = True

    def clear(self) -> None:
        """Remove the status line (before other output reaches the terminal)."""
        with self.cleared():
            pass

    @contextlib.contextmanager
    def cleared(self) -> Iterator[None]:
        """Remove the status line and keep it away while the block writes (and flushes) its own lines."""
        if not self.enabled:
            yield
            return
        with self._lock:
            if self._shown:
                self.stream.write("\r\x1b[2K")
                self.stream.flush()
                self._shown = False
            yield

    def finish(self) -> None:
        """Stop redrawing; leave a final line saying what was done."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self.enabled and (self._shown or self.count):
            with self._lock:
                self.stream.write("\r\x1b[2K" + self.summary() + "\n")
                self.stream.flush()
                self._shown = False

    def _tick(self) -> None:
        while not self._stop.wait(0.5):
            self.draw()
