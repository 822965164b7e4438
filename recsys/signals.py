"""What the site's list weighs besides the ranking model: how liked each movie is, its neighbours, its genres.

All three come from the training ratings and the catalogue, are fitted by the retrain and served as arrays:
- the prior: log(1 + number of ratings of 4 or more) per movie, standardised. "Most liked" beats "most rated"
  as the starting point of a person we know little about (bench/taste.py);
- the neighbours: for each movie its ``NEIGHBOURS`` nearest movies by cosine of co-ratings (who rated both), an
  item-to-item measure independent of the factor models, that explains well ("because you rated X") and reacts
  at once to a like or a dislike;
- the genres: a 0/1 matrix of movies by genres, through which a person's stated taste for a genre counts.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

# Neighbours kept per movie: enough that a liked movie reaches the movies people rate with it, few enough that
# the arrays stay small at any catalogue size (n_movies x NEIGHBOURS).
NEIGHBOURS = 100
LIKED_MIN_RATING = 4.0


@dataclass(frozen=True, eq=False)
class ListSignals:
    """Rows line up with the rating model's ``movie_ids``."""

    prior: np.ndarray  # float32 [n_movies], standardised log(1 + liked count)
    neighbour_rows: np.ndarray  # int32 [n_movies, k], nearest first; -1 pads a movie with fewer neighbours
    neighbour_sims: np.ndarray  # float32 [n_movies, k], cosine of co-ratings, 0 where padded
    genres: np.ndarray  # uint8 [n_movies, n_genres]
    genre_names: tuple[str, ...]
    counts: np.ndarray  # int32 [n_movies]: training ratings per movie

    def pulled(self, *, movie_rows: np.ndarray, weights: np.ndarray, reach: int | None = None) -> np.ndarray:
        """[n_movies]: the sum over the given movies of weight x similarity to every movie, within each one's
        ``reach`` nearest neighbours (all it keeps by default; 0 beyond)."""
        movie_rows = np.asarray(movie_rows, dtype=np.int64)
        neighbours = self.neighbour_rows[movie_rows, :reach]
        contributions = np.asarray(weights, dtype=np.float64)[:, None] * self.neighbour_sims[movie_rows, :reach]
        valid = neighbours >= 0
        return np.bincount(neighbours[valid], weights=contributions[valid], minlength=len(self.prior)).astype(
            np.float64
        )

    def similarity_to(self, movie_rows: np.ndarray) -> np.ndarray:
        """[len(movie_rows), n_movies]: each given movie's similarity to every movie (0 beyond its neighbours)."""
        movie_rows = np.asarray(movie_rows, dtype=np.int64)
        dense = np.zeros((len(movie_rows), len(self.prior)), dtype=np.float64)
        neighbours, sims = self.neighbour_rows[movie_rows], self.neighbour_sims[movie_rows]
        valid = neighbours >= 0
        dense[np.nonzero(valid)[0], neighbours[valid]] = sims[valid]
        return dense


def signals_fit(
    *,
    ratings: "pd.DataFrame",
    movie_ids: np.ndarray,
    genres: Mapping[int, Sequence[str]] | None = None,
    neighbours: int = NEIGHBOURS,
) -> ListSignals:
    """The signals of ``ratings`` (user, movie, rating) for the movies ``movie_ids`` (the model's rows), with each
    movie's ``genres`` (by movie id; none known: no genre)."""
    import pandas as pd  # the retrain's, as scipy: the web process only reads the arrays
    import scipy.sparse as sp

    movie_ids = np.asarray(movie_ids, dtype=np.int64)
    row_of = pd.Series(np.arange(len(movie_ids)), index=movie_ids)
    known = ratings[ratings["movie"].isin(movie_ids)]
    movie_rows = row_of[known["movie"]].to_numpy()
    _, user_rows = np.unique(known["user"].to_numpy(np.int64), return_inverse=True)
    n_movies = len(movie_ids)
    counts = np.bincount(movie_rows, minlength=n_movies)
    liked = np.bincount(movie_rows[known["rating"].to_numpy() >= LIKED_MIN_RATING], minlength=n_movies)
    prior = np.log1p(liked.astype(np.float64))
    prior = (prior - prior.mean()) / (prior.std() or 1.0)

    matrix = sp.csr_matrix(
        (np.ones(len(movie_rows), dtype=np.float32), (user_rows, movie_rows)),
        shape=(user_rows.max(initial=-1) + 1, n_movies),
    )
    matrix.data[:] = 1.0  # a user who rated a movie twice still rated it once
    k = max(0, min(neighbours, n_movies - 1))
    rows = np.full((n_movies, k), -1, dtype=np.int32)
    sims = np.zeros((n_movies, k), dtype=np.float32)
    norms = np.sqrt(np.maximum(counts, 1)).astype(np.float64)
    columns = matrix.tocsc()
    # A block of movies at a time: the full co-rating matrix of a large catalogue does not fit in memory.
    block = max(1, 2_000_000 // max(n_movies, 1))
    for start in range(0, n_movies, block):
        stop = min(start + block, n_movies)
        co = (columns[:, start:stop].T @ matrix).toarray().astype(np.float64)
        cosine = co / norms[start:stop, None] / norms[None, :]
        cosine[np.arange(stop - start), np.arange(start, stop)] = 0.0  # no movie is its own neighbour
        if not k:
            continue
        best = np.argpartition(-cosine, k - 1, axis=1)[:, :k]
        best_sims = np.take_along_axis(cosine, best, axis=1)
        order = np.argsort(-best_sims, axis=1, kind="stable")
        best, best_sims = np.take_along_axis(best, order, axis=1), np.take_along_axis(best_sims, order, axis=1)
        rows[start:stop] = np.where(best_sims > 0, best, -1)
        sims[start:stop] = np.where(best_sims > 0, best_sims, 0.0)

    names = tuple(sorted({g for movie in movie_ids for g in (genres or {}).get(int(movie), ())}))
    genre_matrix = np.zeros((n_movies, len(names)), dtype=np.uint8)
    column_of = {name: i for i, name in enumerate(names)}
    for row, movie in enumerate(movie_ids):
        for name in (genres or {}).get(int(movie), ()):
            genre_matrix[row, column_of[name]] = 1
    return ListSignals(
        prior=prior.astype(np.float32),
        neighbour_rows=rows,
        neighbour_sims=sims,
        genres=genre_matrix,
        genre_names=names,
        counts=counts.astype(np.int32),
    )
