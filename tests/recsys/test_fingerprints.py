"""A user's fingerprint of their ratings: equal for the same ratings in any order, different for any change."""

import numpy as np

from recsys.fingerprints import user_fingerprint, user_fingerprints

ROWS = np.array([4, 17, 2, 9])
SCORES = np.array([4.0, 3.5, 5.0, 1.0])
# The fingerprints of ROWS and SCORES, and of no ratings, as the first artifacts with fingerprints stored them.
PINNED = 467592390022550965
PINNED_EMPTY = 12035550249420947055


def fingerprint(rows, scores) -> int:
    return user_fingerprint(movie_rows=np.asarray(rows), scores=np.asarray(scores, dtype=np.float64))


def test_the_same_ratings_in_another_order_match():
    """The fingerprint is of the set of (movie, score) pairs: their order does not matter."""
    order = np.array([2, 0, 3, 1])
    assert fingerprint(ROWS, SCORES) == fingerprint(ROWS[order], SCORES[order])


def test_a_changed_score_differs():
    """A rating changed by half a star changes the fingerprint, as does the same scores on swapped movies."""
    assert fingerprint(ROWS, SCORES) != fingerprint(ROWS, [4.0, 3.5, 4.5, 1.0])
    assert fingerprint(ROWS, SCORES) != fingerprint(ROWS, [3.5, 4.0, 5.0, 1.0])


def test_an_added_or_a_removed_rating_differs():
    """One rating more or one fewer changes the fingerprint."""
    assert fingerprint(ROWS, SCORES) != fingerprint([*ROWS, 30], [*SCORES, 3.0])
    assert fingerprint(ROWS, SCORES) != fingerprint(ROWS[:3], SCORES[:3])
    assert fingerprint([], []) != fingerprint([0], [0.0])


def test_scores_count_as_float32():
    """A score read as float64 (the database) and the same score stored as float32 (the artifact) match."""
    assert fingerprint(ROWS, SCORES) == fingerprint(ROWS, SCORES.astype(np.float32))


def test_every_user_at_once_gives_each_users_own_fingerprint():
    """The per-user array that training stores is, row by row, the fingerprint that serving computes, a user
    without ratings included."""
    rng = np.random.default_rng(0)
    user_rows = rng.integers(0, 5, 60)
    movie_rows = rng.permutation(200)[:60]
    scores = rng.integers(1, 11, 60) / 2.0
    every = user_fingerprints(user_rows=user_rows, movie_rows=movie_rows, scores=scores, n_users=6)
    assert every.dtype == np.uint64 and every.shape == (6,)
    for row in range(6):
        mine = user_rows == row
        assert int(every[row]) == fingerprint(movie_rows[mine], scores[mine])
    assert len(set(every.tolist())) == 6


def test_the_fingerprint_is_stable_across_releases():
    """Artifacts keep the fingerprints written at training: the function must give the same numbers later."""
    assert fingerprint(ROWS, SCORES) == PINNED
    assert fingerprint([], []) == PINNED_EMPTY
