"""Placing a user the model never saw from their ratings: fold-in and the classic neighbour method."""

import numpy as np
import pytest

from recsys.cold_start import user_classic, user_fold_in
from recsys.rating_model import FactorModel
from tests.recsys.arrays import random_model


def test_fold_in_recovers_a_user_from_many_exact_ratings():
    """Given noise-free ratings of many movies, fold-in finds the vector and bias that produced them."""
    model = random_model()
    rows = np.arange(150)
    truth, bias = np.array([0.4, -0.3, 0.2, 0.1]), 0.25
    scores = model.predict_vector(truth, bias, rows)
    vector, found_bias = user_fold_in(model=model, movie_rows=rows, scores=scores, ridge=1e-6)
    np.testing.assert_allclose(vector, truth, atol=1e-3)
    assert found_bias == pytest.approx(bias, abs=1e-3)


def test_fold_in_with_few_ratings_stays_near_the_average_user():
    """With one rating the strong prior keeps the user close to the average training user."""
    model = random_model()
    vector, _ = user_fold_in(model=model, movie_rows=np.array([0]), scores=np.array([5.0]))
    mean = model.user_factors.mean(axis=0)
    spread = np.linalg.norm(model.user_factors - mean, axis=1).mean()
    assert np.linalg.norm(vector - mean) < spread


def test_classic_copies_the_user_with_the_same_ratings():
    """A newcomer whose ratings equal one training user's row gets that user's vector and bias (one neighbour)."""
    model = random_model()
    rng = np.random.default_rng(1)
    users = np.repeat(model.user_ids, 20)
    movies = np.concatenate([rng.choice(model.movie_ids, 20, replace=False) for _ in model.user_ids])
    scores = rng.integers(1, 6, len(users)).astype(float)
    model = model.with_training_ratings(user_ids=users, movie_ids=movies, scores=scores)
    target = 7  # user id 7, row 6
    mine = users == target
    rows = np.array([model.movie_index(m) for m in movies[mine]])
    vector, bias = user_classic(model=model, movie_rows=rows, scores=scores[mine], neighbours=1)
    np.testing.assert_allclose(vector, model.user_factors[6], rtol=1e-6)
    assert bias == pytest.approx(float(model.user_bias[6]))


def test_classic_with_no_overlap_gives_the_average_user():
    """When no training user rated any of the newcomer's movies, classic falls back to the average user."""
    model = random_model().with_training_ratings(user_ids=[1, 2], movie_ids=[1, 2], scores=[4.0, 5.0])
    vector, bias = user_classic(model=model, movie_rows=np.array([100]), scores=np.array([5.0]))
    np.testing.assert_allclose(vector, model.user_factors.mean(axis=0), rtol=1e-6)
    assert bias == pytest.approx(float(model.user_bias.mean()), rel=1e-6)


def test_training_ratings_round_trip(tmp_path):
    """The optional training ratings travel through save and load; an artifact without them still loads."""
    model = random_model().with_training_ratings(user_ids=[3, 4, 999], movie_ids=[5, 6, 7], scores=[4.0, 2.0, 1.0])
    model.save(tmp_path)
    loaded = FactorModel.load(tmp_path)
    assert loaded.has_training_ratings
    user_rows, movie_rows, scores = loaded.training_ratings().triples()
    np.testing.assert_array_equal(user_rows, [2, 3])  # the unknown user 999 is dropped
    np.testing.assert_array_equal(movie_rows, [4, 5])
    np.testing.assert_array_equal(scores, [4.0, 2.0])
    random_model().save(tmp_path)
    assert not FactorModel.load(tmp_path).has_training_ratings


def test_classic_reads_the_same_neighbours_as_a_pass_over_every_rating():
    """Classic's dot products from the newcomer's movies' ratings alone are those of the whole rating matrix."""
    model = random_model(n_users=50, n_movies=60)
    rng = np.random.default_rng(5)
    users, movies = np.meshgrid(model.user_ids, model.movie_ids, indexing="ij")
    rated = rng.random(users.shape) < 0.3
    scores = rng.integers(1, 11, int(rated.sum())) / 2.0
    model = model.with_training_ratings(user_ids=users[rated], movie_ids=movies[rated], scores=scores)
    matrix = np.zeros((50, 60))
    matrix[rated] = scores
    newcomer_rows, newcomer_scores = np.array([3, 17, 42]), np.array([5.0, 1.5, 4.0])
    cosine = (matrix[:, newcomer_rows] @ newcomer_scores) / (
        np.linalg.norm(matrix, axis=1) * np.linalg.norm(newcomer_scores)
    )
    nearest = np.argsort(-cosine)[:5]
    weights = cosine[nearest] / cosine[nearest].sum()
    vector, bias = user_classic(model=model, movie_rows=newcomer_rows, scores=newcomer_scores, neighbours=5)
    np.testing.assert_allclose(vector, weights @ model.user_factors[nearest], rtol=1e-6)
    assert bias == pytest.approx(float(weights @ model.user_bias[nearest]))


def test_fold_in_moves_along_the_directions_real_users_differ_in():
    """The prior is the training users' spread: a newcomer moves along it, not across it."""
    rng = np.random.default_rng(3)
    n_users = 50
    spread = rng.normal(0, 1.0, n_users)
    model = FactorModel(
        user_ids=np.arange(1, n_users + 1),
        movie_ids=np.arange(1, 5),
        user_factors=np.column_stack([spread, np.zeros(n_users)]).astype(np.float32),  # users differ on axis 0 only
        user_bias=np.zeros(n_users, dtype=np.float32),
        movie_factors=np.array([[1, 1], [1, 1], [-1, 1], [-1, 1]], dtype=np.float32),
        movie_bias=np.zeros(4, dtype=np.float32),
        y_range=(0.0, 5.5),
    )
    vector, _ = user_fold_in(model=model, movie_rows=np.array([0, 1]), scores=np.array([5.0, 5.0]))
    assert vector[0] > 0.5
    assert abs(vector[1]) < 0.1 * abs(vector[0])
