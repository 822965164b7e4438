"""New users: place a user the model never saw (by the cold-start method of the settings), choose what to ask them.

What to ask: well-known movies, spread over the factor space (or the genres, without a model); or, once the
newcomer has picked the genres they like, the best known of those genres spread over the decades, as MovieLens
onboards by groups of movies people recognise. The methods themselves are the ML core's (``recsys.cold_start``);
this module reads the setting and the catalogue.
"""

import logging

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User

from ratings.models import Mark, Movie
from ratings.selectors import user_mark_ids
from recommender.selectors import genre_movie_ids, movie_stats, user_ratings
from recommender.services.serving import served_model
from recsys.cold_start import ColdStart, ratings_needed, spread_by_factors
from recsys.ranking_model import unit_rows
from recsys.rating_model import FactorModel

logger = logging.getLogger(__name__)

# Onboarding asks about movies among this many most rated: people have seen them, so they can answer. Spread over
# the factors, a pool of 300 reached its outskirts (ml-100k: Mother, Evita, Everyone Says I Love You), titles few
# newcomers know; within the 100 most rated the spread still covers every taste.
ONBOARDING_POOL = 100
# With genres picked, the pool is this many of the most rated movies of those genres.
GENRE_POOL = 150

UNKNOWN_COLD_START_METHOD = "unknown cold-start method {method!r}; choose one of {choices}"
CLASSIC_NEEDS_RATINGS = "model has no training ratings for the classic cold start; placing the user without neighbours"


def cold_start_setting() -> ColdStart:
    """The RECOMMENDER_COLD_START setting, checked (a ValueError names the choices)."""
    try:
        return ColdStart(settings.RECOMMENDER_COLD_START)
    except ValueError:
        choices = ", ".join(ColdStart)
        raise ValueError(
            UNKNOWN_COLD_START_METHOD.format(method=settings.RECOMMENDER_COLD_START, choices=choices)
        ) from None


def cold_start_method(*, model: FactorModel) -> ColdStart:
    """The RECOMMENDER_COLD_START setting, checked; warns when ``model`` cannot place users the classic way."""
    method = cold_start_setting()
    if ratings_needed(model=model, method=method) and not model.has_training_ratings:
        logger.warning(CLASSIC_NEEDS_RATINGS)
    return method


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


def _spread_by_decades(pool: list[int], limit: int) -> list[int]:
    """Round robin over decades (the most recent first), each time the most rated movie left of the next decade:
    a taste spans eras, and one decade's blockbusters say little about it."""
    decade_of = {
        pk: (year // 10 * 10 if year else 0) for pk, year in Movie.objects.filter(pk__in=pool).values_list("pk", "year")
    }
    queues: dict[int, list[int]] = {}
    for movie_id in pool:  # most rated first, so every queue is too
        queues.setdefault(decade_of.get(movie_id, 0), []).append(movie_id)
    order = sorted(queues, reverse=True)
    chosen: list[int] = []
    while len(chosen) < limit and any(queues.values()):
        for decade in order:
            if queues[decade] and len(chosen) < limit:
                chosen.append(queues[decade].pop(0))
    return chosen


def _unwanted(user: User | AnonymousUser) -> set[int]:
    """What onboarding never asks about: the user's ratings and the movies they said they are not interested in."""
    if not user.is_authenticated:
        return set()
    return set(user_ratings(user_id=user.pk).movie_ids.tolist()) | user_mark_ids(user_id=user.pk)[Mark.HIDDEN]


def onboarding_movies(*, user: User | AnonymousUser, limit: int = 20, genres: list[str] | None = None) -> list[Movie]:
    """Well-known movies the user has not rated (nor hidden), spread across the factor space (or genres without a
    model); with ``genres`` (slugs), the best known of those genres, spread over the decades.

    Ordered most rated first, so the ones a newcomer is likeliest to have seen come first.
    """
    stats = movie_stats()
    unwanted = _unwanted(user)
    if genres:
        in_genres = set().union(*(genre_movie_ids(slug=slug) for slug in genres))
        pool = [int(m) for m in stats.by_count if int(m) in in_genres and int(m) not in unwanted][:GENRE_POOL]
        chosen = _spread_by_decades(pool, limit)
    else:
        pool = [int(m) for m in stats.by_count[:ONBOARDING_POOL] if int(m) not in unwanted]
        served = served_model()
        in_model = [m for m in pool if served.model.has_movie(m)] if served is not None else []
        if served is not None and len(in_model) >= limit:
            rows = [served.model.movie_index(m) for m in in_model]
            units = unit_rows(served.model.movie_factors[rows])
            chosen = [in_model[i] for i in spread_by_factors(units=units, limit=limit)]
        else:
            chosen = _spread_by_genres(pool, limit)
    count_of = stats.count_of()
    chosen.sort(key=lambda m: (-count_of.get(m, 0), m))
    movies = Movie.objects.prefetch_related("genres").in_bulk(chosen)
    return [movies[m] for m in chosen if m in movies]
