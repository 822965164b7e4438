"""A version's online chart: well-formed SVG, a panel per measure titled with its figure over the period, a bar
per day with lists (tooltips with the day, value and lists), days without lists left empty, and a note without
any list."""

import datetime as dt
import xml.etree.ElementTree as ET

from feedback.metrics import OnlineCounts, OnlineMetrics
from insights.online_chart import MEASURES, online_chart

SVG = "{http://www.w3.org/2000/svg}"
FIRST = dt.date(2026, 3, 1)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 (our own output, not untrusted XML)


def metrics() -> OnlineMetrics:
    """Lists on 1 and 3 March (none on the 2nd): 4 lists, one opened; then 1 list, opened."""
    days = [(FIRST, OnlineCounts(4, 1, movies=10)), (FIRST + dt.timedelta(days=2), OnlineCounts(1, 1, movies=5))]
    return OnlineMetrics(version_id=1, catalogue=20, days=days, total=OnlineCounts(5, 2, movies=12))


def test_each_measure_is_a_panel_titled_with_the_periods_figure() -> None:
    """Lists shown 5, click-through 40%, coverage 12 of 20 movies; rates that never happened are 0.0%."""
    titles = [t.text for t in parse(online_chart(metrics())).iter(f"{SVG}text") if t.get("font-weight") == "bold"]
    assert len(titles) == len(MEASURES)
    assert titles[:2] == ["Lists shown: 5", "Click-through at 10: 40.0%"]
    assert "Not interested at 10: 0.0%" in titles and titles[-1] == "Coverage of the catalogue: 60.0%"


def test_a_bar_per_day_with_lists_and_a_tooltip() -> None:
    """The click-through panel: bars for 1 and 3 March only, each saying its share and lists."""
    tooltips = [rect.find(f"{SVG}title").text for rect in parse(online_chart(metrics())).iter(f"{SVG}rect")]
    assert "2026-03-01: 25.0% of 4 lists" in tooltips and "2026-03-03: 100.0% of 1 list" in tooltips
    assert not any(tip.startswith("2026-03-02") for tip in tooltips)
    assert "2026-03-01: 4" in tooltips  # the lists panel counts


def test_the_day_axis_runs_from_the_first_day_to_the_last() -> None:
    """Every panel's axis is labelled with both ends of the period."""
    labels = [t.text for t in parse(online_chart(metrics())).iter(f"{SVG}text") if t.get("class") == "tick"]
    assert labels.count("01 Mar 2026") == labels.count("03 Mar 2026") == len(MEASURES)


def test_without_lists_the_chart_says_so() -> None:
    """No day: one line of text, no bar."""
    svg = parse(online_chart(OnlineMetrics(version_id=1, catalogue=20)))
    assert [t.text for t in svg.iter(f"{SVG}text")] == ["no list of this version was shown in this period"]
    assert svg.get("viewBox") and not list(svg.iter(f"{SVG}rect"))
