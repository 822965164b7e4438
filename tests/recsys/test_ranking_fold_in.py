"""The ranking model's fold-in: the start computed once per model changes no answer, and is each model's own."""

import numpy as np
from scipy.optimize import minimize

from recsys import ranking_model
from recsys.ranking_model import RankingModel, ranking_fold_in, ranking_weights, rating_ages


def random_ranking(*, n_movies: int = 300, k: int = 8, seed: int = 0) -> RankingModel:
    rng = np.random.default_rng(seed)
    return RankingModel(
        user_ids=np.arange(5, dtype=np.int64),
        movie_ids=np.arange(n_movies, dtype=np.int64),
        user_factors=rng.normal(0, 0.3, (5, k)).astype(np.float32),
        user_mean=rng.normal(0, 0.3, k).astype(np.float32),
        movie_factors=rng.normal(0, 0.5, (n_movies, k)).astype(np.float32),
        movie_bias=(-np.log(rng.permutation(n_movies) + 1.0)).astype(np.float32),
        user_ridge=0.5,
    )


def direct_optimum(model: RankingModel, rows: np.ndarray, scores: np.ndarray, times: np.ndarray) -> np.ndarray:
    """The fold-in's objective (its docstring) minimised by scipy, as a check that owes nothing to our solver."""
    weights = ranking_weights(
        scores=scores,
        ages=rating_ages(np.zeros(len(rows)), times),
        other_weight=model.other_weight,
        recency=model.recency,
    )
    factors, bias = model.movie_factors.astype(np.float64), model.movie_bias.astype(np.float64)
    mean = model.user_mean.astype(np.float64)

    def objective(u: np.ndarray) -> tuple[float, np.ndarray]:
        logits = factors @ u + bias
        top = logits.max()
        p = np.exp(logits - top)
        p /= p.sum()
        value = weights.sum() * (top + np.log(np.exp(logits - top).sum())) - weights @ logits[rows]
        gradient = weights.sum() * factors.T @ p - factors[rows].T @ weights + model.user_ridge * (u - mean)
        return value + model.user_ridge / 2 * (u - mean) @ (u - mean), gradient

    return minimize(objective, mean, jac=True, method="BFGS", options={"gtol": 1e-10}).x


def newcomer(seed: int, n_movies: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    rows = rng.choice(n_movies, size=10, replace=False)
    return rows, rng.choice([1.0, 2.5, 4.0, 5.0], size=10), np.sort(rng.integers(0, 10**6, size=10))


def test_fold_in_finds_the_objectives_optimum():
    """The vector from the start kept per model and the updated Hessians is the objective's own optimum."""
    model = random_ranking()
    for seed in range(5):
        rows, scores, times = newcomer(seed, len(model.movie_ids))
        vector = ranking_fold_in(model=model, movie_rows=rows, scores=scores, timestamps=times)
        expected = direct_optimum(model, rows, scores, times)
        assert np.linalg.norm(vector - expected) <= 1e-4 * np.linalg.norm(expected)


def test_the_kept_start_changes_no_placement():
    """A placement gives the same vector whether the model's start was computed before it or for it."""
    model = random_ranking(seed=1)
    rows, scores, times = newcomer(7, len(model.movie_ids))
    ranking_fold_in(model=model, movie_rows=rows[:3], scores=scores[:3], timestamps=times[:3])
    warm = ranking_fold_in(model=model, movie_rows=rows, scores=scores, timestamps=times)
    ranking_model._first_points.pop(model)
    fresh = ranking_fold_in(model=model, movie_rows=rows, scores=scores, timestamps=times)
    np.testing.assert_array_equal(warm, fresh)


def test_each_model_keeps_its_own_start():
    """Two models never share a start: each gets its own, and the second places as if it were alone."""
    first, second = random_ranking(seed=2), random_ranking(seed=3)
    rows, scores, times = newcomer(8, len(first.movie_ids))
    ranking_fold_in(model=first, movie_rows=rows, scores=scores, timestamps=times)
    placed = ranking_fold_in(model=second, movie_rows=rows, scores=scores, timestamps=times)
    assert ranking_model._first_points[first] is not ranking_model._first_points[second]
    assert not np.allclose(ranking_model._first_points[first].bracket, ranking_model._first_points[second].bracket)
    expected = direct_optimum(second, rows, scores, times)
    assert np.linalg.norm(placed - expected) <= 1e-4 * np.linalg.norm(expected)
