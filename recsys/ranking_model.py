"""The ranking model in its serving form: numpy arrays that score, place new users and explain, with no torch.

A user is a vector u in a factor space; each movie has a vector v and a bias b. The score of movie m for user u
is the logit of a softmax over the whole catalogue, ``u . v_m + b_m``: its order is the order of how likely the
user is to rate m highly next. Training (``train_ranking.py``) learns these arrays; the web process only reads them.
"""

from dataclasses import dataclass
from weakref import WeakKeyDictionary

import numpy as np

# A rating of this or more says "liked"; every other rating still says "watched", with a smaller weight.
LIKED_MIN_RATING = 4.0
OTHER_WEIGHT = 0.3
# A user's oldest rating weighs exp(-RECENCY) as much as their newest: tastes drift, and the next movies a
# user rates are nearer their latest ones (bench/ranking_quality.py, time split).
RECENCY = 0.5
FOLD_IN_MAX_STEPS = 25
# Movies per float32 product of the softmax's mean (see _expected).
EXPECTED_CHUNK = 4_096

_first_points: "WeakKeyDictionary[RankingModel, _FirstPoint]" = WeakKeyDictionary()
EMPTY_FOLD_IN = "a user can only be placed from at least one rated movie the model knows"
LENGTHS_DIFFER = "movie_rows, scores and timestamps must have the same length"


@dataclass(frozen=True, eq=False)
class RankingModel:
    """Rows line up with ``user_ids`` and ``movie_ids``; the scalars say how training weighed the ratings."""

    user_ids: np.ndarray  # int64 [n_users]
    movie_ids: np.ndarray  # int64 [n_movies]
    user_factors: np.ndarray  # float32 [n_users, k]
    user_mean: np.ndarray  # float32 [k]: the average trained user, the centre of fold-in's prior
    movie_factors: np.ndarray  # float32 [n_movies, k]
    movie_bias: np.ndarray  # float32 [n_movies]
    user_ridge: float  # the weight of the prior on user vectors in training, and in fold-in
    other_weight: float = OTHER_WEIGHT
    recency: float = RECENCY

    def scores(self, user_vectors: np.ndarray) -> np.ndarray:
        """Logits of every movie for one user vector [k] or a stack of them [n, k]."""
        return user_vectors @ self.movie_factors.T + self.movie_bias

    def aligned(self, *, user_ids: np.ndarray, movie_ids: np.ndarray) -> "RankingModel":
        """The same model with rows in the order of other vocabularies (e.g. the rating model's).

        A user this model never saw gets the average user (the prior's centre, whose list is near the
        popularity list); a movie it never saw gets a bias below every other, so it ranks last.
        """
        user_rows, movie_rows = _rows_of(self.user_ids, user_ids), _rows_of(self.movie_ids, movie_ids)
        k = self.movie_factors.shape[1]
        user_factors = np.tile(self.user_mean.astype(np.float32), (len(user_rows), 1))
        user_factors[user_rows >= 0] = self.user_factors[user_rows[user_rows >= 0]]
        movie_factors = np.zeros((len(movie_rows), k), dtype=np.float32)
        movie_factors[movie_rows >= 0] = self.movie_factors[movie_rows[movie_rows >= 0]]
        movie_bias = np.full(len(movie_rows), self.movie_bias.min() - 10.0, dtype=np.float32)
        movie_bias[movie_rows >= 0] = self.movie_bias[movie_rows[movie_rows >= 0]]
        return RankingModel(
            user_ids=np.asarray(user_ids, dtype=np.int64),
            movie_ids=np.asarray(movie_ids, dtype=np.int64),
            user_factors=user_factors,
            user_mean=self.user_mean,
            movie_factors=movie_factors,
            movie_bias=movie_bias,
            user_ridge=self.user_ridge,
            other_weight=self.other_weight,
            recency=self.recency,
        )


def _rows_of(vocabulary: np.ndarray, ids: np.ndarray) -> np.ndarray:
    index = {int(x): i for i, x in enumerate(vocabulary)}
    return np.array([index.get(int(x), -1) for x in ids], dtype=np.int64)


def rating_ages(user_rows: np.ndarray, timestamps: np.ndarray) -> np.ndarray:
    """Per rating, 0 for its user's newest and 1 for their oldest, evenly by rank between (ties: row order).

    A user with a single rating has only a newest one.
    """
    user_rows, timestamps = np.asarray(user_rows), np.asarray(timestamps)
    order = np.lexsort((np.arange(len(user_rows)), timestamps, user_rows))
    sorted_users = user_rows[order]
    starts = np.flatnonzero(np.r_[True, sorted_users[1:] != sorted_users[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    rank = np.arange(len(order)) - np.repeat(starts, sizes)
    ages = np.empty(len(order))
    newer = np.repeat(sizes, sizes) - 1 - rank  # ratings of the same user after this one
    ages[order] = newer / np.maximum(np.repeat(sizes, sizes) - 1, 1)
    return ages


def ranking_weights(
    *,
    scores: np.ndarray,
    ages: np.ndarray | None = None,
    other_weight: float = OTHER_WEIGHT,
    recency: float = RECENCY,
) -> np.ndarray:
    """How much each rating counts: 1 when liked, ``other_weight`` otherwise, times exp(-recency * age)."""
    weights = np.where(np.asarray(scores) >= LIKED_MIN_RATING, 1.0, other_weight)
    if ages is not None and recency:
        weights = weights * np.exp(-recency * np.asarray(ages))
    return weights


def ranking_fold_in(
    *,
    model: RankingModel,
    movie_rows: np.ndarray,
    scores: np.ndarray,
    timestamps: np.ndarray | None = None,
    ridge: float | None = None,
) -> np.ndarray:
    """The vector of a user the model never saw, from their ratings (movie rows of ``model``, scores, times).

    Solves one user's training objective with the movies frozen: minus the weighted softmax log-likelihood of
    the rated movies plus ``ridge / 2 * |u - user_mean|^2`` (ridge: training's ``user_ridge``). Training
    centres that prior on zero; fold-in centres it on the average trained user, because a user with a few
    ratings is best guessed as the average user, whose list is close to the popularity list, while the zero
    vector (movie biases alone) ranks far worse (bench/ranking_quality.py, new users). The problem is convex:
    Newton's method solves it in a few steps, a few milliseconds in all at MovieLens scale. Without
    timestamps every rating counts as new.
    """
    movie_rows = np.asarray(movie_rows, dtype=np.int64)
    if not len(movie_rows):
        raise ValueError(EMPTY_FOLD_IN)
    if len(scores) != len(movie_rows) or (timestamps is not None and len(timestamps) != len(movie_rows)):
        raise ValueError(LENGTHS_DIFFER)
    ages = None if timestamps is None else rating_ages(np.zeros(len(movie_rows)), timestamps)
    rating_weights = ranking_weights(scores=scores, ages=ages, other_weight=model.other_weight, recency=model.recency)
    ridge = model.user_ridge if ridge is None else ridge
    # Only the rated rows weigh anything: a product over them alone, not over every movie.
    rated = model.movie_factors[movie_rows].astype(np.float64)
    total, target = float(rating_weights.sum()), rated.T @ rating_weights
    mean = model.user_mean.astype(np.float64)

    def objective(u: np.ndarray, logits: np.ndarray) -> tuple[float, np.ndarray]:
        top = logits.max()
        p = np.exp(logits - top)
        norm = p.sum()
        offset = u - mean
        value = total * (top + np.log(norm)) - rating_weights @ logits[movie_rows] + ridge / 2 * offset @ offset
        return float(value), p / norm

    def curvature(p: np.ndarray, expected: np.ndarray) -> np.ndarray:
        hessian = total * _curvature_bracket(model, p, expected)
        hessian[np.diag_indices_from(hessian)] += ridge
        return hessian

    # Every placement starts at the mean, where the logits, the softmax and the Hessian's sum over every movie are
    # the same for everyone: they are computed once per model (_first_point), only the weights differ.
    first = _first_point(model)
    vector = mean.copy()
    value = float(total * first.log_normaliser - rating_weights @ first.logits[movie_rows])
    logits, p, expected = first.logits, first.p, first.expected
    hessian: np.ndarray | None = total * first.bracket + ridge * np.eye(len(mean))
    fresh = True
    gradient = total * expected - target
    for _ in range(FOLD_IN_MAX_STEPS):
        if hessian is None:
            hessian, fresh = curvature(p, expected), True
        step = np.linalg.solve(hessian, gradient)
        # The logits move by the step's own product (float32, as the factors are stored): its rounding is relative
        # to the step, so near the optimum the values compared stay exact enough, and a halving needs no product.
        # Halving keeps every step downhill; near the optimum the full Newton step is taken.
        direction = (model.movie_factors @ step.astype(np.float32)).astype(np.float64)
        scale = 1.0
        while True:
            candidate, new_logits = vector - scale * step, logits - scale * direction
            new_value, new_p = objective(candidate, new_logits)
            if new_value <= value or scale < 1e-3:
                break
            scale /= 2
        if new_value > value:
            if fresh:
                break
            hessian = None
            continue
        done = value - new_value <= 1e-10 * max(1.0, abs(value))
        new_expected = _expected(model, new_p)
        new_gradient = total * new_expected - target + ridge * (candidate - mean)
        # The Hessian of the start is updated by BFGS from the gradients seen, and computed afresh only after a step
        # that went uphill: its sum over every movie was 24 ms at ml-25m's shape, a step's two products 4 ms.
        moved, change = candidate - vector, new_gradient - gradient
        curved = moved @ change
        if curved > 0:
            pushed = hessian @ moved
            hessian = hessian + np.outer(change, change) / curved - np.outer(pushed, pushed) / (moved @ pushed)
        vector, value, logits, p, expected, gradient = (
            candidate,
            new_value,
            new_logits,
            new_p,
            new_expected,
            new_gradient,
        )
        fresh = False
        if done:
            break
    return vector.astype(np.float32)


def ranking_fold_in_prepare(*, model: RankingModel) -> None:
    """Compute fold-in's start for ``model`` now (tens of ms at ml-25m's shape), so that the first newcomer
    placed after a model is loaded does not wait for it (recsys.lists.taste_prepare)."""
    _first_point(model)


@dataclass(frozen=True)
class _FirstPoint:
    """Fold-in's start, the user mean, as every placement in a model sees it before its weights."""

    logits: np.ndarray  # [n_movies]
    log_normaliser: float  # log of the softmax's sum
    p: np.ndarray  # the softmax
    expected: np.ndarray  # [k]: the movie factors' mean under it
    bracket: np.ndarray  # [k, k]: the Hessian's sum over every movie, before the weights' total and the ridge


def _first_point(model: RankingModel) -> _FirstPoint:
    found = _first_points.get(model)
    if found is None:
        factors = model.movie_factors.astype(np.float64)
        logits = factors @ model.user_mean.astype(np.float64) + model.movie_bias.astype(np.float64)
        top = logits.max()
        p = np.exp(logits - top)
        norm = p.sum()
        p = p / norm
        expected = factors.T @ p
        found = _first_points[model] = _FirstPoint(
            logits, float(top + np.log(norm)), p, expected, _curvature_bracket(model, p, expected)
        )
    return found


def _expected(model: RankingModel, p: np.ndarray) -> np.ndarray:
    """The movie factors' mean under the softmax ``p``: float32 products of chunks of rows, summed in float64, so the
    rounding is that of a chunk, not of the whole catalogue."""
    p32 = p.astype(np.float32)
    total = np.zeros(model.movie_factors.shape[1])
    for start in range(0, len(p32), EXPECTED_CHUNK):
        chunk = slice(start, start + EXPECTED_CHUNK)
        total += model.movie_factors[chunk].T @ p32[chunk]
    return total


def _curvature_bracket(model: RankingModel, p: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """The softmax's covariance of the movie factors, sum of p v v^T less e e^T: the Hessian per unit of weight.

    In float32 (the movie factors as stored): the sum over every movie was 50 times the rest of a step in float64
    at ml-25m's 59,047 movies. The gradient stays float64, so the optimum is the same.
    """
    weighted = model.movie_factors * p.astype(np.float32)[:, None]
    return (weighted.T @ model.movie_factors).astype(np.float64) - np.outer(expected, expected)


def ranking_reasons(*, model: RankingModel, movie_rows: np.ndarray, rated_rows: np.ndarray) -> np.ndarray:
    """For each recommended movie row, the rated movie row nearest to it by cosine of the ranking factors."""
    rated_rows = np.asarray(rated_rows, dtype=np.int64)
    # Only the rows compared are normalised: this runs on every page of recommendations.
    shown = unit_rows(model.movie_factors[np.asarray(movie_rows, dtype=np.int64)])
    nearest = (shown @ unit_rows(model.movie_factors[rated_rows]).T).argmax(axis=1)
    return rated_rows[nearest]


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (a zero row stays zero), for cosine similarities by dot products."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)
