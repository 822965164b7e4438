"""The standard benchmark of this project: two splits of MovieLens 100k, every contender, one table.

Splits: a random 80/20 split of the ratings (seed 42), and a per-user time split (each user's last 20% of
ratings by time go to the test set). Contenders: the popularity list, the classic fastai recipe (``bs=64``),
our ``dot`` and ``nn`` defaults ranked by predicted rating, and the site's list: the ``dot`` rating model with
the ranking model ordering the list (what the retrain trains and the site serves). Each contender is a trainer
of the evaluation service, measured by ``evaluation_run``, the code behind ``manage.py evaluate``, so every
metric comes from ``recsys.metrics``. The trainers import torch: only ``manage.py benchmark`` imports this module.
"""

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from ratings.services.movielens import MovieLensError, SourceFiles, movielens_fetch, movielens_read
from recsys.evaluation import U_DATA_COLUMNS, EvaluationError, K, Trainer, evaluation_run
from recsys.evaluation import ratings_read as evaluation_ratings_read
from recsys.params import CLASSIC_RATING, RATING_DEFAULTS, Algorithm, RankingParams, RatingParams
from recsys.splits import split_by_time, split_random
from recsys.trainers import fastai_trainer, popularity_trainer, ranked_trainer

QUICK_EPOCHS = 1
COLUMNS = ("rmse", "mae", f"ndcg@{K}", f"precision@{K}", f"recall@{K}", f"coverage@{K}", "train_seconds")
HEADERS = ("RMSE", "MAE", f"NDCG@{K}", f"P@{K}", f"R@{K}", f"coverage@{K}", "train s")
MARK_START = "<!-- benchmark:start -->"
MARK_END = "<!-- benchmark:end -->"

MARKERS_OUT_OF_ORDER = "{path} has the benchmark end marker before its start marker"


class BenchmarkError(Exception):
    """The data cannot be read, or the benchmark block cannot be written."""


@dataclass(frozen=True)
class Options:
    quick: bool = False  # one epoch per learned model: for smoke tests, not for numbers
    genres: Mapping[int, Sequence[str]] | None = None  # each movie's, by movie id, when the data names them

    def params(self, params: RatingParams) -> RatingParams:
        return replace(params, epochs=QUICK_EPOCHS) if self.quick else params


@dataclass(frozen=True)
class Contender:
    name: str
    trainer: Callable[[Options], Trainer]  # the evaluation service's trainer for this run's options


@dataclass
class Report:
    dataset: str
    n_ratings: int
    options: Options
    # (split, contender, metrics)
    rows: list[tuple[str, str, dict[str, float | int | None]]] = field(default_factory=list)


# --- data and splits ---------------------------------------------------------------------------------------------


Genres = dict[int, tuple[str, ...]]


def ratings_read(path: Path) -> tuple[pd.DataFrame, Genres | None]:
    """A u.data file (read by the evaluation service; no genres), or a MovieLens folder or zip in any importer
    layout (with each movie's genres)."""
    if path.is_file() and path.suffix not in {".zip", ".whl"}:
        try:
            return evaluation_ratings_read(path=path), None
        except EvaluationError as error:
            raise BenchmarkError(str(error)) from error
    return _ratings_from_movielens(path)


def _ratings_from_movielens(source: Path) -> tuple[pd.DataFrame, Genres]:
    try:
        files = SourceFiles(source)
        try:
            data = movielens_read(files=files)
            rows = [(r.user_id, r.movie_id, r.score, int(r.timestamp.timestamp())) for r in data.read_ratings()]
            genres = {movie.movielens_id: movie.genres for movie in data.movies}
        finally:
            files.close()
    except MovieLensError as error:
        raise BenchmarkError(str(error)) from error
    return pd.DataFrame(rows, columns=U_DATA_COLUMNS), genres


def ratings_fetch() -> tuple[pd.DataFrame, Genres, str]:
    """MovieLens 100k through the importer's loader (cached GroupLens zip, download, or the recbole wheel)."""
    try:
        source = movielens_fetch()
    except MovieLensError as error:
        raise BenchmarkError(str(error)) from error
    return *_ratings_from_movielens(source), "MovieLens 100k"


# --- contenders --------------------------------------------------------------------------------------------------


def fastai(params: RatingParams) -> Callable[[Options], Trainer]:
    return lambda options: fastai_trainer(params=options.params(params))


def site_list(params: RatingParams) -> Callable[[Options], Trainer]:
    """The whole retrain: the rating model predicts, the ranking model orders the list."""

    def trainer(options: Options) -> Trainer:
        ranking_params = RankingParams(epochs=QUICK_EPOCHS) if options.quick else None
        return ranked_trainer(params=options.params(params), ranking_params=ranking_params, genres=options.genres)

    return trainer


# One line per contender: a new model is one more line here.
CONTENDERS: tuple[Contender, ...] = (
    Contender("popularity", lambda options: popularity_trainer()),
    Contender("classic (dot, bs=64)", fastai(CLASSIC_RATING)),
    Contender("dot (default)", fastai(RATING_DEFAULTS[Algorithm.DOT])),
    Contender("nn (default)", fastai(RATING_DEFAULTS[Algorithm.NN])),
    Contender("site's list (rating, ranking, signals)", site_list(RATING_DEFAULTS[Algorithm.DOT])),
)


# --- the run and its table ---------------------------------------------------------------------------------------


def benchmark_run(
    *,
    ratings: pd.DataFrame,
    dataset: str,
    options: Options,
    contenders: tuple[Contender, ...] = CONTENDERS,
    progress: Callable[[str], None] | None = None,
) -> Report:
    report = Report(dataset=dataset, n_ratings=len(ratings), options=options)
    for split in (split_random(ratings), split_by_time(ratings)):
        for contender in contenders:
            if progress:
                progress(f"{split.name}: {contender.name} ...")
            result = evaluation_run(train=split.train, test=split.test, trainer=contender.trainer(options), k=K)
            report.rows.append((split.name, contender.name, result.metrics))
    return report


def _cell(column: str, value: float | None) -> str:
    if value is None:
        return "\N{EN DASH}"
    return f"{value:.1f}" if column == "train_seconds" else f"{value:.4f}"


def report_table(report: Report, *, markdown: bool) -> str:
    header = ("split", "model", *HEADERS)
    body = [(split, name, *(_cell(c, metrics.get(c)) for c in COLUMNS)) for split, name, metrics in report.rows]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---", "---"] + ["---:"] * len(COLUMNS)) + "|"]
        return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in body])
    widths = [max(len(str(row[i])) for row in [header, *body]) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in [header, *body]
    )


def report_markdown(report: Report, *, command: str) -> str:
    today = dt.datetime.now(dt.UTC).date().isoformat()
    quick = " **Quick run: one epoch per learned model; not for comparison.**" if report.options.quick else ""
    return "\n".join(
        [
            f"### Standard benchmark ({today})",
            "",
            f"`{command}` on {report.dataset} ({report.n_ratings:,} ratings).{quick}",
            "Random split: 20% of the ratings, seed 42. Time split: each user's last 20% of ratings by time.",
            "Every row goes through the evaluation service (`manage.py evaluate`). RMSE and MAE cover the test pairs "
            "whose user and movie are in the training data (popularity predicts the movie's mean training rating). "
            "Ranking: candidates are the training movies the user has not rated there, relevant are the test movies "
            "rated 4 or more, users with none (or absent from training) are left out, binary NDCG; "
            f"coverage@{K} is the share of the candidate catalogue that appears in at least one top-{K} list.",
            "",
            report_table(report, markdown=True),
        ]
    )


def benchmark_markdown_write(*, path: Path, block: str) -> None:
    """Replace what lies between the benchmark markers of ``path``; add the markers at its end when missing."""
    text = path.read_text() if path.exists() else ""
    start, end = text.find(MARK_START), text.find(MARK_END)
    if start == -1 or end == -1:
        separator = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
        text = f"{text}{separator}{MARK_START}\n{MARK_END}\n"
        start, end = text.find(MARK_START), text.find(MARK_END)
    if end < start:
        raise BenchmarkError(MARKERS_OUT_OF_ORDER.format(path=path))
    head, tail = text[: start + len(MARK_START)], text[end:]
    path.write_text(f"{head}\n{block.strip()}\n{tail}")
