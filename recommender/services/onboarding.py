"""New users: place a user the model never saw from their ratings alone, and choose the movies to ask them about.

Two ways to place a user, compared by ``bench/cold_start.py`` on MovieLens users held out of training:
- classic: the training users whose rating rows are most similar (cosine) lend their embeddings and biases,
  averaged with the similarities as weights;
- fold-in: the user's vector and bias solved by regularised least squares against the frozen movie factors
  and biases, on the logit scale of the model's sigmoid, regularised towards the training users' distribution.
Both answer in well under a millisecond on MovieLens 100k, so a user is placed afresh on every request and
their newest rating counts at once; the next retrain makes them an ordinary user of the model.
"""

import logging
from weakref import WeakKeyDictionary

import numpy as np
from django.conf import settings

from ratings.models import Movie
from recommender.selectors import movie_stats, user_ratings
from recommender.services.factors import FactorModel
from recommender.services.serving import served_model

logger = logging.getLogger(__name__)

FOLD_IN = "fold_in"
CLASSIC = "classic"
COLD_START_METHODS = (FOLD_IN, CLASSIC)
# Tuned by bench/cold_start.py (see BENCHMARKS.md).
FOLD_IN_RIDGE = 1.0
# Share of the mean variance added to the prior covariance of users, so that it can be inverted.
PRIOR_SHRINKAGE = 0.01
CLASSIC_NEIGHBOURS = 20
# Ratings squeezed this far inside y_range before the logit, so a rating at the range's edge stays finite.
LOGIT_EPSILON = 1e-3

# Onboarding asks about movies among this many most rated: people have seen them, so they can answer.
ONBOARDING_POOL = 300

UNKNOWN_COLD_START_METHOD = "unknown cold-start method {method!r}; choose one of {choices}"
CLASSIC_NEEDS_RATINGS = "model has no training ratings for the classic cold start; placing the user without neighbours"

# Computed once per loaded model; forgotten with it.
_priors: WeakKeyDictionary = WeakKeyDictionary()


def _logit_targets(model: FactorModel, scores: np.ndarray) -> np.ndarray:
    lo, hi = model.y_range
    share = np.clip((np.asarray(scores, dtype=np.float64) - lo) / (hi - lo), LOGIT_EPSILON, 1 - LOGIT_EPSILON)
    return np.log(share / (1 - share))


def _user_prior(model: FactorModel) -> tuple[np.ndarray, np.ndarray]:
    """Mean and precision of the training users' (vector, bias): where a user we know little about lies."""
    prior = _priors.get(model)
    if prior is None:
        params = np.hstack([model.user_factors, model.user_bias[:, None]]).astype(np.float64)
        covariance = np.cov(params, rowvar=False) if len(params) > 1 else np.zeros((params.shape[1],) * 2)
        # A little shrinkage keeps the precision finite when there are few training users (or one).
        floor = PRIOR_SHRINKAGE * (np.trace(covariance) / len(covariance) or 1.0)
        prior = (params.mean(axis=0), np.linalg.inv(covariance + floor * np.eye(len(covariance))))
        _priors[model] = prior
    return prior


def user_fold_in(
    *, model: FactorModel, movie_rows: np.ndarray, scores: np.ndarray, ridge: float = FOLD_IN_RIDGE
) -> tuple[np.ndarray, float]:
    """Vector and bias by regularised least squares on the logit scale, against frozen movie factors and biases.

    The regulariser is the training users' own distribution (a Gaussian prior: their mean and covariance),
    scaled by ``ridge``; with ten ratings the data cannot pin down fifty factors, and the directions in which
    real users differ are the ones worth moving along. ``ridge`` plays the part of the noise variance.
    """
    factors = model.movie_factors[movie_rows].astype(np.float64)
    targets = _logit_targets(model, scores) - model.movie_bias[movie_rows]
    design = np.hstack([factors, np.ones((len(movie_rows), 1))])
    mean, precision = _user_prior(model)
    gram = design.T @ design + ridge * precision
    solution = np.linalg.solve(gram, design.T @ targets + ridge * precision @ mean)
    return solution[:-1], float(solution[-1])


def user_classic(
    *, model: FactorModel, movie_rows: np.ndarray, scores: np.ndarray, neighbours: int = CLASSIC_NEIGHBOURS
) -> tuple[np.ndarray, float]:
    """Similarity-weighted mean embedding and bias of the training users whose rating rows are most similar."""
    n_users = len(model.user_ids)
    dense = np.zeros(len(model.movie_ids))
    dense[movie_rows] = scores
    user_rows = model.rating_user_rows
    train_scores = model.rating_scores.astype(np.float64)
    dots = np.bincount(user_rows, weights=dense[model.rating_movie_rows] * train_scores, minlength=n_users)
    norms = np.sqrt(np.bincount(user_rows, weights=train_scores**2, minlength=n_users))
    similarity = dots / (np.where(norms > 0, norms, 1.0) * max(float(np.linalg.norm(scores)), 1e-12))
    k = min(neighbours, n_users)
    nearest = np.argpartition(-similarity, k - 1)[:k]
    weights = np.clip(similarity[nearest], 0.0, None)
    if weights.sum() <= 0:
        # No training user rated any of these movies: nothing to go on but the average user.
        return model.user_factors.mean(axis=0).astype(np.float64), float(model.user_bias.mean())
    weights = weights / weights.sum()
    return weights @ model.user_factors[nearest].astype(np.float64), float(weights @ model.user_bias[nearest])


def user_place(
    *, model: FactorModel, movie_rows: np.ndarray, scores: np.ndarray, method: str | None = None
) -> tuple[np.ndarray, float]:
    """Place a user from their ratings (movie rows of ``model``) by ``method`` or the RECOMMENDER_COLD_START setting.

    An ``nn`` model is always placed the classic way: fold-in solves a linear system that only a dot product
    gives. Without training ratings the classic way has no neighbours to ask, and the user is placed by
    fold-in (dot model) or at the average user (nn model).
    """
    method = method or settings.RECOMMENDER_COLD_START
    if method not in COLD_START_METHODS:
        raise ValueError(UNKNOWN_COLD_START_METHOD.format(method=method, choices=", ".join(COLD_START_METHODS)))
    if method == CLASSIC or model.has_mlp:
        if model.has_training_ratings:
            return user_classic(model=model, movie_rows=movie_rows, scores=scores)
        logger.warning(CLASSIC_NEEDS_RATINGS)
        if model.has_mlp:
            return model.user_factors.mean(axis=0).astype(np.float64), float(model.user_bias.mean())
    return user_fold_in(model=model, movie_rows=movie_rows, scores=scores)


def _spread_by_factors(units: np.ndarray, limit: int) -> list[int]:
    """Greedy farthest-point choice of row indices (cosine distance), starting from row 0, the most rated."""
    chosen = [0]
    distance = 1.0 - units @ units[0]
    while len(chosen) < min(limit, len(units)):
        distance[chosen] = -np.inf
        pick = int(np.argmax(distance))
        chosen.append(pick)
        distance = np.minimum(distance, 1.0 - units @ units[pick])
    return chosen


def _spread_by_genres(pool: list[int], limit: int) -> list[int]:
    """Round robin over genres, each time the most rated movie of the next genre not yet chosen."""
    genres_of: dict[int, list[int]] = {}
    for movie_id, genre_id in Movie.genres.through.objects.filter(movie_id__in=pool).values_list(
        "movie_id", "genre_id"
    ):
        genres_of.setdefault(movie_id, []).append(genre_id)
    queues: dict[int, list[int]] = {}
    for movie_id in pool:  # pool is most rated first, so every queue is too
        for genre_id in genres_of.get(movie_id, []):
            queues.setdefault(genre_id, []).append(movie_id)
    chosen: list[int] = []
    taken: set[int] = set()
    while len(chosen) < limit and any(queues.values()):
        for queue in queues.values():
            while queue and queue[0] in taken:
                queue.pop(0)
            if queue and len(chosen) < limit:
                taken.add(queue[0])
                chosen.append(queue.pop(0))
    # Movies without a genre, if the genres ran out.
    chosen += [m for m in pool if m not in taken][: limit - len(chosen)]
    return chosen


def onboarding_movies(*, user, limit: int = 20) -> list[Movie]:
    """Well-known movies the user has not rated, spread across the factor space (or genres without a model).

    Ordered most rated first, so the ones a newcomer is likeliest to have seen come first.
    """
    stats = movie_stats()
    rated = set(user_ratings(user_id=user.pk).movie_ids.tolist()) if user.is_authenticated else set()
    pool = [int(m) for m in stats.by_count[:ONBOARDING_POOL] if int(m) not in rated]
    served = served_model()
    in_model = [m for m in pool if served is not None and served.model.has_movie(m)]
    if len(in_model) >= limit:
        rows = [served.model.movie_index(m) for m in in_model]
        chosen = [in_model[i] for i in _spread_by_factors(served.movie_units[rows], limit)]
    else:
        chosen = _spread_by_genres(pool, limit)
    count_of = stats.count_of()
    chosen.sort(key=lambda m: (-count_of.get(m, 0), m))
    movies = Movie.objects.prefetch_related("genres").in_bulk(chosen)
    return [movies[m] for m in chosen if m in movies]
