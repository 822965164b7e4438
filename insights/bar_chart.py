"""The data page's ratings-over-time chart, written as SVG by hand: bars and ticks need no plotting library, and
without matplotlib's import (about a second) and layout the page draws in milliseconds on its first visit.

The SVG scales to its container (a viewBox, no fixed size); text stays text; each bar has a tooltip.
"""

import datetime as dt
from html import escape

from insights.bins import Bins, Unit

# Okabe-Ito, as the other charts.
BLUE, ORANGE, GREY, GRID = "#0072B2", "#E69F00", "#555555", "#dddddd"
WIDTH = 760
LEFT, RIGHT = 58, 12  # room for the count labels; the last tick label's overhang
TITLE_HEIGHT, PLOT_HEIGHT, TICK_HEIGHT = 24, 130, 30
PANEL_HEIGHT = TITLE_HEIGHT + PLOT_HEIGHT + TICK_HEIGHT
BAR_SHARE = 0.8  # of a bar's slot; the rest is the gap between bars
NICE_STEPS = (1, 2, 2.5, 5)
Y_TICKS = 4


def count_step(highest: int) -> int:
    """A round step (1, 2, 2.5 or 5 times a power of ten, whole) giving about Y_TICKS gridlines up to highest."""
    magnitude = 1
    while True:
        for nice in NICE_STEPS:
            step = int(nice * magnitude)
            if step and step * Y_TICKS >= highest:
                return step
        magnitude *= 10


def _bar_label(start: dt.date, unit: Unit) -> str:
    if unit is Unit.MONTH:
        return f"{start:%B %Y}"
    return ("week of " if unit is Unit.WEEK else "") + f"{start.day} {start:%b %Y}"


def _ratings(n: int) -> str:
    return f"{n:,} rating{'' if n == 1 else 's'}"


def svg_text(x: float, y: float, content: str, *, anchor: str = "middle", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{escape(content)}</text>'


def _panel(bins: Bins, title: str, colour: str, top: float) -> list[str]:
    plot_top, plot_width = top + TITLE_HEIGHT, WIDTH - LEFT - RIGHT
    bottom = plot_top + PLOT_HEIGHT
    heading = f"{title}: {_ratings(bins.total)}" + (f", per {bins.unit}" if bins.starts else "")
    parts = [svg_text(0, top + 14, heading, anchor="start", extra=' font-weight="bold"')]
    if not bins.starts:
        parts.append(svg_text(LEFT + plot_width / 2, plot_top + PLOT_HEIGHT / 2, "no ratings"))
        return parts
    step = count_step(max(bins.counts))
    ceiling = step * -(-max(max(bins.counts), 1) // step)
    for value in range(0, ceiling + 1, step):
        y = bottom - value / ceiling * PLOT_HEIGHT
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(svg_text(LEFT - 6, y + 4, f"{value:,}", anchor="end"))
    parts.append(svg_text(12, plot_top + PLOT_HEIGHT / 2, f"ratings per {bins.unit}", extra=_rotated(12, plot_top)))
    slot = plot_width / len(bins.starts)
    for i, (start, count) in enumerate(zip(bins.starts, bins.counts, strict=True)):
        if count:
            height = count / ceiling * PLOT_HEIGHT
            x = LEFT + i * slot + slot * (1 - BAR_SHARE) / 2
            tooltip = f"{_bar_label(start, bins.unit)}: {_ratings(count)}"
            parts.append(
                f'<rect class="bar" x="{x:.2f}" y="{bottom - height:.2f}" width="{max(slot * BAR_SHARE, 1):.2f}" '
                f'height="{height:.2f}" fill="{colour}"><title>{escape(tooltip)}</title></rect>'
            )
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{bottom}" y2="{bottom}" stroke="{GREY}"/>')
    for tick in bins.ticks:
        x = LEFT + (tick.index + 0.5) * slot
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{bottom}" y2="{bottom + 4}" stroke="{GREY}"/>')
        parts.append(svg_text(x, bottom + 17, tick.label, extra=' class="tick"'))
    return parts


def _rotated(x: float, plot_top: float) -> str:
    return f' transform="rotate(-90 {x} {plot_top + PLOT_HEIGHT / 2:.1f})"'


def ratings_over_time_chart(movielens: Bins, site: Bins) -> str:
    """MovieLens raters and site users in two panels, each on its own scale (their dates are decades apart)."""
    parts = [
        *_panel(movielens, "MovieLens raters", BLUE, 0),
        *_panel(site, "Site users", ORANGE, PANEL_HEIGHT),
    ]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {2 * PANEL_HEIGHT}" '
        f'font-family="sans-serif" font-size="11" fill="{GREY}">' + "".join(parts) + "</svg>"
    )
