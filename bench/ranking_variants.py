"""The lists bench/ranking_quality.py compares with the shipped one, each a trainer of the evaluation protocol.

Variants of the ranking model (its settings, fold-in for every user, an ensemble, a blend with the rating model),
the losses that lost to its softmax (BPR, sampled binary cross-entropy, iALS's weighted squares, as plain torch
loops) and EASE, a linear item-to-item reference that the site's arrays cannot serve.
"""

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from common import SEED

from recsys.ease import ease_weights
from recsys.evaluation import Trainer
from recsys.params import RankingParams, RatingParams
from recsys.ranking_model import RankingModel, ranking_fold_in
from recsys.recommenders import FactorRecommender, RankedRecommender
from recsys.train_ranking import ranking_train
from recsys.trainers import fastai_trainer

EASE_LAMBDA = 250.0  # set on MovieLens 100k (no sweep kept); ranking_quality.py --data tunes its own on validation
BLEND_WEIGHT = 0.5  # logit + this times the predicted rating


@dataclass
class Data:
    """A training frame in index space: rows are the sorted user ids, columns the sorted movie ids."""

    train: pd.DataFrame
    users: np.ndarray = field(init=False)
    movies: np.ndarray = field(init=False)
    user_rows: np.ndarray = field(init=False)
    movie_rows: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.users, self.user_rows = np.unique(self.train.user.to_numpy(np.int64), return_inverse=True)
        self.movies, self.movie_rows = np.unique(self.train.movie.to_numpy(np.int64), return_inverse=True)

    def implicit(self) -> np.ndarray:
        x = np.zeros((len(self.users), len(self.movies)), dtype=np.float32)
        x[self.user_rows, self.movie_rows] = 1.0
        return x


@dataclass(frozen=True, eq=False)
class MatrixRecommender:
    """Scores for every (user, movie) of the training data, through the evaluation protocol."""

    users: np.ndarray
    movies: np.ndarray
    matrix: np.ndarray
    rating: FactorRecommender | None = None  # predictions, when the variant has a rating model

    def predict(self, users: np.ndarray, movies: np.ndarray) -> np.ndarray:
        if self.rating is None:
            return np.full(len(users), np.nan)
        return self.rating.predict(users, movies)

    def scores(self, users: np.ndarray, movies: np.ndarray) -> np.ndarray:
        rows = np.searchsorted(self.users, users)
        return self.matrix[rows][:, np.searchsorted(self.movies, movies)]


class NoPrediction:
    def predict(self, users: np.ndarray, movies: np.ndarray) -> np.ndarray:
        return np.full(len(users), np.nan)


def matrix_trainer(scorer: Callable[[Data], np.ndarray]) -> Trainer:
    def train(ratings: pd.DataFrame) -> MatrixRecommender:
        data = Data(ratings)
        return MatrixRecommender(data.users, data.movies, scorer(data))

    return train


def ranking_only(params: RankingParams) -> Trainer:
    """The ranking model alone (no rating model): its list, without predictions."""
    return lambda ratings: RankedRecommender(
        rating=NoPrediction(), ranking=ranking_train(ratings=ratings, params=params)
    )


def _scores(model: RankingModel) -> np.ndarray:
    return model.scores(model.user_factors)


def ensemble(seeds: int) -> Trainer:
    """The mean score of several seeds: still user vector . movie vector + bias, with the factors side by side."""

    def scorer(data: Data) -> np.ndarray:
        return np.mean([_scores(ranking_train(ratings=data.train, seed=seed)) for seed in range(seeds)], axis=0)

    return matrix_trainer(scorer)


def folded_in(data: Data) -> np.ndarray:
    """The shipped model with every user's vector re-solved by numpy fold-in from their training ratings."""
    model = ranking_train(ratings=data.train)
    timestamps, scores = data.train.timestamp.to_numpy(), data.train.rating.to_numpy()
    order = np.argsort(data.user_rows, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(data.user_rows, minlength=len(data.users)))]
    vectors = [
        ranking_fold_in(
            model=model,
            movie_rows=data.movie_rows[order[a:b]],
            scores=scores[order[a:b]],
            timestamps=timestamps[order[a:b]],
        )
        for a, b in itertools.pairwise(bounds)
    ]
    return model.scores(np.stack(vectors))


def blend(ratings: pd.DataFrame) -> MatrixRecommender:
    """Softmax logit plus BLEND_WEIGHT times the rating model's prediction."""
    data = Data(ratings)
    rated = fastai_trainer(params=RatingParams())(ratings)
    ranked = _scores(ranking_train(ratings=ratings))
    predicted = np.stack([rated.model.predict_user(rated.model.user_index(u)) for u in data.users])
    columns = np.array([rated.model.movie_index(m) for m in data.movies])
    return MatrixRecommender(data.users, data.movies, ranked + BLEND_WEIGHT * predicted[:, columns], rated)


def ease(data: Data, *, l2: float = EASE_LAMBDA) -> np.ndarray:
    """EASE (Steck 2019), the linear item-to-item reference: not servable as user and movie vectors."""
    x = data.implicit()
    return x @ ease_weights(interactions=x, l2=l2)


def _factor_loop(data: Data, loss_fn, *, n_factors: int, epochs: int, lr: float, batches) -> np.ndarray:
    """A plain torch loop over user/movie factors and movie biases, for the losses that lost."""
    torch.manual_seed(SEED)
    users = torch.nn.Parameter(torch.randn(len(data.users), n_factors) * 0.01)
    movies = torch.nn.Parameter(torch.randn(len(data.movies), n_factors) * 0.01)
    bias = torch.nn.Parameter(torch.zeros(len(data.movies)))
    optimiser = torch.optim.Adam([users, movies, bias], lr=lr)
    for _ in range(epochs):
        for batch in batches():
            loss = loss_fn(users, movies, bias, *batch)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    with torch.no_grad():
        return (users @ movies.T + bias).numpy()


def bpr(data: Data, *, n_factors: int = 96, epochs: int = 20, lr: float = 2e-3, l2: float = 1e-4) -> np.ndarray:
    """Bayesian personalised ranking: a rated movie above one uniformly sampled movie, per rating."""
    u_all, i_all = torch.from_numpy(data.user_rows), torch.from_numpy(data.movie_rows)

    def batches():
        order = torch.randperm(len(u_all))
        for start in range(0, len(order), 1024):
            b = order[start : start + 1024]
            yield u_all[b], i_all[b], torch.randint(len(data.movies), (len(b),))

    def loss(users, movies, bias, u, i, j):
        pu = users[u]
        diff = (pu * (movies[i] - movies[j])).sum(1) + bias[i] - bias[j]
        reg = l2 * (pu.pow(2).sum() + movies[i].pow(2).sum() + movies[j].pow(2).sum())
        return -torch.nn.functional.logsigmoid(diff).mean() + reg / len(u)

    return _factor_loop(data, loss, n_factors=n_factors, epochs=epochs, lr=lr, batches=batches)


def bce_sampled(
    data: Data, *, n_factors: int = 64, epochs: int = 10, lr: float = 5e-3, negatives: int = 4
) -> np.ndarray:
    """Binary cross-entropy: each rating a positive, ``negatives`` uniformly sampled movies per rating negatives."""
    u_all, i_all = torch.from_numpy(data.user_rows), torch.from_numpy(data.movie_rows)

    def batches():
        u = u_all.repeat(negatives + 1)
        i = torch.cat([i_all, torch.randint(len(data.movies), (negatives * len(i_all),))])
        y = torch.cat([torch.ones(len(i_all)), torch.zeros(negatives * len(i_all))])
        order = torch.randperm(len(u))
        for start in range(0, len(order), 4096):
            b = order[start : start + 4096]
            yield u[b], i[b], y[b]

    def loss(users, movies, bias, u, i, y):
        logits = (users[u] * movies[i]).sum(1) + bias[i]
        reg = 1e-5 * (users[u].pow(2).sum() + movies[i].pow(2).sum())
        return torch.nn.functional.binary_cross_entropy_with_logits(logits, y) + reg / len(u)

    return _factor_loop(data, loss, n_factors=n_factors, epochs=epochs, lr=lr, batches=batches)


def weighted_squares(data: Data, *, n_factors: int = 96, epochs: int = 30, lr: float = 3e-3) -> np.ndarray:
    """iALS's objective by gradient: squared error on every (user, movie), rated pairs weighing 1 + alpha."""
    targets = torch.from_numpy(data.implicit())
    alpha, l2 = 5.0, 0.03

    def batches():
        order = torch.randperm(len(targets))
        for start in range(0, len(order), 128):
            yield (order[start : start + 128],)

    def loss(users, movies, bias, u):
        x = targets[u]
        error = (1 + alpha * x) * (x - users[u] @ movies.T - bias) ** 2
        return error.sum(1).mean() + l2 * (users[u].pow(2).sum() + movies.pow(2).sum() * len(u) / len(targets))

    return _factor_loop(data, loss, n_factors=n_factors, epochs=epochs, lr=lr, batches=batches)
