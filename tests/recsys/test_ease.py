"""Tests of EASE: the closed form is the ridge regression it claims to be, and it recommends what is co-rated."""

import numpy as np

from recsys.ease import ease_reasons, ease_scores, ease_weights

# Users 0-2 rated movies 0 and 1 together; users 3-4 rated movies 2 and 3 together; user 5 rated 1 and 2.
TINY = np.array(
    [
        [1, 1, 0, 0],
        [1, 1, 0, 0],
        [1, 1, 0, 0],
        [0, 0, 1, 1],
        [0, 0, 1, 1],
        [0, 1, 1, 0],
    ],
    dtype=float,
)


def test_no_movie_explains_itself():
    """The diagonal of B is zero, whatever the regularisation."""
    for l2 in (0.1, 1.0, 500.0):
        assert np.all(np.diag(ease_weights(interactions=TINY, l2=l2)) == 0.0)


def test_each_column_is_the_ridge_regression_on_the_other_movies():
    """Column j of B is the ridge fit of movie j's column on the other movies' columns (Steck's objective), so the
    division by diag(P) is by column, not by row."""
    rng = np.random.default_rng(0)
    x = (rng.random((40, 7)) < 0.4).astype(float)
    l2 = 3.0
    weights = ease_weights(interactions=x, l2=l2)
    for j in range(x.shape[1]):
        others = np.delete(np.arange(x.shape[1]), j)
        a = x[:, others]
        expected = np.linalg.solve(a.T @ a + l2 * np.eye(len(others)), a.T @ x[:, j])
        np.testing.assert_allclose(weights[others, j], expected, atol=1e-10)


def test_the_co_rated_movie_comes_first():
    """A person who liked movie 0 is recommended movie 1 (always rated with it) above movies 2 and 3."""
    scores = ease_scores(weights=ease_weights(interactions=TINY, l2=0.5), movie_rows=np.array([0]))
    unseen = np.array([1, 2, 3])
    assert unseen[np.argmax(scores[unseen])] == 1


def test_the_reason_is_the_liked_movie_that_adds_most():
    """Of the liked movies 0 and 3, movie 1 is explained by 0 (rated with it) and movie 2 by 3."""
    weights = ease_weights(interactions=TINY, l2=0.5)
    reasons = ease_reasons(weights=weights, movie_rows=np.array([1, 2]), liked_rows=np.array([0, 3]))
    assert reasons.tolist() == [0, 3]
