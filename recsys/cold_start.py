"""New users: place a user the model never saw from their ratings alone, and spread a set of movies to ask about.

Two ways to place a user in the rating model, compared by ``bench/cold_start.py`` on MovieLens users held out of
training:
- classic: the training users whose rating rows are most similar (cosine) lend their embeddings and biases,
  averaged with the similarities as weights;
- fold-in: the user's vector and bias solved by regularised least squares against the frozen movie factors
  and biases, on the logit scale of the model's sigmoid, regularised towards the training users' distribution.
Both answer in well under a millisecond on MovieLens 100k, so a user is placed afresh on every request and
their newest rating counts at once; the next retrain makes them an ordinary user of the model.
"""

from enum import StrEnum
from weakref import WeakKeyDictionary

import numpy as np

from recsys.rating_model import FactorModel


class ColdStart(StrEnum):
    FOLD_IN = "fold_in"
    CLASSIC = "classic"


# Tuned by bench/cold_start.py (see BENCHMARKS.md).
FOLD_IN_RIDGE = 1.0
GAUSS_NEWTON_STEPS = 8
# Share of the mean variance added to the prior covariance of users, so that it can be inverted.
PRIOR_SHRINKAGE = 0.01
CLASSIC_NEIGHBOURS = 20
# Ratings squeezed this far inside y_range before the logit, so a rating at the range's edge stays finite.
LOGIT_EPSILON = 1e-3

# Computed once per loaded model; forgotten with it.
_priors: WeakKeyDictionary[FactorModel, tuple[np.ndarray, np.ndarray]] = WeakKeyDictionary()
_rating_norms: WeakKeyDictionary[FactorModel, np.ndarray] = WeakKeyDictionary()


def ratings_needed(*, model: FactorModel, method: ColdStart) -> bool:
    """Whether placing users in ``model`` by ``method`` reads the training ratings: the classic way does, and an
    ``nn`` model is always placed the classic way. Only then does an artifact carry them."""
    return method == ColdStart.CLASSIC or model.has_mlp


def artifact_form(*, model: FactorModel, method: ColdStart) -> FactorModel:
    """``model`` as its artifact carries it for placing users by ``method``: its users' fingerprints always, its
    training ratings only where ``ratings_needed``."""
    return model if ratings_needed(model=model, method=method) else model.without_training_ratings()


def _logit_targets(model: FactorModel, scores: np.ndarray) -> np.ndarray:
    lo, hi = model.y_range
    share = np.clip((np.asarray(scores, dtype=np.float64) - lo) / (hi - lo), LOGIT_EPSILON, 1 - LOGIT_EPSILON)
    return np.log(share / (1 - share))


def user_prior_prepare(*, model: FactorModel) -> None:
    """Compute the training users' prior for ``model`` now (a covariance over every user: tens of ms at ml-25m's
    162,541), so that the first person placed after a model is loaded does not wait for it."""
    _user_prior(model)


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
    """Vector and bias that solve training's problem for one user with the movies frozen: the squared error of the
    predicted ratings (through the model's sigmoid) plus a Gaussian prior, the training users' own distribution
    (their mean and covariance) scaled by ``ridge``. With ten ratings the data cannot pin down fifty factors, and
    the directions in which real users differ are the ones worth moving along.

    Least squares on the logit scale gives the start; Gauss-Newton steps on the rating scale then solve the
    problem itself, so that a user placed by fold-in and the same user learned by the next retrain get the same
    stars (bench/taste.py, stable stars). An nn model has no dot product to solve for: see ``user_place``.
    """
    movie_rows = np.asarray(movie_rows, dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    design = np.hstack([model.movie_factors[movie_rows].astype(np.float64), np.ones((len(movie_rows), 1))])
    movie_bias = model.movie_bias[movie_rows].astype(np.float64)
    mean, precision = _user_prior(model)
    gram = design.T @ design + ridge * precision
    theta = np.linalg.solve(gram, design.T @ (_logit_targets(model, scores) - movie_bias) + ridge * precision @ mean)
    lo, hi = model.y_range
    for _ in range(GAUSS_NEWTON_STEPS):
        squashed = 1.0 / (1.0 + np.exp(-(design @ theta + movie_bias)))
        jacobian = design * ((hi - lo) * squashed * (1.0 - squashed))[:, None]
        residuals = scores - (lo + (hi - lo) * squashed)
        step = np.linalg.solve(
            jacobian.T @ jacobian + ridge * precision, jacobian.T @ residuals - ridge * precision @ (theta - mean)
        )
        theta = theta + step
        if np.abs(step).max() < 1e-6:
            break
    return theta[:-1], float(theta[-1])


def user_classic(
    *, model: FactorModel, movie_rows: np.ndarray, scores: np.ndarray, neighbours: int = CLASSIC_NEIGHBOURS
) -> tuple[np.ndarray, float]:
    """Similarity-weighted mean embedding and bias of the training users whose rating rows are most similar
    (a ValueError for a model without its training ratings).

    Only the ratings of the newcomer's movies enter the dot products (the others meet a zero), so only those are
    read; the training users' norms are computed once per model.
    """
    n_users = len(model.user_ids)
    training = model.training_ratings()
    scores = np.asarray(scores, dtype=np.float64)
    which, user_rows, train_scores = training.of_movies(movie_rows)
    dots = np.bincount(user_rows, weights=scores[which] * train_scores.astype(np.float64), minlength=n_users)
    norms = _rating_norms.get(model)
    if norms is None:
        squares = training.scores.astype(np.float64) ** 2
        norms = np.sqrt(np.bincount(training.user_rows, weights=squares, minlength=n_users))
        _rating_norms[model] = norms
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
    *, model: FactorModel, movie_rows: np.ndarray, scores: np.ndarray, method: ColdStart = ColdStart.FOLD_IN
) -> tuple[np.ndarray, float]:
    """Place a user in the rating model from their ratings (movie rows of ``model``) by ``method``.

    An ``nn`` model is always placed the classic way: fold-in solves a linear system that only a dot product
    gives. Without training ratings the classic way has no neighbours to ask, and the user is placed by
    fold-in (dot model) or at the average user (nn model).
    """
    if ratings_needed(model=model, method=method):
        if model.has_training_ratings:
            return user_classic(model=model, movie_rows=movie_rows, scores=scores)
        if model.has_mlp:
            return model.user_factors.mean(axis=0).astype(np.float64), float(model.user_bias.mean())
    return user_fold_in(model=model, movie_rows=movie_rows, scores=scores)


def spread_by_factors(*, units: np.ndarray, limit: int) -> list[int]:
    """Greedy farthest-point choice of row indices (cosine distance), starting from row 0, the most rated."""
    chosen = [0]
    distance = 1.0 - units @ units[0]
    while len(chosen) < min(limit, len(units)):
        distance[chosen] = -np.inf
        pick = int(np.argmax(distance))
        chosen.append(pick)
        distance = np.minimum(distance, 1.0 - units @ units[pick])
    return chosen
