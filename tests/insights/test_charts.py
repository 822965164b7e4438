"""Server-side charts: well-formed inline SVG, stable from one rendering to the next, titles kept as text."""

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from insights import charts
from insights.selectors import FactorMap, MapPoint, PredictionSummary

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 (our own output, not untrusted XML)


def texts(svg: str) -> list[str]:
    return [element.text or "" for element in parse(svg).iter(f"{SVG}text")]


def test_factor_map_is_well_formed_svg_with_each_title_as_text() -> None:
    """Titles with XML and TeX characters stay literal text in a parseable <svg> element."""
    factor_map = FactorMap(
        points=[
            MapPoint(movie_id=1, title="Pride & Prejudice", n_ratings=9, x=0.5, y=-0.2),
            MapPoint(movie_id=2, title="$9.99 <Director's cut>", n_ratings=8, x=-0.4, y=0.1),
        ],
        explained=(0.4, 0.2),
    )
    svg = charts.factor_map_chart(factor_map)
    assert svg.startswith("<svg")
    labels = texts(svg)
    assert "Pride & Prejudice" in labels
    assert "$9.99 <Director's cut>" in labels
    assert any("40% of variance" in label for label in labels)


def test_a_chart_is_identical_on_every_rendering() -> None:
    """The same numbers draw the same bytes, so a cached chart and a fresh one cannot differ."""
    losses = [{"epoch": 1, "train_loss": 1.2, "valid_loss": 1.0}, {"epoch": 2, "train_loss": 0.8, "valid_loss": 0.9}]
    assert charts.loss_chart(losses) == charts.loss_chart(losses)


def test_charts_can_share_one_page_without_clashing_ids() -> None:
    """Two different charts inline on one page define no element id twice."""
    losses = [{"epoch": 1, "train_loss": 1.2, "valid_loss": 1.0}]
    summary = PredictionSummary(
        n_pairs=4,
        n_predictions=4,
        counts=[1, 3],
        edges=[0.0, 2.75, 5.5],
        mean=3.1,
        p5=1,
        median=3,
        p95=5,
        share_4_plus=0.5,
    )
    ids = []
    for svg in (charts.loss_chart(losses), charts.prediction_chart(summary, {4.0: 3, 5.0: 1})):
        ids += [element.get("id") for element in parse(svg).iter() if element.get("id")]
    assert len(ids) == len(set(ids))


def test_empty_data_draws_a_chart_that_says_so() -> None:
    """With no versions, the charts still render and say there is nothing yet."""
    assert "no version with metrics yet" in texts(charts.history_chart([]))
    assert "no per-epoch losses recorded" in texts(charts.loss_chart([]))


def test_the_model_pages_never_import_torch() -> None:
    """Loading the Model section's views, selectors and charts leaves torch and fastai out of the web process."""
    code = (
        "import django, sys; django.setup(); import insights.views, insights.urls; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'torch', 'fastai'}); print(bad); "
        "sys.exit(1 if bad else 0)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "movierec_site.settings.test"}
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
