"""The data page's ratings-over-time chart: well-formed SVG whose text says the totals, units and dates, one bar per
counted period, and nothing of matplotlib."""

import datetime as dt
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from insights.bar_chart import ratings_over_time_chart
from insights.bins import ratings_binned
from insights.selectors import DailyCounts

SVG = "{http://www.w3.org/2000/svg}"
EMPTY = ratings_binned(DailyCounts(days=[], counts=[]))


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 (our own output, not untrusted XML)


def texts(svg: str) -> list[str]:
    return [element.text or "" for element in parse(svg).iter(f"{SVG}text")]


def test_panels_are_titled_with_their_totals_and_unit() -> None:
    """Each panel's title gives its number of ratings and what a bar counts."""
    movielens = ratings_binned(DailyCounts(days=[dt.date(1997, 9, 20), dt.date(1998, 4, 22)], counts=[1200, 34]))
    site = ratings_binned(DailyCounts(days=[dt.date(2026, 1, 2)], counts=[5]))
    labels = texts(ratings_over_time_chart(movielens, site))
    assert "MovieLens raters: 1,234 ratings, per week" in labels
    assert "Site users: 5 ratings, per day" in labels
    assert "2 Jan 2026" in labels


def test_one_bar_per_period_with_ratings_each_with_a_tooltip() -> None:
    """A bar for each day that has ratings, none for the empty ones; a bar's tooltip says its date and count."""
    site = ratings_binned(DailyCounts(days=[dt.date(2026, 1, 2), dt.date(2026, 1, 5)], counts=[5, 1]))
    bars = list(parse(ratings_over_time_chart(EMPTY, site)).iter(f"{SVG}rect"))
    assert [bar.find(f"{SVG}title").text for bar in bars] == ["2 Jan 2026: 5 ratings", "5 Jan 2026: 1 rating"]


def test_no_ratings_say_so() -> None:
    """With no ratings at all, both panels say so."""
    assert texts(ratings_over_time_chart(EMPTY, EMPTY)).count("no ratings") == 2


def test_the_chart_is_well_formed_and_scales() -> None:
    """The chart is parseable XML (no stray markup), and scales with its container (a viewBox, no fixed size)."""
    root = parse(ratings_over_time_chart(EMPTY, EMPTY))
    assert root.get("viewBox") and root.get("width") is None


def test_the_data_page_draws_without_matplotlib() -> None:
    """Drawing the chart and its bins imports no plotting library: the page's first visit does not pay for it."""
    code = (
        "import datetime as dt, sys; from insights.bins import ratings_binned; "
        "from insights.bar_chart import ratings_over_time_chart; from insights.selectors import DailyCounts; "
        "b = ratings_binned(DailyCounts(days=[dt.date(2026, 1, 2)], counts=[1])); ratings_over_time_chart(b, b); "
        "sys.exit(1 if 'matplotlib' in sys.modules else 0)"
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "movierec_site.settings.test"}
    code = "import django; django.setup(); " + code
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
