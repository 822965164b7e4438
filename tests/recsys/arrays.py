"""Small data for the ML core's tests: random models of known shapes, synthetic ratings of two tastes, and artifacts
in the layout of earlier releases."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from recsys.ranking_model import RankingModel
from recsys.rating_model import SERVING_ARRAYS, FactorModel
from recsys.signals import ListSignals


def random_model(*, n_users: int = 30, n_movies: int = 200, k: int = 4, seed: int = 0) -> FactorModel:
    rng = np.random.default_rng(seed)
    return FactorModel(
        user_ids=np.arange(1, n_users + 1),
        movie_ids=np.arange(1, n_movies + 1),
        user_factors=rng.normal(0, 0.5, (n_users, k)).astype(np.float32),
        user_bias=rng.normal(0, 0.2, n_users).astype(np.float32),
        movie_factors=rng.normal(0, 0.5, (n_movies, k)).astype(np.float32),
        movie_bias=rng.normal(0, 0.2, n_movies).astype(np.float32),
        y_range=(0.0, 5.5),
    )


# Hyperparameters that train the small data in a blink (the defaults are tuned for MovieLens 100k).
SMALL = {"n_factors": 4, "bs": 64, "epochs": 3, "lr": 0.05}


def synthetic_ratings(*, n_users: int = 30, n_movies: int = 40, density: float = 0.5, seed: int = 0) -> pd.DataFrame:
    """Whole-star ratings from users who like action or romance, of movies that are action or romance."""
    rng = np.random.default_rng(seed)
    user_taste = rng.choice([-1.0, 1.0], size=n_users)
    movie_kind = rng.choice([-1.0, 1.0], size=n_movies)
    rows = []
    for user in range(n_users):
        for movie in range(n_movies):
            if rng.random() < density:
                score = 3.0 + 1.5 * user_taste[user] * movie_kind[movie] + rng.normal(0, 0.5)
                rows.append((user + 1, movie + 1, float(np.clip(np.rint(score), 1, 5)), 880_000_000 + len(rows)))
    return pd.DataFrame(rows, columns=["user", "movie", "rating", "timestamp"])


def with_mirror_ranking(model: FactorModel) -> FactorModel:
    """The model with a ranking model made of its own factors and biases: the list's order is that of the
    predicted ratings (for a dot model), which keeps hand-made tests readable. An nn model's user vectors of
    another width than its movie vectors become zeros (the list then follows the movie biases)."""
    users = model.user_factors
    if users.shape[1] != model.movie_factors.shape[1]:
        users = np.zeros((len(users), model.movie_factors.shape[1]), dtype=np.float32)
    ranking = RankingModel(
        user_ids=model.user_ids,
        movie_ids=model.movie_ids,
        user_factors=users,
        user_mean=users.mean(axis=0),
        movie_factors=model.movie_factors,
        movie_bias=model.movie_bias,
        user_ridge=1.0,
    )
    return replace(model, ranking=ranking, signals=signals_of(model))


def signals_of(model: FactorModel, *, genres: np.ndarray | None = None) -> ListSignals:
    """List signals for a hand-made model: a flat prior, each movie's neighbours by cosine of its factors, the
    given 0/1 genre matrix (none by default)."""
    units = model.movie_factors / np.maximum(np.linalg.norm(model.movie_factors, axis=1, keepdims=True), 1e-12)
    cosine = units @ units.T
    np.fill_diagonal(cosine, -np.inf)
    k = len(model.movie_ids) - 1
    order = np.argsort(-cosine, axis=1, kind="stable")[:, :k]
    sims = np.take_along_axis(cosine, order, axis=1)
    genres = np.zeros((len(model.movie_ids), 0), dtype=np.uint8) if genres is None else genres.astype(np.uint8)
    return ListSignals(
        prior=np.zeros(len(model.movie_ids), dtype=np.float32),
        neighbour_rows=np.where(sims > 0, order, -1).astype(np.int32),
        neighbour_sims=np.where(sims > 0, sims, 0.0).astype(np.float32),
        genres=genres,
        genre_names=tuple(f"genre {i}" for i in range(genres.shape[1])),
        counts=np.full(len(model.movie_ids), 100, dtype=np.int32),
    )


def legacy_save(model: FactorModel, directory: Path) -> None:
    """Write ``model`` (with training ratings) as artifacts were written before fingerprints: the training ratings
    as (user row, movie row, score) triples, no fingerprints and no ratings grouped by movie."""
    user_rows, movie_rows, scores = model.training_ratings().triples()
    replace(model, training=None, user_fingerprints=None).save(directory)
    with np.load(directory / SERVING_ARRAYS, allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    np.savez(
        directory / SERVING_ARRAYS,
        **arrays,
        rating_user_rows=user_rows.astype(np.int32),
        rating_movie_rows=movie_rows.astype(np.int32),
        rating_scores=scores.astype(np.float32),
    )
