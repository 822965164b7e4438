"""What the site recommends: personal lists with a reason, the popularity list, predictions and similar movies.

Every function answers from the model held by ``serving`` and never raises because of it: without a servable
model, for an anonymous visitor, or for a user with nothing to go on, the answer is the popularity list (with its
``Fallback`` reason) or None. The list itself is the ML core's (``recsys.lists``): ordered by the ranking model,
shown with the rating model's prediction, explained by the nearest liked movie. A user the models have not
learned (signed up or rated since the last retrain) is placed from their current ratings on every request, so
each new rating counts at once.
"""

from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np
from django.contrib.auth.models import AnonymousUser, User

from feedback.services import Teams
from ratings.models import MAX_SCORE, MIN_SCORE, Mark, Movie
from ratings.selectors import user_mark_ids
from recommender.models import ModelVersion
from recommender.selectors import genre_movie_ids, movie_stats, user_ratings
from recommender.services.comparison_serving import ServedComparison, served_comparison
from recommender.services.onboarding import cold_start_method, onboarding_movies
from recommender.services.placements import placement_key
from recommender.services.serving import ServedModel, served_model
from recsys.interleaving import Team, interleave, interleaving_seed
from recsys.lists import Taste, list_genre_reasons, list_order, list_ratings, list_reasons, similar_rows, user_taste
from recsys.rating_model import FactorModel

__all__ = [
    "Fallback",
    "Recommendation",
    "RecommendationPage",
    "onboarding_movies",
    "popular_movies",
    "rating_predict",
    "recommendations_for_user",
    "served_version",
    "similar_movies",
]


class Fallback(StrEnum):
    """Why a page shows the popularity list instead of personal recommendations."""

    ANONYMOUS = "anonymous"
    NO_MODEL = "no_model"  # no active version, or its artifact is missing or cannot be served (logged by serving)
    NO_RATINGS = "no_ratings"  # signed in, but nothing rated that the model knows


@dataclass(frozen=True)
class Recommendation:
    movie: Movie
    predicted_rating: float | None  # None for the popularity fallback
    reason: Movie | None  # the user's liked movie nearest to it ("because you rated X")
    reason_score: float | None  # the score the user gave the reason movie
    # Without a near liked movie: the genre of it the user likes ("because you like Comedy"), else None (the card
    # then says how widely liked it is, which is what put it there).
    reason_genre: str | None = None


@dataclass(frozen=True)
class RecommendationPage:
    items: list[Recommendation]
    total: int  # for pagination
    model_version: ModelVersion | None  # the active version that produced them
    fallback: Fallback | None = None  # why this is the popularity list; None for a personal list
    # A running comparison's list: its id and each movie's version (the team it came from), as it is recorded.
    teams: Teams | None = None

    @property
    def is_fallback(self) -> bool:
        return self.fallback is not None


def _movies_by_id(ids: list[int]) -> dict[int, Movie]:
    """The listed movies with their genres, in two queries (cards show the genres)."""
    return Movie.objects.prefetch_related("genres").in_bulk(ids)


def _popular_page(
    *, limit: int, offset: int, genre: str | None, exclude: set[int], fallback: Fallback
) -> RecommendationPage:
    limit, offset = max(limit, 0), max(offset, 0)
    ranked = movie_stats().by_rating.tolist()
    allowed = genre_movie_ids(slug=genre) if genre else None
    ranked = [m for m in ranked if m not in exclude and (allowed is None or m in allowed)]
    page_ids = ranked[offset : offset + limit]
    movies = _movies_by_id(page_ids)
    items = [Recommendation(movies[m], None, None, None) for m in page_ids if m in movies]
    return RecommendationPage(items=items, total=len(ranked), model_version=None, fallback=fallback)


def popular_movies(*, limit: int = 20, offset: int = 0, genre: str | None = None) -> RecommendationPage:
    """The best-rated movies by Bayesian average, for visitors and whenever no personal list can be made."""
    return _popular_page(limit=limit, offset=offset, genre=genre, exclude=set(), fallback=Fallback.ANONYMOUS)


def _taste(served: ServedModel, user_id: int, *, with_ranking: bool = True) -> Taste | None:
    """The user's place in both models, from their current ratings of the movies the model knows."""
    model = served.model
    rated_ids, scores, times = user_ratings(user_id=user_id)
    rows = model.movie_rows(rated_ids)
    known = rows >= 0
    rows = rows[known]
    scores, times = scores[known], times[known]
    method = cold_start_method(model=model)

    def place() -> Taste | None:
        user_row = model.user_index(user_id) if model.has_user(user_id) else None
        learned = user_row is not None and served.learned_from(user_row=user_row, movie_rows=rows, scores=scores)
        return user_taste(
            model=model,
            movie_rows=rows,
            scores=scores,
            times=times,
            user_row=user_row,
            learned=learned,
            method=method,
            with_ranking=with_ranking,
        )

    key = placement_key(
        user_id=user_id, method=method, with_ranking=with_ranking, movie_rows=rows, scores=scores, times=times
    )
    return served.placements.placed(key, place)


# "Not interested" tells the list what a 1-star rating would: its nearest movies are pushed away.
HIDDEN_AS_SCORE = 1.0


def _with_hidden_as_dislikes(model: FactorModel, taste: Taste, hidden: set[int]) -> Taste:
    """The taste the list's order is computed from: the user's ratings, and each hidden movie the model knows (and
    the user has not rated) as if rated HIDDEN_AS_SCORE. The place in the models, the stars and the reasons stay
    those of the ratings alone."""
    rows = model.movie_rows(np.fromiter(hidden, dtype=np.int64, count=len(hidden)))
    rows = np.setdiff1d(rows[rows >= 0], taste.rated_rows)
    if not len(rows):
        return taste
    return replace(
        taste,
        rated_rows=np.concatenate([taste.rated_rows, rows]),
        rated_scores=np.concatenate([taste.rated_scores, np.full(len(rows), HIDDEN_AS_SCORE)]),
    )


def _clip_rating(value: float) -> float:
    return float(min(max(value, MIN_SCORE), MAX_SCORE))


@dataclass(frozen=True)
class _Wanted:
    """What a person's list leaves out (rated aside): their marked movies, and other genres when one is asked for."""

    excluded: set[int]
    hidden: set[int]
    genre_movie_ids: np.ndarray | None  # the genre's movies when one is asked for, read once for both lists


def recommendations_for_user(
    *, user: User | AnonymousUser, limit: int = 20, offset: int = 0, genre: str | None = None
) -> RecommendationPage:
    """The user's best movies that they have not rated, in the order of the site's list, each with its predicted
    rating and the liked movie that explains it. A person in a running comparison gets its interleaved list."""
    if not user.is_authenticated:
        return popular_movies(limit=limit, offset=offset, genre=genre)
    served = served_model()
    taste = _taste(served, user.pk) if served is not None else None
    # A watchlisted or hidden movie leaves the list at once; a hidden one also counts as a dislike below.
    marked = user_mark_ids(user_id=user.pk)
    excluded = marked[Mark.WATCHLIST] | marked[Mark.HIDDEN]
    if served is None or taste is None:
        rated = set(user_ratings(user_id=user.pk).movie_ids.tolist())
        fallback = Fallback.NO_MODEL if served is None else Fallback.NO_RATINGS
        return _popular_page(limit=limit, offset=offset, genre=genre, exclude=rated | excluded, fallback=fallback)

    limit, offset = max(limit, 0), max(offset, 0)
    in_genre = np.fromiter(genre_movie_ids(slug=genre), dtype=np.int64) if genre else None
    wanted = _Wanted(excluded=excluded, hidden=marked[Mark.HIDDEN], genre_movie_ids=in_genre)
    comparison = served_comparison(active=served.version)
    if comparison is not None and comparison.includes(user_id=user.pk):
        page = _interleaved_page(served, taste, comparison, user_id=user.pk, wanted=wanted, limit=limit, offset=offset)
        if page is not None:
            return page
    items, total = _personal_items(served, taste, wanted=wanted, limit=limit, offset=offset)
    return RecommendationPage(items=items, total=total, model_version=served.version)


def _personal_items(
    served: ServedModel, taste: Taste, *, wanted: _Wanted, limit: int, offset: int
) -> tuple[list[Recommendation], int]:
    """One model's list for ``taste``, from ``offset``: its cards, and how many movies the whole list holds."""
    model = served.model
    candidates = np.ones(len(model.movie_ids), dtype=bool)
    candidates[taste.rated_rows] = False
    excluded = model.movie_rows(np.fromiter(wanted.excluded, dtype=np.int64, count=len(wanted.excluded)))
    candidates[excluded[excluded >= 0]] = False
    if wanted.genre_movie_ids is not None:
        in_genre = model.movie_rows(wanted.genre_movie_ids)
        wanted_rows = np.zeros(len(candidates), dtype=bool)
        wanted_rows[in_genre[in_genre >= 0]] = True
        candidates &= wanted_rows
    rows = np.flatnonzero(candidates)
    order_taste = _with_hidden_as_dislikes(model, taste, wanted.hidden)
    page_rows = list_order(model=model, taste=order_taste, candidate_rows=rows, limit=offset + limit)[offset:]
    page_predicted = list_ratings(model=model, taste=taste, movie_rows=page_rows)
    reason_rows = list_reasons(model=model, taste=taste, movie_rows=page_rows)
    score_of = dict(zip(taste.rated_rows.tolist(), taste.rated_scores.tolist(), strict=True))
    # A card names a reason only when the list found one it can stand behind (-1: none).
    reasons = [(int(model.movie_ids[r]), float(score_of[int(r)])) if r >= 0 else None for r in reason_rows]
    reasons = reasons or [None] * len(page_rows)
    genre_reasons = list_genre_reasons(model=model, taste=taste, movie_rows=page_rows)

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
            reason_genre=None if reason else genre_reason,
        )
        for movie_id, prediction, reason, genre_reason in zip(
            page_ids, page_predicted, reasons, genre_reasons, strict=True
        )
        if movie_id in movies  # a movie deleted since training is skipped, not an error
    ]
    return items, len(rows)


# The coins of a person's interleaved list are drawn from the top of both lists only, so that its later pages
# (drafted again from longer lists) continue the first page's draft, and a change further down keeps them.
INTERLEAVING_SEED_MOVIES = 10


def _interleaved_page(
    served: ServedModel,
    taste: Taste,
    comparison: ServedComparison,
    *,
    user_id: int,
    wanted: _Wanted,
    limit: int,
    offset: int,
) -> RecommendationPage | None:
    """The comparison's list for the person: A's (the active version's) and B's lists to ``offset + limit``,
    team-drafted into one, each card its own version's; None when the candidate cannot place the person."""
    taste_b = _taste(comparison.served_b, user_id)
    if taste_b is None:
        return None
    depth = offset + limit
    items_a, total = _personal_items(served, taste, wanted=wanted, limit=depth, offset=0)
    items_b, _ = _personal_items(comparison.served_b, taste_b, wanted=wanted, limit=depth, offset=0)
    if not items_a or not items_b:
        return None
    ids_a, ids_b = [item.movie.pk for item in items_a], [item.movie.pk for item in items_b]
    seed = interleaving_seed(
        comparison_id=comparison.comparison_id,
        user_id=user_id,
        list_a=ids_a[:INTERLEAVING_SEED_MOVIES],
        list_b=ids_b[:INTERLEAVING_SEED_MOVIES],
    )
    shown = interleave(list_a=ids_a, list_b=ids_b, k=depth, seed=seed)
    cards = {Team.A: {item.movie.pk: item for item in items_a}, Team.B: {item.movie.pk: item for item in items_b}}
    versions = {Team.A: served.version.pk, Team.B: comparison.served_b.version.pk}
    drafted = list(zip(shown.movie_ids, shown.teams, strict=True))[offset:]
    return RecommendationPage(
        items=[cards[team][movie] for movie, team in drafted],
        total=total,
        model_version=served.version,
        teams=Teams(comparison_id=comparison.comparison_id, version_ids=[versions[team] for _, team in drafted]),
    )


def rating_predict(*, user: User | AnonymousUser, movie: Movie) -> float | None:
    """The rating the active model predicts ``user`` would give ``movie``; None when it cannot say."""
    if not user.is_authenticated:
        return None
    served = served_model()
    if served is None or not served.model.has_movie(movie.pk):
        return None
    taste = _taste(served, user.pk, with_ranking=False)
    if taste is None:
        return None
    row = np.array([served.model.movie_index(movie.pk)])
    return _clip_rating(float(list_ratings(model=served.model, taste=taste, movie_rows=row)[0]))


def _similar_by_neighbours(served: ServedModel, movie: Movie, limit: int) -> list[int]:
    model = served.model
    return [int(m) for m in model.movie_ids[similar_rows(model=model, row=model.movie_index(movie.pk), limit=limit)]]


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
    """The nearest movies by co-ratings in the active model (well known and sharing a genre first); by shared
    genres without a model."""
    served = served_model()
    if served is not None and served.model.has_movie(movie.pk):
        ids = _similar_by_neighbours(served, movie, limit)
    else:
        ids = _similar_by_genres(movie, limit)
    movies = _movies_by_id(ids)
    return [movies[m] for m in ids if m in movies]


def served_version(*, movie: Movie | None = None) -> ModelVersion | None:
    """The version whose model the lists come from now (one that knows ``movie``, when given: similar movies); None
    when no model answers, and the lists are by popularity or genres."""
    served = served_model()
    if served is None or (movie is not None and not served.model.has_movie(movie.pk)):
        return None
    return served.version
