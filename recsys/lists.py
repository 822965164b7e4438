"""The site's list for one user, in numpy: where the user stands in both models, the order, the stars, the reasons.

The web process (``recommender.services.recommendations``) and the benchmarks call the same functions, so what a
benchmark measures is what a person sees. A user the models learned keeps their learned vectors while their
ratings are the ones training saw; anyone else (new, or rated since the retrain) is placed from their ratings.
"""

from dataclasses import dataclass

import numpy as np

from recsys.cold_start import ColdStart, user_place
from recsys.ranking_model import ranking_fold_in, ranking_reasons
from recsys.rating_model import FactorModel

# "More like this" prefers movies with this many ratings: factors learned from a handful are mostly noise.
SIMILAR_MIN_RATINGS = 10
# A reason is chosen among the user's movies rated at least this; a user with none falls back to their best.
REASON_MIN_SCORE = 4.0


@dataclass(frozen=True)
class Taste:
    """A user's place in the rating model (vector, bias) and in the ranking model, with the ratings behind it."""

    vector: np.ndarray
    bias: float
    rank_vector: np.ndarray | None  # None when only the rating model was asked for
    rated_rows: np.ndarray  # movie rows of the rated movies the model knows
    rated_scores: np.ndarray


def user_taste(
    *,
    model: FactorModel,
    movie_rows: np.ndarray,
    scores: np.ndarray,
    times: np.ndarray,
    user_row: int | None = None,
    learned: bool = False,
    method: ColdStart = ColdStart.FOLD_IN,
    with_ranking: bool = True,
) -> Taste | None:
    """Where the user stands, from their ratings of known movies (rows, scores, Unix times); None with nothing to
    go on. ``user_row``: the user's row when training knew them; ``learned``: training saw exactly these ratings.
    Without ``with_ranking`` only the rating model's place is found (a prediction needs no more)."""
    movie_rows = np.asarray(movie_rows, dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    ranking = model.ranking
    if user_row is not None:
        vector, bias = model.user_factors[user_row], float(model.user_bias[user_row])
    elif len(movie_rows):
        vector, bias = user_place(model=model, movie_rows=movie_rows, scores=scores, method=method)
    else:
        return None
    if not with_ranking:
        rank_vector = None
    elif user_row is not None and (learned or not len(movie_rows)):
        # Learned from these very ratings, or none of the rated movies is known any more: nothing newer to go on.
        rank_vector = ranking.user_factors[user_row]
    else:
        rank_vector = ranking_fold_in(model=ranking, movie_rows=movie_rows, scores=scores, timestamps=times)
    return Taste(vector, bias, rank_vector, movie_rows, scores)


def list_order(*, model: FactorModel, taste: Taste, candidate_rows: np.ndarray) -> np.ndarray:
    """The candidate rows in the order of the site's list, best first."""
    candidate_rows = np.asarray(candidate_rows, dtype=np.int64)
    ranked = model.ranking.scores(taste.rank_vector)[candidate_rows]
    return candidate_rows[np.argsort(-ranked, kind="stable")]


def list_ratings(*, model: FactorModel, taste: Taste, movie_rows: np.ndarray) -> np.ndarray:
    """The stars shown beside each listed movie: the rating model's prediction."""
    return model.predict_vector(taste.vector, taste.bias, np.asarray(movie_rows, dtype=np.int64))


def list_reasons(*, model: FactorModel, taste: Taste, movie_rows: np.ndarray) -> np.ndarray:
    """For each listed movie, the rated movie row that explains it, among the user's liked ones (their best when
    none is liked); empty when the user rated nothing the model knows."""
    if not len(taste.rated_rows) or not len(movie_rows):
        return np.empty(0, dtype=np.int64)
    liked = taste.rated_scores >= min(REASON_MIN_SCORE, taste.rated_scores.max())
    return ranking_reasons(model=model.ranking, movie_rows=movie_rows, rated_rows=taste.rated_rows[liked])


def similar_rows(*, units: np.ndarray, row: int, counts: np.ndarray, limit: int) -> np.ndarray:
    """ "More like this" for movie ``row``: the nearest rows by cosine of the unit-length movie vectors ``units``,
    movies with at least SIMILAR_MIN_RATINGS ratings (``counts``, per row) first, the movie itself never."""
    similarity = units @ units[row]
    obscure = np.asarray(counts) < SIMILAR_MIN_RATINGS
    ranked = np.lexsort((-similarity, obscure))
    return ranked[ranked != row][:limit]
