"""Trained models seen through the evaluation protocol's ``Recommender``: predictions for pairs, scores to rank by.

Ids are those of the ratings (Django pks on the site, MovieLens ids in a benchmark).
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.lists import list_order, user_taste
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


@dataclass(frozen=True, eq=False)
class RankedRecommender:
    """The ranking model alone: the rating model's predictions, the order of the ranking model's scores."""

    rating: FactorRecommender
    ranking: RankingModel

    def predict(self, users: np.ndarray, movies: np.ndarray) -> np.ndarray:
        return self.rating.predict(users, movies)

    def scores(self, users: np.ndarray, movies: np.ndarray) -> np.ndarray:
        aligned = self.ranking.aligned(user_ids=users, movie_ids=movies)
        return aligned.scores(aligned.user_factors)


@dataclass(frozen=True, eq=False)
class SiteListRecommender:
    """The list the site serves (``recsys.lists``), for users the model learned from their training ratings (a
    model trained in process keeps them: an exported artifact does not need to)."""

    model: FactorModel

    def predict(self, users: np.ndarray, movies: np.ndarray) -> np.ndarray:
        return FactorRecommender(self.model).predict(users, movies)

    def scores(self, users: np.ndarray, movies: np.ndarray) -> np.ndarray:
        model = self.model
        user_rows, train_movie_rows, train_scores = model.training_ratings().triples()
        order = np.argsort(user_rows, kind="stable")
        starts = np.searchsorted(user_rows[order], np.arange(len(model.user_ids) + 1))
        columns = model.movie_rows(movies, known=True)
        rows = []
        for user in users:
            row = model.user_index(user)
            mine = order[starts[row] : starts[row + 1]]
            taste = user_taste(
                model=model,
                movie_rows=train_movie_rows[mine],
                scores=train_scores[mine],
                times=np.zeros(len(mine)),
                user_row=row,
                learned=True,
            )
            assert taste is not None, "a user with a row always has a place"
            ranked = list_order(model=model, taste=taste, candidate_rows=columns)
            # A score per movie that keeps the list's order: the higher, the earlier in the list.
            score_of_row = np.zeros(len(model.movie_ids))
            score_of_row[ranked] = np.arange(len(ranked), 0, -1)
            rows.append(score_of_row[columns])
        return np.stack(rows) if rows else np.empty((0, len(movies)))


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
