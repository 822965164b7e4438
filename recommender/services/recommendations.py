"""What the site recommends: personal lists with a reason, the popularity list, predictions and similar movies.

Every function answers from the model held by ``serving`` and never raises because of it: without a servable
model, for an anonymous visitor, or for a user with nothing to go on, the answer is the popularity list
(``is_fallback``) or None. A user the model has not seen (signed up after the last retrain) is placed from
their current ratings on every request (``onboarding.user_place``), so each new rating counts at once.

The list's order comes from the ranking model when the artifact carries one (``ranking_scores``): the rating
model ranks obscure movies with a few glowing ratings first, the ranking model the movies a user is likely to
rate highly next. The rating shown beside each movie stays the rating model's prediction. A user whose ratings
the ranking model did not all learn from (new, rated since the retrain, or some held out for validation) is
placed by ``ranking_fold_in`` from all their current ratings, a few milliseconds.
"""

from dataclasses import dataclass

import numpy as np

from ratings.models import MAX_SCORE, MIN_SCORE, Movie
from recommender.models import ModelVersion
from recommender.selectors import genre_movie_ids, movie_stats, user_ratings
from recommender.services.onboarding import onboarding_movies, user_place
from recommender.services.ranking_scores import ranking_fold_in, ranking_reasons
from recommender.services.serving import ServedModel, served_model

__all__ = [
    "FALLBACK_ANONYMOUS",
    "FALLBACK_NO_MODEL",
    "FALLBACK_NO_RATINGS",
    "Recommendation",
    "RecommendationPage",
    "onboarding_movies",
    "popular_movies",
    "rating_predict",
    "recommendations_for_user",
    "similar_movies",
]

# Why a page shows the popularity list instead of personal recommendations.
FALLBACK_ANONYMOUS = "anonymous"
FALLBACK_NO_MODEL = "no_model"  # no active version, or its artifact is missing or tampered (logged by serving)
FALLBACK_NO_RATINGS = "no_ratings"  # signed in, but nothing rated that the model knows
# A reason is chosen among the user's movies rated at least this; a user with none falls back to their best.
REASON_MIN_SCORE = 4.0
# "More like this" prefers movies with this many ratings: factors learned from a handful are mostly noise.
SIMILAR_MIN_RATINGS = 10


@dataclass(frozen=True)
class Recommendation:
    movie: Movie
    predicted_rating: float | None  # None for the popularity fallback
    reason: Movie | None  # the user's highly rated movie nearest in factor space ("because you rated X")
    reason_score: float | None  # the score the user gave the reason movie


@dataclass(frozen=True)
class RecommendationPage:
    items: list[Recommendation]
    total: int  # for pagination
    model_version: ModelVersion | None  # the active version that produced them
    is_fallback: bool  # popularity list (no model, broken artifact, anonymous, nothing rated)
    fallback_reason: str | None = None  # one of the FALLBACK_* constants when is_fallback


def _movies_by_id(ids: list[int]) -> dict[int, Movie]:
    """The listed movies with their genres, in two queries (cards show the genres)."""
    return Movie.objects.prefetch_related("genres").in_bulk(ids)


def _popular_page(
    *, limit: int, offset: int, genre: str | None, exclude: set[int], fallback_reason: str
) -> RecommendationPage:
    limit, offset = max(limit, 0), max(offset, 0)
    ranked = movie_stats().by_rating.tolist()
    allowed = genre_movie_ids(slug=genre) if genre else None
    ranked = [m for m in ranked if m not in exclude and (allowed is None or m in allowed)]
    page_ids = ranked[offset : offset + limit]
    movies = _movies_by_id(page_ids)
    items = [Recommendation(movies[m], None, None, None) for m in page_ids if m in movies]
    return RecommendationPage(
        items=items, total=len(ranked), model_version=None, is_fallback=True, fallback_reason=fallback_reason
    )


def popular_movies(*, limit: int = 20, offset: int = 0, genre: str | None = None) -> RecommendationPage:
    """The best-rated movies by Bayesian average, for visitors and whenever no personal list can be made."""
    return _popular_page(limit=limit, offset=offset, genre=genre, exclude=set(), fallback_reason=FALLBACK_ANONYMOUS)


@dataclass(frozen=True)
class _Taste:
    vector: np.ndarray
    bias: float
    rated_ids: np.ndarray  # every movie the user rated on the site
    known_rows: np.ndarray  # model rows of the rated movies the model knows
    known_scores: np.ndarray
    rank_vector: np.ndarray | None = None  # the user in the ranking model's space, when the artifact has one


def _taste(served: ServedModel, user_id: int, *, rank: bool = True) -> _Taste | None:
    """The user's place in the model: learned when they were in training, else solved from their ratings; with
    ``rank``, in the ranking model's space too (when the artifact has one)."""
    model = served.model
    ranking = model.ranking if rank else None
    rated_ids, scores, times = user_ratings(user_id=user_id)
    known = np.array([model.has_movie(m) for m in rated_ids], dtype=bool)
    known_rows = np.array([model.movie_index(m) for m in rated_ids[known]], dtype=np.int64)
    known_scores = scores[known]
    if model.has_user(user_id):
        row = model.user_index(user_id)
        vector, bias = model.user_factors[row], float(model.user_bias[row])
    elif len(known_rows):
        vector, bias = user_place(model=model, movie_rows=known_rows, scores=known_scores)
    else:
        return None
    rank_vector = None
    if ranking is not None:
        row = model.user_index(user_id) if model.has_user(user_id) else None
        if row is not None and served.learned_from(user_row=row, movie_rows=known_rows, scores=known_scores):
            rank_vector = ranking.user_factors[row]
        elif len(known_rows):
            rank_vector = ranking_fold_in(
                model=ranking, movie_rows=known_rows, scores=known_scores, timestamps=times[known]
            )
        else:
            # A trained user none of whose rated movies the model knows any more: nothing newer to go on.
            rank_vector = ranking.user_factors[row]
    return _Taste(vector, bias, rated_ids, known_rows, known_scores, rank_vector)


def _clip_rating(value: float) -> float:
    return float(min(max(value, MIN_SCORE), MAX_SCORE))


def recommendations_for_user(*, user, limit: int = 20, offset: int = 0, genre: str | None = None) -> RecommendationPage:
    """The user's best movies that they have not rated (by the ranking model's score, or by predicted rating
    when the artifact has no ranking model), each with its predicted rating and the rated movie that explains it."""
    if not user.is_authenticated:
        return popular_movies(limit=limit, offset=offset, genre=genre)
    served = served_model()
    taste = _taste(served, user.pk) if served is not None else None
    if taste is None:
        rated = set(user_ratings(user_id=user.pk).movie_ids.tolist())
        reason = FALLBACK_NO_MODEL if served is None else FALLBACK_NO_RATINGS
        return _popular_page(limit=limit, offset=offset, genre=genre, exclude=rated, fallback_reason=reason)

    limit, offset = max(limit, 0), max(offset, 0)
    model = served.model
    candidates = np.ones(len(model.movie_ids), dtype=bool)
    candidates[[model.movie_index(m) for m in taste.rated_ids if model.has_movie(m)]] = False
    if genre:
        in_genre = genre_movie_ids(slug=genre)
        candidates &= np.fromiter((int(m) in in_genre for m in model.movie_ids), dtype=bool, count=len(candidates))
    rows = np.flatnonzero(candidates)
    if taste.rank_vector is None:
        predicted = model.predict_vector(taste.vector, taste.bias, rows)
        order = np.argsort(-predicted, kind="stable")[offset : offset + limit]
        page_rows, page_predicted = rows[order], predicted[order]
    else:
        ranked = model.ranking.scores(taste.rank_vector)[rows]
        page_rows = rows[np.argsort(-ranked, kind="stable")[offset : offset + limit]]
        page_predicted = model.predict_vector(taste.vector, taste.bias, page_rows)

    reasons: list[tuple[int, float] | None] = [None] * len(page_rows)
    if len(taste.known_rows) and len(page_rows):
        liked = taste.known_scores >= min(REASON_MIN_SCORE, taste.known_scores.max())
        liked_rows, liked_scores = taste.known_rows[liked], taste.known_scores[liked]
        if model.ranking is None:
            nearest = (served.movie_units[page_rows] @ served.movie_units[liked_rows].T).argmax(axis=1)
            reason_rows = liked_rows[nearest]
        else:
            # The rating factors explain badly: one much-liked movie was nearest to nearly everything.
            reason_rows = ranking_reasons(model=model.ranking, movie_rows=page_rows, rated_rows=liked_rows)
        score_of = dict(zip(liked_rows.tolist(), liked_scores.tolist(), strict=True))
        reasons = [(int(model.movie_ids[r]), float(score_of[int(r)])) for r in reason_rows]

    page_ids = [int(m) for m in model.movie_ids[page_rows]]
    movies = _movies_by_id(page_ids)
    # Reasons are named, not shown as cards: no genres needed, which saves most of the prefetch's cost.
    reason_movies = Movie.objects.in_bulk({reason[0] for reason in reasons if reason})
    items = [
        Recommendation(
            movie=movies[movie_id],
            predicted_rating=_clip_rating(prediction),
            reason=reason_movies.get(reason[0]) if reason else None,
            reason_score=reason[1] if reason and reason[0] in reason_movies else None,
        )
        for movie_id, prediction, reason in zip(page_ids, page_predicted, reasons, strict=True)
        if movie_id in movies  # a movie deleted since training is skipped, not an error
    ]
    return RecommendationPage(items=items, total=len(rows), model_version=served.version, is_fallback=False)


def rating_predict(*, user, movie: Movie) -> float | None:
    """The rating the active model predicts ``user`` would give ``movie``; None when it cannot say."""
    if not user.is_authenticated:
        return None
    served = served_model()
    if served is None or not served.model.has_movie(movie.pk):
        return None
    taste = _taste(served, user.pk, rank=False)
    if taste is None:
        return None
    row = np.array([served.model.movie_index(movie.pk)])
    return _clip_rating(float(served.model.predict_vector(taste.vector, taste.bias, row)[0]))


def _similar_by_factors(served: ServedModel, movie: Movie, limit: int) -> list[int]:
    model = served.model
    similarity = served.movie_units @ served.movie_units[model.movie_index(movie.pk)]
    counts = movie_stats().count_of()
    obscure = np.fromiter((counts.get(int(m), 0) < SIMILAR_MIN_RATINGS for m in model.movie_ids), dtype=bool)
    # Well-known movies first, nearest first; the obscure ones only when there are not enough of them.
    ranked = model.movie_ids[np.lexsort((-similarity, obscure))]
    return [int(m) for m in ranked[ranked != movie.pk][:limit]]


def _similar_by_genres(movie: Movie, limit: int) -> list[int]:
    genres = set(movie.genres.values_list("pk", flat=True))
    if not genres:
        return []
    pairs = Movie.genres.through.objects.filter(genre_id__in=genres).exclude(movie_id=movie.pk)
    shared: dict[int, int] = {}
    for movie_id in pairs.values_list("movie_id", flat=True):
        shared[movie_id] = shared.get(movie_id, 0) + 1
    counts = movie_stats().count_of()
    return sorted(shared, key=lambda m: (-shared[m], -counts.get(m, 0), m))[:limit]


def similar_movies(*, movie: Movie, limit: int = 10) -> list[Movie]:
    """The nearest movies by cosine of the active model's factors; by shared genres without a model."""
    served = served_model()
    if served is not None and served.model.has_movie(movie.pk):
        ids = _similar_by_factors(served, movie, limit)
    else:
        ids = _similar_by_genres(movie, limit)
    movies = _movies_by_id(ids)
    return [movies[m] for m in ids if m in movies]
