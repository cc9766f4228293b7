"""Server-drawn SVG charts: geometry computed here, drawn by templates/macros/charts.html,
so a chart prints and renders in a PDF without JavaScript."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Bar:
    label: str
    value: float
    text: str
    x: float
    y: float
    width: float
    height: float


@dataclass
class BarChart:
    bars: list[Bar]
    width: int
    height: int
    #: the baseline's y and the label row's y
    base: float
    label_y: float


def bar_chart(rows: list[tuple[str, float, str]], width: int = 720, height: int = 240) -> BarChart:
    """(label, value, value as text) per bar, at most 24 bars; negative values draw as zero."""
    rows = rows[:24]
    top, bottom = 22, 40
    plot = height - top - bottom
    peak = max((value for _l, value, _t in rows), default=0) or 1
    slot = width / max(len(rows), 1)
    bars = []
    for index, (label, value, text) in enumerate(rows):
        bar_height = max(value, 0) / peak * plot
        bars.append(Bar(label=label, value=value, text=text, x=round(index * slot + slot * 0.15, 1),
                        y=round(top + plot - bar_height, 1), width=round(slot * 0.7, 1),
                        height=round(bar_height, 1)))
    return BarChart(bars=bars, width=width, height=height, base=top + plot, label_y=height - bottom + 16)
