"""A version's page: how people responded to its lists, day by day, as small multiples in hand-written SVG.

One panel per measure (the lists shown, then each rate of feedback.metrics), side by side on a shared day axis
from the first day with lists to the last, each on its own scale and titled with its figure over the period; a
bar's tooltip says its day, value and number of lists. Written as the data page's chart (insights.bar_chart):
no plotting library, a viewBox, text kept as text.
"""

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from feedback.metrics import AT, OnlineCounts, OnlineMetrics
from insights.bar_chart import BLUE, GREY, GRID, count_step, svg_text

ORANGE, SKY, GREEN, RED, PURPLE = "#E69F00", "#56B4E9", "#009E73", "#D55E00", "#CC79A7"
COLUMNS, PANEL_WIDTH, GAP = 2, 370, 20
LEFT, RIGHT = 44, 8
TITLE_HEIGHT, PLOT_HEIGHT, TICK_HEIGHT = 22, 80, 26
PANEL_HEIGHT = TITLE_HEIGHT + PLOT_HEIGHT + TICK_HEIGHT
BAR_SHARE = 0.8
Y_TICKS = 2


@dataclass(frozen=True)
class Measure:
    title: str
    colour: str
    value: Callable[[OnlineMetrics, OnlineCounts], float | None]
    percent: bool = True


MEASURES = (
    Measure("Lists shown", BLUE, lambda m, c: float(c.lists), percent=False),
    Measure(f"Click-through at {AT}", ORANGE, lambda m, c: c.click_through),
    Measure(f"Rated from the list at {AT}", SKY, lambda m, c: c.rated_share),
    Measure(f"Liked (4 stars or more) at {AT}", GREEN, lambda m, c: c.liked_share),
    Measure(f"Put on the watchlist at {AT}", PURPLE, lambda m, c: c.watchlist_share),
    Measure(f"Not interested at {AT}", RED, lambda m, c: c.hidden_share),
    Measure("Coverage of the catalogue", GREY, lambda m, c: m.coverage(c)),
)


def figure(measure: Measure, value: float | None) -> str:
    """How a measure's value is written: 23.4% or 1,234; a dash without lists."""
    if value is None:
        return "\N{EN DASH}"
    return f"{value:.1%}" if measure.percent else f"{value:,.0f}"


def _panel(measure: Measure, metrics: OnlineMetrics, span: list[dt.date], left: float, top: float) -> list[str]:
    heading = f"{measure.title}: {figure(measure, measure.value(metrics, metrics.total))}"
    parts = [svg_text(left, top + 14, heading, anchor="start", extra=' font-weight="bold"')]
    plot_left, plot_width = left + LEFT, PANEL_WIDTH - LEFT - RIGHT
    plot_top = top + TITLE_HEIGHT
    bottom = plot_top + PLOT_HEIGHT
    by_day = {day: (measure.value(metrics, counts), counts.lists) for day, counts in metrics.days}
    scale = 100 if measure.percent else 1  # a percent axis is stepped in whole percents
    highest = max((value or 0.0) * scale for value, _ in by_day.values())
    step = count_step(max(1, math.ceil(highest)))
    ceiling = step * max(1, math.ceil(highest / step))
    for tick in range(0, ceiling + 1, step * max(1, ceiling // step // Y_TICKS)):
        y = bottom - tick / ceiling * PLOT_HEIGHT
        parts.append(
            f'<line x1="{plot_left}" x2="{plot_left + plot_width}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
        )
        parts.append(svg_text(plot_left - 5, y + 4, f"{tick:,}%" if measure.percent else f"{tick:,}", anchor="end"))
    slot = plot_width / len(span)
    for index, day in enumerate(span):
        value, lists = by_day.get(day, (None, 0))
        if not value:
            continue
        height = value * scale / ceiling * PLOT_HEIGHT
        x = plot_left + index * slot + slot * (1 - BAR_SHARE) / 2
        of_lists = f" of {lists:,} list{'' if lists == 1 else 's'}" if measure.percent else ""
        tooltip = f"{day:%Y-%m-%d}: {figure(measure, value)}{of_lists}"
        parts.append(
            f'<rect class="bar" x="{x:.2f}" y="{bottom - height:.2f}" width="{max(slot * BAR_SHARE, 1):.2f}" '
            f'height="{height:.2f}" fill="{measure.colour}"><title>{escape(tooltip)}</title></rect>'
        )
    parts.append(f'<line x1="{plot_left}" x2="{plot_left + plot_width}" y1="{bottom}" y2="{bottom}" stroke="{GREY}"/>')
    ends = [(0, "start"), (len(span) - 1, "end")] if len(span) > 1 else [(0, "middle")]
    for index, anchor in ends:
        x = plot_left + (index + 0.5) * slot if anchor == "middle" else plot_left + (index + (anchor == "end")) * slot
        parts.append(svg_text(x, bottom + 16, f"{span[index]:%d %b %Y}", anchor=anchor, extra=' class="tick"'))
    return parts


def online_chart(metrics: OnlineMetrics) -> str:
    """Every measure of ``metrics`` by day, a panel each; a note instead when no list of the version was shown."""
    rows = math.ceil(len(MEASURES) / COLUMNS)
    width = COLUMNS * PANEL_WIDTH + (COLUMNS - 1) * GAP
    if not metrics.days:
        body = svg_text(width / 2, 30, "no list of this version was shown in this period")
        height = 50
    else:
        first, last = metrics.days[0][0], metrics.days[-1][0]
        span = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
        panels = [
            part
            for i, measure in enumerate(MEASURES)
            for part in _panel(
                measure, metrics, span, (i % COLUMNS) * (PANEL_WIDTH + GAP), (i // COLUMNS) * PANEL_HEIGHT
            )
        ]
        body, height = "".join(panels), rows * PANEL_HEIGHT
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'font-family="sans-serif" font-size="11" fill="{GREY}">{body}</svg>'
    )
