"""Trained models seen through the evaluation protocol's ``Recommender``: predictions for pairs, scores to rank by.

Ids are those of the ratings (Django pks on the site, MovieLens ids in a benchmark).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from recsys.ranking_model import RankingModel
from recsys.rating_model import FactorModel


@dataclass(frozen=True, eq=False)
class FactorRecommender:
    """A trained FactorModel (dot or nn): ranks by predicted rating."""

    model: FactorModel

    def _rows(self, ids: np.ndarray, index: Callable[[int], int]) -> np.ndarray:
        return np.fromiter((index(i) for i in ids), dtype=np.int64, count=len(ids))

    def predict(self, users: np.ndarray, movies: np.ndarray) -> np.ndarray:
        user_rows = self._rows(users, self.model.user_index)
        movie_rows = self._rows(movies, self.model.movie_index)
        return self.model.predict_pairs(user_rows, movie_rows)

    def scores(self, users: np.ndarray, movies: np.ndarray) -> np.ndarray:
        movie_rows = self._rows(movies, self.model.movie_index)
        return np.stack([self.model.predict_user(row, movie_rows) for row in self._rows(users, self.model.user_index)])


class RatingPredictor(Protocol):
    def predict(self, users: np.ndarray, movies: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True, eq=False)
class RankedRecommender:
    """The site's list: predicted ratings from the rating model, the order from the ranking model."""

    rating: RatingPredictor
    ranking: RankingModel

    def predict(self, users: np.ndarray, movies: np.ndarray) -> np.ndarray:
        return self.rating.predict(users, movies)

    def scores(self, users: np.ndarray, movies: np.ndarray) -> np.ndarray:
        aligned = self.ranking.aligned(user_ids=users, movie_ids=movies)
        return aligned.scores(aligned.user_factors)


@dataclass(frozen=True, eq=False)
class PopularityRecommender:
    """Ranks by number of training ratings; predicts a movie's mean training rating."""

    counts: pd.Series  # by movie id
    means: pd.Series  # by movie id

    @classmethod
    def from_ratings(cls, ratings: pd.DataFrame) -> "PopularityRecommender":
        stats = ratings.groupby("movie")["rating"].agg(["size", "mean"])
        return cls(counts=stats["size"], means=stats["mean"])

    def predict(self, users: np.ndarray, movies: np.ndarray) -> np.ndarray:
        return self.means.reindex(movies).to_numpy(np.float64)

    def scores(self, users: np.ndarray, movies: np.ndarray) -> np.ndarray:
        counts = self.counts.reindex(movies, fill_value=0).to_numpy(np.float64)
        return np.broadcast_to(counts, (len(users), len(movies)))
