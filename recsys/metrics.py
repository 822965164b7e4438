"""Accuracy and ranking metrics, defined once for `evaluate`, `benchmark` and every bench script.

Ranking protocol: candidates are the movies of the training data that the user has not rated there; relevant
are the user's test movies rated 4 or more; users with no relevant movie are left out; NDCG uses binary
relevance.
"""

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

RELEVANT_MIN_RATING = 4.0


def rmse(predicted: np.ndarray, actual: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(predicted) - np.asarray(actual)) ** 2)))


def mae(predicted: np.ndarray, actual: np.ndarray) -> float:
    return float(np.mean(np.abs(np.asarray(predicted) - np.asarray(actual))))


def top_k_unseen(scores: np.ndarray, seen: np.ndarray, k: int) -> np.ndarray:
    """Row-wise indices of the k best scores, best first, never an index marked in the boolean ``seen``."""
    masked = np.where(seen, -np.inf, scores)
    k = min(k, masked.shape[1])
    part = np.argpartition(-masked, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(masked, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def _discounts(k: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(2, k + 2))


def ranking_metrics(
    *, top_k: Mapping[int, Sequence[int]], relevant: Mapping[int, Iterable[int]], k: int = 10
) -> dict[str, float]:
    """NDCG@k, precision@k and recall@k averaged over the users that have at least one relevant movie."""
    discounts = _discounts(k)
    ndcgs, precisions, recalls = [], [], []
    for user, relevant_items in relevant.items():
        relevant_set = set(relevant_items)
        if not relevant_set:
            continue
        recommended = list(top_k.get(user, ()))[:k]
        hits = np.array([movie in relevant_set for movie in recommended], dtype=float)
        dcg = float((hits * discounts[: len(hits)]).sum())
        idcg = float(discounts[: min(k, len(relevant_set))].sum())
        ndcgs.append(dcg / idcg)
        precisions.append(hits.sum() / k)
        recalls.append(hits.sum() / len(relevant_set))
    if not ndcgs:
        return {f"ndcg@{k}": 0.0, f"precision@{k}": 0.0, f"recall@{k}": 0.0, "n_ranked_users": 0}
    return {
        f"ndcg@{k}": float(np.mean(ndcgs)),
        f"precision@{k}": float(np.mean(precisions)),
        f"recall@{k}": float(np.mean(recalls)),
        "n_ranked_users": len(ndcgs),
    }


def relevant_by_user(users: Iterable[int], movies: Iterable[int], ratings: Iterable[float]) -> dict[int, set[int]]:
    relevant: dict[int, set[int]] = {}
    for user, movie, rating in zip(users, movies, ratings, strict=True):
        if rating >= RELEVANT_MIN_RATING:
            relevant.setdefault(int(user), set()).add(int(movie))
    return relevant


def catalogue_coverage(*, top_k: Mapping[int, Sequence[int]], n_candidates: int) -> float:
    """Share of the candidate catalogue that appears in at least one top-k list."""
    shown = {movie for movies in top_k.values() for movie in movies}
    return len(shown) / n_candidates if n_candidates else 0.0
