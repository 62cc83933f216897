"""
A small SVG plotting layer for the outcomes report: a frame with linear or
log10 scales, ticks that cover the data, tick labels as written (0.25, not
0.2), and legends placed outside the frame.

Why our own: the report must be one self-contained file with identical output
for identical data, and a test must be able to check the geometry of every
plotted mark. Each data mark carries ``class="datum"`` and sits inside a
``<g class="plot" data-frame="x0 y0 x1 y1">``; censor marks carry
``class="datum censor" data-subject=...``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
FONT = 12
_CHAR = 0.6  # average glyph width / font size for the sans-serif stack used


def esc(s: object) -> str:
    return html.escape(str(s), quote=True)


def text_width(s: str, size: int = FONT) -> float:
    """Estimated width in px of a label (for layout: labels never overlap the frame)."""
    return len(s) * size * _CHAR


def nice_ticks(lo: float, hi: float, n: int = 6) -> list[float]:
    """Round ticks from at or below ``lo`` to at or above ``hi`` (the axis covers all the data)."""
    if not math.isfinite(lo) or not math.isfinite(hi):
        return [0.0, 1.0]
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw * 0.999)
    start = math.floor(lo / step + 1e-9) * step
    end = math.ceil(hi / step - 1e-9) * step
    count = int(round((end - start) / step))
    return [round(start + i * step, 10) for i in range(count + 1)]


def tick_label(v: float) -> str:
    """A tick value as written: ``0.25``, ``3``, ``−30`` (true minus sign), ``1000``."""
    text = f"{round(v, 10):.10g}"
    if text in ("-0", "-0.0"):
        text = "0"
    return text.replace("-", "−")


class Plot:
    """A frame with scales. ``x``/``y`` map data to pixels; marks are added to ``body``.

    Args:
        x0, y0, w, h: the frame in pixels.
        xlim, ylim: the data range of each axis (the ticks' first and last).
        ylog: log10 y scale (``ylim`` are then positive values).
        pad: pixels kept free inside the frame on every side, so marks at the
            limits (a censor tick at survival 1) stay inside it.
    """

    def __init__(
        self, x0: float, y0: float, w: float, h: float, xlim: tuple[float, float], ylim: tuple[float, float],
        *, ylog: bool = False, pad: float = 6.0,
    ) -> None:
        self.x0, self.y0, self.w, self.h = x0, y0, w, h
        self.xlim, self.ylim, self.ylog, self.pad = xlim, ylim, ylog, pad
        self.body: list[str] = []

    def x(self, v: float) -> float:
        lo, hi = self.xlim
        return self.x0 + self.pad + (self.w - 2 * self.pad) * (v - lo) / ((hi - lo) or 1.0)

    def y(self, v: float) -> float:
        lo, hi = self.ylim
        if self.ylog:
            v, lo, hi = math.log10(v), math.log10(lo), math.log10(hi)
        return self.y0 + self.h - self.pad - (self.h - 2 * self.pad) * (v - lo) / ((hi - lo) or 1.0)

    def axes(
        self, xticks: Sequence[tuple[float, str]], yticks: Sequence[tuple[float, str]], xlabel: str, ylabel: str,
        *, grid: bool = True,
    ) -> list[str]:
        """Frame, ticks, tick labels and axis titles (outside the frame)."""
        x0, y0, w, h = self.x0, self.y0, self.w, self.h
        out = [f'<rect class="frame" x="{x0:.1f}" y="{y0:.1f}" width="{w:.1f}" height="{h:.1f}" fill="none" stroke="#444"/>']
        for v, label in xticks:
            px = self.x(v)
            out.append(f'<line x1="{px:.1f}" y1="{y0 + h:.1f}" x2="{px:.1f}" y2="{y0 + h + 5:.1f}" stroke="#444"/>')
            out.append(label_el(px, y0 + h + 18, label))
        for v, label in yticks:
            py = self.y(v)
            if grid:
                out.append(f'<line x1="{x0:.1f}" y1="{py:.1f}" x2="{x0 + w:.1f}" y2="{py:.1f}" stroke="#e6e6e6"/>')
            out.append(f'<line x1="{x0 - 5:.1f}" y1="{py:.1f}" x2="{x0:.1f}" y2="{py:.1f}" stroke="#444"/>')
            out.append(label_el(x0 - 8, py + 4, label, "end"))
        if xlabel:
            out.append(label_el(x0 + w / 2, y0 + h + 38, xlabel, weight="600"))
        if ylabel:
            ywidest = max((text_width(lbl) for _, lbl in yticks), default=0.0)
            tx = x0 - ywidest - 22
            out.append(label_el(tx, y0 + h / 2, ylabel, weight="600", extra=f'transform="rotate(-90 {tx:.1f} {y0 + h / 2:.1f})"'))
        return out

    def group(self, marks: Sequence[str]) -> str:
        """The data marks inside a group that states the frame they must lie in."""
        x1, y1 = self.x0 + self.w, self.y0 + self.h
        return (f'<g class="plot" data-frame="{self.x0:.1f} {self.y0:.1f} {x1:.1f} {y1:.1f}">'
                + "".join(marks) + "</g>")


def label_el(x: float, y: float, s: str, anchor: str = "middle", size: int = FONT, weight: str = "normal",
             fill: str = "#222", extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" font-weight="{weight}" '
            f'fill="{fill}" {extra}>{esc(s)}</text>')


def legend(x: float, y: float, items: Sequence[tuple[str, str, str]], title: str = "") -> tuple[list[str], float, float]:
    """A vertical legend at (x, y): items are (swatch kind: line/box/dot, colour, label).

    Returns the elements, its width and its height.
    """
    out: list[str] = []
    row = y
    width = 0.0
    if title:
        out.append(label_el(x, row + 10, title, "start", weight="600"))
        width = text_width(title)
        row += 18
    for kind, colour, label in items:
        if kind == "line":
            out.append(f'<line x1="{x:.1f}" y1="{row + 6:.1f}" x2="{x + 18:.1f}" y2="{row + 6:.1f}" stroke="{colour}" stroke-width="2.5"/>')
        elif kind == "dot":
            out.append(f'<circle cx="{x + 9:.1f}" cy="{row + 6:.1f}" r="5" fill="{colour}"/>')
        elif kind == "dash":
            out.append(f'<line x1="{x:.1f}" y1="{row + 6:.1f}" x2="{x + 18:.1f}" y2="{row + 6:.1f}" stroke="{colour}" stroke-dasharray="4 3"/>')
        elif kind == "censor":
            out.append(f'<line x1="{x + 9:.1f}" y1="{row + 1:.1f}" x2="{x + 9:.1f}" y2="{row + 11:.1f}" stroke="{colour}" stroke-width="1.5"/>')
        else:
            out.append(f'<rect x="{x + 2:.1f}" y="{row:.1f}" width="13" height="12" fill="{colour}" stroke="#666" stroke-width="0.5"/>')
        out.append(label_el(x + 24, row + 10, label, "start"))
        width = max(width, 24 + text_width(label))
        row += 18
    return out, width, row - y


def svg(width: float, height: float, body: Sequence[str], title: str, caption: str = "") -> str:
    """A figure: the SVG and a caption below it."""
    cap = f"<figcaption><b>{esc(title)}.</b> {esc(caption)}</figcaption>" if caption else f"<figcaption><b>{esc(title)}.</b></figcaption>"
    return (
        f'<figure><svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{esc(title)}" '
        f'font-family="system-ui,-apple-system,Segoe UI,Roboto,Noto Sans,sans-serif">'
        + "".join(body) + f"</svg>{cap}</figure>"
    )
