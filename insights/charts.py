"""Charts of the Model section, drawn server-side with matplotlib into inline SVG (no pyplot, no torch).

Each function takes plain numbers from the selectors and returns an ``<svg>`` element as a string. Text stays
text in the SVG (``svg.fonttype: none``), so titles are searchable and the page stays small; ids are prefixed
per chart so that several charts can live inline on one page.
"""

import io
import re
from collections.abc import Sequence
from typing import Any

import matplotlib
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.typing import RcKeyType

from insights.selectors import FactorMap, PredictionSummary
from recommender.models import ModelVersion

# No display and no GUI toolkit in a web or worker process.
matplotlib.use("Agg")

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
BLUE, ORANGE, GREEN, VERMILION, GREY = "#0072B2", "#E69F00", "#009E73", "#D55E00", "#777777"
MAP_LABEL_LENGTH = 28

_STYLE: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",
    "text.parse_math": False,  # a "$" in a movie title is a dollar, not TeX
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
}


def _svg(figure: Figure, *, name: str) -> str:
    buffer = io.StringIO()
    with matplotlib.rc_context({**_STYLE, "svg.hashsalt": name}):  # the salt makes the hashed ids stable
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return _prefix_ids(text[text.index("<svg") :], name)


def _prefix_ids(svg: str, prefix: str) -> str:
    """Matplotlib numbers its ids from 1 in every figure ("figure_1", "patch_1"); prefix them with the chart's
    name, and every reference to them, so that several charts inline on one page never share an id."""
    ids = set(re.findall(r'\bid="([^"]+)"', svg))
    return re.sub(
        r'(\bid="|href="#|url\(#)([^")]+)',
        lambda match: match[1] + (f"{prefix}-{match[2]}" if match[2] in ids else match[2]),
        svg,
    )


def _figure(width: float, height: float, rows: int = 1) -> tuple[Figure, list[Axes]]:
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(width, height), layout="constrained")
        axes = figure.subplots(rows, 1, squeeze=False)[:, 0].tolist()
    return figure, axes


def history_chart(versions: Sequence[ModelVersion]) -> str:
    """Validation RMSE and NDCG@10 of every version that has metrics, oldest first; the active one starred."""
    measured = sorted((v for v in versions if v.metrics.get("rmse") is not None), key=lambda v: (v.created_at, v.pk))
    figure, (rmse_axes, ndcg_axes) = _figure(8, 4.6, rows=2)
    positions = list(range(len(measured)))
    labels = [f"v{v.pk}\n{v.created_at:%m-%d %H:%M}" for v in measured]
    for axes, key, colour, title in (
        (rmse_axes, "rmse", BLUE, "Validation RMSE (lower is better)"),
        (ndcg_axes, "ndcg@10", ORANGE, "NDCG@10 (higher is better)"),
    ):
        values = [v.metrics.get(key) for v in measured]
        points = [(p, value) for p, value in zip(positions, values, strict=True) if value is not None]
        if points:
            axes.plot(*zip(*points, strict=True), marker="o", color=colour)
        for position, version, value in zip(positions, measured, values, strict=True):
            if value is not None and version.status == ModelVersion.Status.ACTIVE:
                axes.plot([position], [value], marker="*", markersize=16, color=GREEN, label="active", zorder=3)
            if value is not None and version.status == ModelVersion.Status.REJECTED:
                axes.plot([position], [value], marker="x", markersize=9, color=VERMILION, label="rejected")
        axes.set_title(title, loc="left")
        axes.set_xticks(positions, labels if axes is ndcg_axes else [""] * len(positions))
        handles, names = axes.get_legend_handles_labels()
        if names:
            unique = dict(zip(names, handles, strict=True))
            axes.legend(unique.values(), unique.keys(), loc="best", frameon=False)
    if not measured:
        rmse_axes.text(0.5, 0.5, "no version with metrics yet", ha="center", transform=rmse_axes.transAxes)
    return _svg(figure, name="history")


def loss_chart(epoch_losses: Sequence[dict[str, Any]]) -> str:
    """Train and validation loss per epoch."""
    figure, (axes,) = _figure(7, 3.4)
    epochs = [row["epoch"] for row in epoch_losses]
    for key, colour, label in (("train_loss", BLUE, "train loss"), ("valid_loss", ORANGE, "validation loss")):
        points = [(e, row[key]) for e, row in zip(epochs, epoch_losses, strict=True) if row.get(key) is not None]
        if points:
            axes.plot(*zip(*points, strict=True), marker="o", color=colour, label=label)
    axes.set_xlabel("epoch")
    axes.set_ylabel("loss (MSE)")
    if epochs:
        axes.set_xticks(epochs)
        axes.legend(frameon=False)
    else:
        axes.text(0.5, 0.5, "no per-epoch losses recorded", ha="center", transform=axes.transAxes)
    return _svg(figure, name="losses")


def factor_map_chart(factor_map: FactorMap) -> str:
    """The PCA map of movie factors, each point labelled with its (shortened) title."""
    figure, (axes,) = _figure(9, 7)
    xs = [p.x for p in factor_map.points]
    ys = [p.y for p in factor_map.points]
    axes.scatter(xs, ys, s=14, color=BLUE)
    for point in factor_map.points:
        label = point.title if len(point.title) <= MAP_LABEL_LENGTH else point.title[: MAP_LABEL_LENGTH - 1] + "…"
        axes.annotate(label, (point.x, point.y), xytext=(3, 3), textcoords="offset points", fontsize=7)
    first, second = factor_map.explained
    axes.set_xlabel(f"first principal component ({first:.0%} of variance)")
    axes.set_ylabel(f"second principal component ({second:.0%} of variance)")
    return _svg(figure, name="factor-map")


def prediction_chart(summary: PredictionSummary, actual: dict[float, int]) -> str:
    """Predicted ratings as a histogram (left axis), actual ratings as dots at their scores (right axis).

    Two axes, because the two are not alike: predictions are continuous, ratings are whole (MovieLens) or half
    stars (the site), and a shared density scale would draw half stars that MovieLens never had as dips.
    """
    figure, (axes,) = _figure(7, 3.4)
    total = sum(summary.counts) or 1
    widths = [b - a for a, b in zip(summary.edges, summary.edges[1:], strict=False)]
    shares = [c / total for c in summary.counts]
    handles: list[Artist | BarContainer] = [
        axes.bar(summary.edges[:-1], shares, width=widths, align="edge", color=BLUE, alpha=0.75)
    ]
    labels = ["predicted (share per bin, left)"]
    handles.append(axes.axvline(summary.mean, color=GREY, linestyle="--"))
    labels.append(f"predicted mean {summary.mean:.2f}")
    axes.set_xlabel("rating")
    axes.set_ylabel("share of predictions")
    n_actual = sum(actual.values())
    if n_actual:
        scores = sorted(actual)
        right = axes.twinx()
        right.grid(False)
        right.spines["right"].set_visible(True)
        right.spines["top"].set_visible(False)
        handles.append(right.plot(scores, [actual[s] / n_actual for s in scores], "o", color=ORANGE)[0])
        labels.append("actual ratings (share per score, right)")
        right.set_ylabel("share of actual ratings")
        right.set_ylim(bottom=0)
    axes.legend(handles, labels, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    return _svg(figure, name="predictions")
