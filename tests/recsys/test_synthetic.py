"""The synthetic MovieLens generator writes the ml-25m CSV layout with the promised shape, the same files for the
same seed, and refuses shapes it cannot honour."""

import csv
import hashlib
from pathlib import Path

import numpy as np
import pytest

from recsys.synthetic import GENRES, MIN_RATINGS_PER_USER, SIZES, SyntheticShape, movielens_synthesize

SMALL = SyntheticShape(ratings=3_000, users=60, movies=300)


def rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synthetic")
    movielens_synthesize(folder=folder, shape=SMALL, seed=3)
    return folder


def test_the_four_files_have_the_ml25m_headers(written: Path) -> None:
    assert rows(written / "movies.csv")[0] == ["movieId", "title", "genres"]
    assert rows(written / "ratings.csv")[0] == ["userId", "movieId", "rating", "timestamp"]
    assert rows(written / "links.csv")[0] == ["movieId", "imdbId", "tmdbId"]
    assert rows(written / "tags.csv")[0] == ["userId", "movieId", "tag", "timestamp"]


def test_ratings_have_the_asked_shape(written: Path) -> None:
    data = np.array(rows(written / "ratings.csv")[1:], dtype=np.float64)
    users, movies, scores = data[:, 0].astype(int), data[:, 1].astype(int), data[:, 2]
    assert len(data) == SMALL.ratings
    assert len(set(zip(users.tolist(), movies.tolist(), strict=True))) == SMALL.ratings  # nobody rates twice
    assert set(users.tolist()) == set(range(1, SMALL.users + 1))
    assert movies.min() >= 1 and movies.max() <= SMALL.movies
    assert np.bincount(users)[1:].min() >= MIN_RATINGS_PER_USER
    assert set(scores.tolist()) <= {step / 2 for step in range(1, 11)}
    assert 3.0 < scores.mean() < 4.2  # MovieLens means are about 3.5


def test_popularity_is_long_tailed(written: Path) -> None:
    movies = np.array([int(row[1]) for row in rows(written / "ratings.csv")[1:]])
    counts = np.sort(np.bincount(movies, minlength=SMALL.movies + 1)[1:])[::-1]
    top_tenth = counts[: SMALL.movies // 10].sum()
    assert top_tenth > 0.3 * SMALL.ratings  # a tenth of the movies takes far more than a tenth of the ratings


def test_no_rating_precedes_its_movies_release(written: Path) -> None:
    years = {int(row[0]): int(row[1][-5:-1]) for row in rows(written / "movies.csv")[1:]}
    for _, movie, _, second in rows(written / "ratings.csv")[1:]:
        assert int(second) >= (years[int(movie)] - 1970) * 31_557_600


def test_movies_have_one_to_three_known_genres_and_a_year(written: Path) -> None:
    movies = rows(written / "movies.csv")[1:]
    assert [int(row[0]) for row in movies] == list(range(1, SMALL.movies + 1))
    for _, title, genres in movies:
        assert 1 <= len(genres.split("|")) <= 3
        assert set(genres.split("|")) <= set(GENRES)
        assert title.endswith(")") and title[-5:-1].isdigit()
    assert len(rows(written / "links.csv")) == SMALL.movies + 1


def test_the_same_seed_writes_the_same_files(written: Path, tmp_path: Path) -> None:
    again, other = tmp_path / "again", tmp_path / "other"
    movielens_synthesize(folder=again, shape=SMALL, seed=3)
    movielens_synthesize(folder=other, shape=SMALL, seed=4)

    def digest(folder: Path) -> str:
        return hashlib.sha256((folder / "ratings.csv").read_bytes()).hexdigest()

    assert digest(again) == digest(written)
    assert digest(other) != digest(written)


def test_progress_reaches_the_total(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    movielens_synthesize(folder=tmp_path, shape=SMALL, seed=1, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (SMALL.ratings, SMALL.ratings)


@pytest.mark.parametrize(
    ("ratings", "users", "movies"),
    [(100, 10, 300), (3_000, 0, 300), (3_000, 60, 10), (10_000, 60, 300)],
    ids=["fewer than 20 a user", "no users", "too few movies", "more than half full"],
)
def test_impossible_shapes_are_refused(ratings: int, users: int, movies: int) -> None:
    with pytest.raises(ValueError):
        SyntheticShape(ratings=ratings, users=users, movies=movies)


def test_named_sizes() -> None:
    assert SyntheticShape.named("25m") == SIZES["25m"]
    with pytest.raises(ValueError, match="unknown size"):
        SyntheticShape.named("7m")
