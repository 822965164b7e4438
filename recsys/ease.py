"""EASE (Steck 2019), a linear item-to-item model in closed form: the reference the site's list is measured against.

B minimises |X - XB|^2 + l2 |B|^2 with a zero diagonal (no movie explains itself), X the users' 0/1 rating rows:
B = I - P / diag(P) column by column, with P = (X^T X + l2 I)^-1. A person's scores are the sum of the rows of B
of the movies they liked. numpy only; one inverse of a movies-by-movies matrix, under a second at MovieLens 100k.
"""

import numpy as np

# Steck's papers use a few hundred on MovieLens-sized data; a benchmark may tune its own on validation users.
EASE_L2 = 500.0


def ease_weights(*, interactions: np.ndarray, l2: float = EASE_L2) -> np.ndarray:
    """The movie-by-movie weights B from the users-by-movies matrix ``interactions`` (1 where rated, else 0)."""
    x = np.asarray(interactions, dtype=np.float64)
    gram = x.T @ x
    gram[np.diag_indices_from(gram)] += l2
    precision = np.linalg.inv(gram)
    # Column j divided by P_jj: the Lagrange multiplier that holds B_jj at zero.
    weights = -precision / np.diag(precision)
    np.fill_diagonal(weights, 0.0)
    return weights


def ease_scores(*, weights: np.ndarray, movie_rows: np.ndarray) -> np.ndarray:
    """Every movie's score for a person who liked ``movie_rows``: x . B with x their 0/1 row."""
    return weights[np.asarray(movie_rows, dtype=np.int64)].sum(axis=0)


def ease_reasons(*, weights: np.ndarray, movie_rows: np.ndarray, liked_rows: np.ndarray) -> np.ndarray:
    """For each recommended movie row, the liked movie row that adds most to its score."""
    liked_rows = np.asarray(liked_rows, dtype=np.int64)
    contributions = weights[np.ix_(liked_rows, np.asarray(movie_rows, dtype=np.int64))]
    return liked_rows[contributions.argmax(axis=0)]
