"""Geometry of the compliance report's trend chart, drawn as server-side SVG by the template.

Pure: no Django. Values are percentages (0–100) or None (no data: the line breaks there). Each
point lies in the middle of its band, so one point or a hundred fit the same width.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 1000
HEIGHT = 220
MARGIN_LEFT = 44
MARGIN_RIGHT = 12
MARGIN_TOP = 12
MARGIN_BOTTOM = 30
Y_TICKS = (0, 25, 50, 75, 100)
MAX_X_LABELS = 14


@dataclass(frozen=True)
class SeriesInput:
    """One line: its name, colour and marker, a value per bucket and a title per bucket."""

    key: str
    name: str
    color: str
    marker: str  # "circle" | "square" | "diamond"
    values: Sequence[float | None]
    titles: Sequence[str]


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    title: str

    @property
    def square_x(self) -> str:
        """The top-left corner of a 7-pixel square marker around (x, y)."""
        return f"{self.x - 3.5:.1f}"

    @property
    def square_y(self) -> str:
        return f"{self.y - 3.5:.1f}"

    @property
    def diamond(self) -> str:
        """The points of a diamond marker around (x, y)."""
        r = 4.5
        return (
            f"{self.x:.1f},{self.y - r:.1f} {self.x + r:.1f},{self.y:.1f} "
            f"{self.x:.1f},{self.y + r:.1f} {self.x - r:.1f},{self.y:.1f}"
        )


@dataclass(frozen=True)
class ChartSeries:
    key: str
    name: str
    color: str
    marker: str
    segments: list[str]  # polyline "x,y x,y …" of each unbroken run of two or more points
    points: list[ChartPoint]


@dataclass(frozen=True)
class Tick:
    at: float
    label: str

    @property
    def at_text(self) -> str:
        return f"{self.at:.1f}"


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    series: list[ChartSeries]

    @property
    def y_label_x(self) -> float:
        """Where the y axis labels end (right-aligned just left of the plot)."""
        return self.left - 6

    @property
    def x_label_y(self) -> float:
        return self.bottom + 18

    @property
    def has_points(self) -> bool:
        return any(s.points for s in self.series)


def trend_chart(*, labels: Sequence[str], series: Sequence[SeriesInput]) -> TrendChart:
    """Place ``series`` (values per bucket, ``labels`` naming the buckets) on a 0–100 % plot."""
    left, right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
    top, bottom = MARGIN_TOP, HEIGHT - MARGIN_BOTTOM
    count = len(labels)
    band = (right - left) / count if count else 0.0

    def x_of(index: int) -> float:
        return left + (index + 0.5) * band

    def y_of(value: float) -> float:
        return bottom - (bottom - top) * max(0.0, min(100.0, value)) / 100.0

    step = max(1, math.ceil(count / MAX_X_LABELS))
    x_ticks = [Tick(at=x_of(i), label=labels[i]) for i in range(0, count, step)]
    y_ticks = [Tick(at=y_of(value), label=f"{value} %") for value in Y_TICKS]
    placed = []
    for item in series:
        points: list[ChartPoint] = []
        segments: list[str] = []
        run: list[ChartPoint] = []
        for index, value in enumerate(item.values):
            if value is None:
                if len(run) > 1:
                    segments.append(" ".join(f"{p.x:.1f},{p.y:.1f}" for p in run))
                run = []
                continue
            point = ChartPoint(x=x_of(index), y=y_of(value), title=item.titles[index])
            points.append(point)
            run.append(point)
        if len(run) > 1:
            segments.append(" ".join(f"{p.x:.1f},{p.y:.1f}" for p in run))
        placed.append(
            ChartSeries(
                key=item.key,
                name=item.name,
                color=item.color,
                marker=item.marker,
                segments=segments,
                points=points,
            )
        )
    return TrendChart(
        width=WIDTH,
        height=HEIGHT,
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        series=placed,
    )
