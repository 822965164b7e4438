"""The evaluation protocol of ``manage.py evaluate``: learn from one set of ratings, measure on another.

Any trainer plugs in: a callable that learns from a ratings frame (columns user, movie, rating) and returns a
``Recommender``. RMSE and MAE cover the test pairs whose user and movie both occur in the training ratings.
Ranking follows ``recsys.metrics``: candidates are the training movies that the user has not
rated there, relevant are the user's test movies rated 4 or more, users with no relevant movie are left out,
and so are test users absent from the training ratings (no model can rank for them). The recommenders are in
``recsys.recommenders``, the trainers that make them in ``recsys.trainers``.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from recsys.metrics import (
    catalogue_coverage,
    mae,
    ranking_metrics,
    relevant_by_user,
    rmse,
    top_k_unseen,
)

K = 10
U_DATA_COLUMNS = ["user", "movie", "rating", "timestamp"]
PREDICTIONS_FILE = "predictions.tsv"
TOP_K_FILE = "topk.tsv"
# Users scored at once: bounds the [users, movies] score matrix (an nn model scores through its MLP).
USERS_PER_BLOCK = 256

NOT_U_DATA = "{path} is not in the u.data layout (user, movie, rating, timestamp; tab-separated, no header): {error}"
NO_TRAINING_RATINGS = "the training ratings are empty: there is nothing to learn from"


class EvaluationError(Exception):
    """The ratings cannot be read or cannot be evaluated."""


class Recommender(Protocol):
    """What a trainer returns: predictions for known pairs, and scores to rank movies for known users."""

    def predict(self, users: np.ndarray, movies: np.ndarray) -> np.ndarray:
        """Predicted rating of each (user, movie) pair; every user and movie occurs in the training ratings."""
        ...

    def scores(self, users: np.ndarray, movies: np.ndarray) -> np.ndarray:
        """Ranking scores, shape [len(users), len(movies)]; higher ranks first."""
        ...


Trainer = Callable[[pd.DataFrame], Recommender]


@dataclass(frozen=True)
class EvaluationResult:
    metrics: dict[str, float | int | None]  # rmse, mae, ndcg@k, precision@k, recall@k, coverage@k, n_ranked_users
    predictions: pd.DataFrame  # user, movie, prediction, rating: the known test pairs
    top_k: pd.DataFrame  # user, rank (1..k), movie, score: for every test user in the training ratings


def ratings_read(*, path: Path) -> pd.DataFrame:
    """A file in the MovieLens ``u.data`` layout, as a frame with columns user, movie, rating, timestamp."""
    try:
        ratings = pd.read_csv(
            path,
            sep="\t",
            names=U_DATA_COLUMNS,
            dtype={"user": "int64", "movie": "int64", "rating": "float64", "timestamp": "int64"},
        )
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise EvaluationError(NOT_U_DATA.format(path=path, error=error)) from error
    if ratings.isna().any().any():
        raise EvaluationError(NOT_U_DATA.format(path=path, error="missing fields"))
    return ratings


def evaluation_measure(
    *,
    train: pd.DataFrame,
    test: pd.DataFrame,
    recommender: Recommender,
    k: int = K,
    max_ranked_users: int | None = None,
    seed: int = 0,
) -> EvaluationResult:
    """Accuracy on the known test pairs and top-k ranking for the known test users of a trained recommender; with
    ``max_ranked_users``, the ranking for that many of them drawn at random (``seed``), all when fewer."""
    if train.empty:
        raise EvaluationError(NO_TRAINING_RATINGS)
    train_users = np.unique(train["user"].to_numpy(np.int64))
    movies = np.unique(train["movie"].to_numpy(np.int64))
    known = test[test["user"].isin(train_users) & test["movie"].isin(movies)]
    users_known, movies_known = known["user"].to_numpy(np.int64), known["movie"].to_numpy(np.int64)
    predicted = np.asarray(recommender.predict(users_known, movies_known), dtype=np.float64)
    actual = known["rating"].to_numpy(np.float64)
    predictions = pd.DataFrame({"user": users_known, "movie": movies_known, "prediction": predicted, "rating": actual})

    ranked_users = np.unique(test["user"].to_numpy(np.int64))
    ranked_users = ranked_users[np.isin(ranked_users, train_users)]
    if max_ranked_users is not None and len(ranked_users) > max_ranked_users:
        drawn = np.random.default_rng(seed).choice(len(ranked_users), size=max_ranked_users, replace=False)
        ranked_users = ranked_users[np.sort(drawn)]
    top_k = _top_k(train=train, users=ranked_users, movies=movies, recommender=recommender, k=k)
    lists = {int(user): group["movie"].tolist() for user, group in top_k.groupby("user", sort=False)}
    ranked_test = test[test["user"].isin(ranked_users)]
    relevant = relevant_by_user(ranked_test["user"], ranked_test["movie"], ranked_test["rating"])
    metrics: dict[str, float | int | None] = {
        "rmse": rmse(predicted, actual) if len(actual) else None,
        "mae": mae(predicted, actual) if len(actual) else None,
        **ranking_metrics(top_k=lists, relevant=relevant, k=k),
        f"coverage@{k}": catalogue_coverage(top_k=lists, n_candidates=len(movies)),
    }
    return EvaluationResult(metrics=metrics, predictions=predictions, top_k=top_k)


def _top_k(
    *, train: pd.DataFrame, users: np.ndarray, movies: np.ndarray, recommender: Recommender, k: int
) -> pd.DataFrame:
    rated = train[train["user"].isin(users)]
    rated_rows = pd.Series(np.arange(len(users)), index=users)[rated["user"]].to_numpy()
    rated_columns = pd.Series(np.arange(len(movies)), index=movies)[rated["movie"]].to_numpy()
    frames = []
    for start in range(0, len(users), USERS_PER_BLOCK):
        block = users[start : start + USERS_PER_BLOCK]
        scores = np.asarray(recommender.scores(block, movies), dtype=np.float64)
        seen = np.zeros(scores.shape, dtype=bool)
        in_block = (rated_rows >= start) & (rated_rows < start + len(block))
        seen[rated_rows[in_block] - start, rated_columns[in_block]] = True
        best = top_k_unseen(scores, seen, k)
        best_scores = np.take_along_axis(scores, best, axis=1)
        # With fewer than k unseen movies, top_k_unseen fills a list with seen ones: those are dropped.
        unseen = ~np.take_along_axis(seen, best, axis=1)
        rows, ranks = np.nonzero(unseen)
        frames.append(
            pd.DataFrame(
                {
                    "user": block[rows],
                    "rank": np.cumsum(unseen, axis=1)[rows, ranks],
                    "movie": movies[best[rows, ranks]],
                    "score": best_scores[rows, ranks],
                }
            )
        )
    if not frames:
        return pd.DataFrame({"user": [], "rank": [], "movie": [], "score": []}).astype(
            {"user": "int64", "rank": "int64", "movie": "int64", "score": "float64"}
        )
    return pd.concat(frames, ignore_index=True)


def evaluation_run(*, train: pd.DataFrame, test: pd.DataFrame, trainer: Trainer, k: int = K) -> EvaluationResult:
    """Train on ``train`` alone, then measure on ``test``; adds train_seconds, n_train and n_test to the metrics."""
    if train.empty:
        raise EvaluationError(NO_TRAINING_RATINGS)
    started = time.perf_counter()
    recommender = trainer(train)
    train_seconds = time.perf_counter() - started
    result = evaluation_measure(train=train, test=test, recommender=recommender, k=k)
    result.metrics.update({"train_seconds": train_seconds, "n_train": len(train), "n_test": len(test)})
    return result


def evaluation_write(*, result: EvaluationResult, output: Path) -> list[Path]:
    """``predictions.tsv`` (user, movie, predicted rating) and ``topk.tsv`` (user, rank, movie, score), no header."""
    output.mkdir(parents=True, exist_ok=True)
    predictions_path, top_k_path = output / PREDICTIONS_FILE, output / TOP_K_FILE
    result.predictions[["user", "movie", "prediction"]].to_csv(
        predictions_path, sep="\t", header=False, index=False, float_format="%.6f"
    )
    result.top_k[["user", "rank", "movie", "score"]].to_csv(
        top_k_path, sep="\t", header=False, index=False, float_format="%.6f"
    )
    return [predictions_path, top_k_path]
