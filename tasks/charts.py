"""Geometry for the dashboard's server-side SVG charts (no JavaScript, no CDN, printable).

Only drawing positions are computed here; every figure a chart labels comes from :mod:`tasks.progress`.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from landtrack.numbers import rate_2

from .choices import DEFAULT_MILESTONES

HUNDRED = Decimal("100")


@dataclass
class Bar:
    """A completion bar: the fill for the rate, and a tick for each milestone rate."""

    width: int
    fill: float
    ticks: list  # [(x, label)]
    status: str


def completion_bar(progress, width=220):
    # The scale reaches 100 %, or further when a county has gone past it.
    scale = max(HUNDRED, progress.completion_rate)
    fill = float(progress.completion_rate / scale) * width
    ticks = [(float(m.target_rate / scale) * width, f"{rate_2(m.target_rate)}%") for m in progress.milestones]
    return Bar(
        width=width,
        fill=round(fill, 1),
        ticks=[(round(x, 1), label) for x, label in ticks],
        status=progress.status,
    )


@dataclass
class Curve:
    width: int
    height: int
    actual: str  # SVG polyline points of the cumulative completion
    required: str  # SVG polyline points of the milestone line (a step line)
    x_labels: list  # [(x, label)]
    y_labels: list  # [(y, label)]
    points: list  # [(x, y, date, area)] for the markers
    margin_left: int
    margin_bottom: int


def completion_curve(progress, width=640, height=260):
    """Cumulative completed area by month against the milestone line, in 亩."""
    task = progress.task
    left, right, top, bottom = 56, 16, 12, 28
    start, end = task.start_date, task.end_date
    span = max((end - start).days, 1)
    top_area = max(
        [progress.target_area_mu, progress.completed_area_mu] + [area for _, area in (progress.monthly or [])]
    )
    top_area = top_area or Decimal("1")

    def x(day):
        return round(left + (day - start).days / span * (width - left - right), 1)

    def y(area):
        return round(top + (1 - float(area / top_area)) * (height - top - bottom), 1)

    actual = [(x(start), y(0))] + [(x(day), y(area)) for day, area in (progress.monthly or [])]
    required = [(x(start), y(0))]
    level = Decimal(0)
    for milestone in progress.milestones:
        required.append((x(milestone.due), y(level)))
        level = milestone.target_area_mu
        required.append((x(milestone.due), y(level)))
    required.append((x(end), y(level)))
    x_labels = []
    day = start.replace(day=1)
    while day <= end:
        x_labels.append((x(max(day, start)), f"{day.month}月"))
        day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    y_labels = [(y(top_area * Decimal(share) / 4), top_area * Decimal(share) / 4) for share in range(5)]
    return Curve(
        width=width,
        height=height,
        actual=" ".join(f"{px},{py}" for px, py in actual),
        required=" ".join(f"{px},{py}" for px, py in required),
        x_labels=x_labels,
        y_labels=y_labels,
        points=[(x(day), y(area), day, area) for day, area in (progress.monthly or [])],
        margin_left=left,
        margin_bottom=height - bottom,
    )


def default_rates():
    """The notice's milestone rates, for the legend."""
    return [rate for _, _, rate in DEFAULT_MILESTONES]
