"""`manage.py benchmark`: the splits, the popularity contender, every row and column, and BENCHMARKS.md."""

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from insights import benchmark
from insights.benchmark import MARK_END, MARK_START, Options
from recsys.evaluation import evaluation_run

N_USERS, N_MOVIES = 40, 30


def synthetic_ratings(seed: int = 3) -> pd.DataFrame:
    """40 users x 30 movies with a low-rank taste structure; each user rates 12 to 24 movies at distinct times."""
    rng = np.random.default_rng(seed)
    users, movies = rng.normal(size=(N_USERS, 2)), rng.normal(size=(N_MOVIES, 2))
    rows = []
    for user in range(N_USERS):
        rated = rng.choice(N_MOVIES, size=rng.integers(12, 25), replace=False)
        for step, movie in enumerate(rated):
            score = np.clip(np.round(3 + users[user] @ movies[movie] + rng.normal(0, 0.3)), 1, 5)
            rows.append((user + 1, int(movie) + 1, float(score), 880_000_000 + 1000 * user + 10 * step))
    return pd.DataFrame(rows, columns=benchmark.U_DATA_COLUMNS)


def test_popularity_row_recommends_the_most_rated_unseen_movies_and_predicts_movie_means() -> None:
    """The popularity row ranks training movies by count, skips what the user rated, predicts movie means."""
    train = pd.DataFrame(
        [(1, 10, 5.0, 1), (2, 10, 3.0, 2), (3, 10, 4.0, 3), (1, 20, 2.0, 4), (2, 20, 4.0, 5), (3, 30, 1.0, 6)],
        columns=benchmark.U_DATA_COLUMNS,
    )
    test = pd.DataFrame([(3, 20, 5.0, 7), (1, 30, 1.0, 8)], columns=benchmark.U_DATA_COLUMNS)
    popularity = next(c for c in benchmark.CONTENDERS if c.name == "popularity")
    metrics = evaluation_run(train=train, test=test, trainer=popularity.trainer(Options())).metrics

    # Predictions: movie 20 has mean 3.0 (actual 5), movie 30 mean 1.0 (actual 1).
    assert metrics["rmse"] == pytest.approx(np.sqrt((2.0**2 + 0.0**2) / 2))
    assert metrics["mae"] == pytest.approx(1.0)
    # User 3 rated 10 and 30 in training: its list is [20], a hit at rank 1 (its one relevant movie).
    # User 1 has no relevant test movie and is left out of the ranking metrics; its list is [30].
    assert metrics["ndcg@10"] == pytest.approx(1.0)
    assert metrics["recall@10"] == pytest.approx(1.0)
    assert metrics["precision@10"] == pytest.approx(0.1)
    assert metrics["coverage@10"] == pytest.approx(2 / 3)  # movies 20 and 30 of the 3 in training


def test_markdown_block_replaces_only_what_lies_between_the_markers(tmp_path: Path) -> None:
    """Writing twice keeps the text around the markers and leaves one block, the latest."""
    path = tmp_path / "BENCHMARKS.md"
    path.write_text(f"# Benchmarks\n\nBefore.\n\n{MARK_START}\nold table\n{MARK_END}\n\nAfter.\n")
    benchmark.benchmark_markdown_write(path=path, block="new table")
    benchmark.benchmark_markdown_write(path=path, block="newer table")
    text = path.read_text()
    assert text == f"# Benchmarks\n\nBefore.\n\n{MARK_START}\nnewer table\n{MARK_END}\n\nAfter.\n"


def test_markdown_markers_are_added_at_the_end_when_missing(tmp_path: Path) -> None:
    """A file without markers gets them, with the block, after its existing text."""
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\nTraining speed: 12x.\n")
    benchmark.benchmark_markdown_write(path=path, block="the table")
    assert path.read_text() == f"# Benchmarks\n\nTraining speed: 12x.\n\n{MARK_START}\nthe table\n{MARK_END}\n"


def test_unreadable_data_is_refused_with_a_message_naming_the_file(tmp_path: Path) -> None:
    """--data that is not in the u.data layout stops the command with an error naming the file."""
    path = tmp_path / "ratings.csv"
    path.write_text("user,movie,rating\n1,2,3\n")
    with pytest.raises(CommandError, match=r"is not in the u\.data layout"):
        call_command("benchmark", "--data", str(path), stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.django_db
def test_benchmark_on_a_small_dataset_produces_every_row_and_column(tmp_path: Path) -> None:
    """Both splits x every contender, each with all seven numbers, in the printed table and in the markdown."""
    data = tmp_path / "u.data"
    synthetic_ratings().to_csv(data, sep="\t", header=False, index=False)
    markdown = tmp_path / "BENCHMARKS.md"
    out = io.StringIO()
    call_command(
        "benchmark", "--data", str(data), "--quick", "--markdown", str(markdown), stdout=out, stderr=io.StringIO()
    )

    printed = out.getvalue().splitlines()
    header = next(line for line in printed if line.startswith("split"))
    for column in benchmark.HEADERS:
        assert column in header
    table = markdown.read_text().split(MARK_START)[1].split(MARK_END)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| split")]
    assert len(rows) == 2 * len(benchmark.CONTENDERS)
    for split_name in ("random", "per-user time"):
        names = [row.split(" | ")[1] for row in rows if row.startswith(f"| {split_name}")]
        assert names == [contender.name for contender in benchmark.CONTENDERS]
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert len(cells) == 2 + len(benchmark.COLUMNS)
        for cell in cells[2:]:
            assert float(cell) >= 0, row  # a number in every column, none missing
    assert sum(1 for line in printed if "random" in line or "per-user" in line) == len(rows)
