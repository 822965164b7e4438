"""A comparison's page: for each signal, the share of people preferring the candidate and its always-valid interval,
against the half that means "no difference", in hand-written SVG (as insights.online_chart: a viewBox, text kept as
text, a tooltip on each interval).

The shaded band around 50% is the margin within which a difference does not matter: an interval wholly inside it
says "no difference"; wholly right of 50%, the candidate wins; wholly left, the active version does.
"""

from html import escape

from insights.bar_chart import GREY, GRID, svg_text
from insights.online_chart import GREEN, ORANGE
from recommender.comparison_results import VERDICT_WORDS, ComparisonResult, Signal

WIDTH, LEFT, RIGHT = 640, 150, 20
ROW_HEIGHT, TOP, AXIS_HEIGHT = 44, 26, 30
BAND = "#eeeeee"
TICKS = (0.0, 0.25, 0.5, 0.75, 1.0)


def _x(share: float) -> float:
    return LEFT + share * (WIDTH - LEFT - RIGHT)


def _row(signal: Signal, title: str, colour: str, top: float) -> list[str]:
    middle = top + ROW_HEIGHT / 2
    parts = [svg_text(LEFT - 10, middle + 4, title, anchor="end", extra=' font-weight="bold"')]
    low, high = signal.interval_b
    share = signal.share_b
    tooltip = f"{title}: {signal.text}"
    parts.append(
        f'<rect x="{_x(low):.1f}" y="{middle - 6:.1f}" width="{max(_x(high) - _x(low), 1):.1f}" height="12" '
        f'fill="{colour}" fill-opacity="0.35" stroke="{colour}"><title>{escape(tooltip)}</title></rect>'
    )
    if share is not None:
        parts.append(f'<circle cx="{_x(share):.1f}" cy="{middle:.1f}" r="5" fill="{colour}"/>')
    label = VERDICT_WORDS[signal.verdict] if share is None else f"{share:.0%}: {VERDICT_WORDS[signal.verdict]}"
    # Above the row, from the axis's left end: clear of the 50% line and the no-difference band.
    parts.append(svg_text(_x(0.0), top + 8, label, anchor="start"))
    return parts


def comparison_chart(result: ComparisonResult, *, margin: float | None) -> str:
    """Openings and likes, one row each, on the share (0 to 100%) of the people preferring one version who prefer
    the candidate."""
    rows = ((result.clicks, "Openings", ORANGE), (result.likes, "Likes (4+ stars)", GREEN))
    height = TOP + ROW_HEIGHT * len(rows) + AXIS_HEIGHT
    bottom = TOP + ROW_HEIGHT * len(rows)
    parts = [svg_text(LEFT, 14, "Share of people preferring the candidate, with its 95% interval", anchor="start")]
    if margin is not None:
        parts.append(
            f'<rect x="{_x(0.5 - margin):.1f}" y="{TOP}" width="{_x(0.5 + margin) - _x(0.5 - margin):.1f}" '
            f'height="{bottom - TOP}" fill="{BAND}"><title>within {margin:.0%} of a half: no difference that '
            "matters</title></rect>"
        )
    for tick in TICKS:
        x = _x(tick)
        stroke = GREY if tick == 0.5 else GRID
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{bottom}" stroke="{stroke}"/>')
        parts.append(svg_text(x, bottom + 16, f"{tick:.0%}", extra=' class="tick"'))
    parts.append(svg_text(_x(0.0), bottom + 28, "active version preferred", anchor="start"))
    parts.append(svg_text(_x(1.0), bottom + 28, "candidate preferred", anchor="end"))
    for index, (signal, title, colour) in enumerate(rows):
        parts.extend(_row(signal, title, colour, TOP + index * ROW_HEIGHT))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height + 4}" '
        f'font-family="sans-serif" font-size="11" fill="{GREY}">' + "".join(parts) + "</svg>"
    )
