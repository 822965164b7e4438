"""Catalogue reads: filters and orderings of movies (the search is ``ratings.search``), rating statistics, a movie's
tags, and a user's own ratings and marks."""

import hashlib
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, OrderBy, QuerySet, Sum, prefetch_related_objects

from ratings.models import ALLOWED_SCORES, MAX_SCORE, MIN_SCORE, Genre, Mark, Movie, MovieMark, Rating, Tag
from ratings.pg_copy import copy_arrays_out
from ratings.search import movie_search

if TYPE_CHECKING:
    import pandas as pd

# A movie's Bayesian mean counts as this many extra ratings at the global mean: a movie with one 5-star rating
# ranks near the middle, one with hundreds of 5-star ratings near the top. The popularity list uses it too.
BAYESIAN_PRIOR_WEIGHT = 25.0

ORDERINGS: dict[str, str] = {
    "popular": "Most rated",
    "best": "Best rated",
    "title": "Title",
    "newest": "Newest",
    "oldest": "Oldest",
}
DEFAULT_ORDERING = "popular"
_ORDER_BY: dict[str, list[str | OrderBy]] = {
    "popular": ["-rating_count", "title"],
    "best": ["-bayesian_mean", "-rating_count", "title"],
    "title": ["title", "year"],
    "newest": [F("year").desc(nulls_last=True), "title"],
    "oldest": [F("year").asc(nulls_last=True), "title"],
}


GLOBAL_MEAN_CACHE_KEY = "ratings:global-mean"


def _global_mean_aggregate() -> float:
    totals = Movie.objects.aggregate(count=Sum("rating_count"), total=Sum("rating_sum"))
    return float(totals["total"]) / totals["count"] if totals["count"] else (MIN_SCORE + MAX_SCORE) / 2


def rating_global_mean() -> float:
    """The mean of every score, from the movies' counts, shared through the cache for as long as the recommender's
    rating statistics (the "best rated" ordering would otherwise sum over every movie on every page)."""
    ttl = float(settings.RECOMMENDER_STATS_SECONDS)
    if ttl <= 0:
        return _global_mean_aggregate()
    mean = cache.get_or_set(GLOBAL_MEAN_CACHE_KEY, _global_mean_aggregate, ttl)
    return float(mean) if mean is not None else _global_mean_aggregate()


def movie_list(
    *, query: str = "", genre: str | None = None, year: int | None = None, ordering: str = DEFAULT_ORDERING
) -> QuerySet[Movie]:
    """The catalogue, searched, filtered and ordered."""
    movies = movie_search(Movie.objects.all(), query)
    if genre:
        movies = movies.in_genre(genre)
    if year is not None:
        movies = movies.filter(year=year)
    if ordering == "best":
        movies = movies.with_bayesian_mean(prior_mean=rating_global_mean(), prior_weight=BAYESIAN_PRIOR_WEIGHT)
    return movies.order_by(*_ORDER_BY.get(ordering, _ORDER_BY[DEFAULT_ORDERING])).prefetch_related("genres")


def movie_get(*, pk: int) -> Movie:
    """One movie with its genres; Movie.DoesNotExist when there is none."""
    return Movie.objects.prefetch_related("genres").get(pk=pk)


def movie_recounted(*, movie: Movie) -> Movie:
    """The movie with its rating statistics read again, as the triggers left them after a rating of it changed."""
    movie.refresh_from_db(fields=["rating_count", "rating_sum"])
    return movie


def movies_with_genres(movies: list[Movie]) -> list[Movie]:
    """The same movies, their genres fetched in one query for all."""
    prefetch_related_objects(movies, "genres")
    return movies


@dataclass(frozen=True)
class DistributionBar:
    score: float
    count: int
    percent: float  # of all the movie's ratings, 0..100


def rating_distribution(*, movie: Movie) -> list[DistributionBar]:
    """How many ratings the movie has at each score, highest first: every whole star, and half stars in use."""
    # COUNT(*), not of a column the (movie, score) index lacks: the index answers alone (an index-only scan).
    counts = dict(Rating.objects.filter(movie=movie).values_list("score").annotate(n=Count("*")).order_by())
    total = sum(counts.values())
    return [
        DistributionBar(
            score=score, count=counts.get(score, 0), percent=100 * counts.get(score, 0) / total if total else 0
        )
        for score in reversed(ALLOWED_SCORES)
        if score.is_integer() or counts.get(score)
    ]


# The tags a movie page shows: enough to say what people call the movie, few enough to read at a glance.
TOP_TAGS = 8


@dataclass(frozen=True)
class TagCount:
    tag: str
    count: int  # how many people gave the movie this tag


def movie_top_tags(*, movie: Movie, limit: int = TOP_TAGS) -> list[TagCount]:
    """The tags most people gave the movie, most first (ties by text), in one query that the (movie, text) index
    answers alone: COUNT(*), not a count of a column the index lacks."""
    rows = Tag.objects.filter(movie=movie).values_list("text").annotate(n=Count("*")).order_by("-n", "text")[:limit]
    return [TagCount(tag=text, count=count) for text, count in rows]


def rating_score(*, user: User | AnonymousUser, movie: Movie) -> float | None:
    """The user's rating of the movie, or None."""
    if not user.is_authenticated:
        return None
    return Rating.objects.filter(user=user, movie=movie).values_list("score", flat=True).first()


def user_scores(*, user: User | AnonymousUser, movies: list[Movie]) -> dict[int, float]:
    """{movie pk: the user's score} for those of ``movies`` that the user rated."""
    if not user.is_authenticated or not movies:
        return {}
    rows = Rating.objects.filter(user=user, movie__in=[movie.pk for movie in movies]).values_list("movie_id", "score")
    return dict(rows)


def user_rating_count(*, user: User | AnonymousUser) -> int:
    return Rating.objects.filter(user=user).count() if user.is_authenticated else 0


# The orders of a user's own ratings (the My ratings page); the title order files "The Abyss" under A.
MY_RATINGS_ORDERINGS: dict[str, str] = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "highest": "Highest score",
    "lowest": "Lowest score",
    "title": "Title",
}
MY_RATINGS_DEFAULT_ORDERING = "newest"
_MY_RATINGS_ORDER_BY = {
    "newest": ["-timestamp", "-pk"],
    "oldest": ["timestamp", "pk"],
    "highest": ["-score", "-timestamp", "-pk"],
    "lowest": ["score", "-timestamp", "-pk"],
    "title": ["movie__title", "movie__year", "pk"],
}


def user_rating_list(
    *, user: User, ordering: str = MY_RATINGS_DEFAULT_ORDERING, genre: str | None = None
) -> QuerySet[Rating]:
    """The user's ratings (newest first unless ``ordering`` says otherwise), of one genre if ``genre`` is a
    slug, with each movie and its genres."""
    ratings = Rating.objects.filter(user=user)
    if genre:
        ratings = ratings.filter(movie__genres__slug=genre)
    order = _MY_RATINGS_ORDER_BY.get(ordering, _MY_RATINGS_ORDER_BY[MY_RATINGS_DEFAULT_ORDERING])
    return ratings.select_related("movie").prefetch_related("movie__genres").order_by(*order)


def user_marks(*, user: User | AnonymousUser, movies: list[Movie]) -> dict[int, Mark]:
    """{movie pk: the user's mark} for those of ``movies`` that the user marked."""
    if not user.is_authenticated or not movies:
        return {}
    rows = MovieMark.objects.filter(user=user, movie__in=[movie.pk for movie in movies]).values_list("movie_id", "mark")
    return {movie_id: Mark(mark) for movie_id, mark in rows}


def user_mark(*, user: User | AnonymousUser, movie: Movie) -> Mark | None:
    """The user's mark on the movie, or None."""
    return user_marks(user=user, movies=[movie]).get(movie.pk)


def user_mark_list(*, user: User, mark: Mark) -> QuerySet[MovieMark]:
    """The movies the user marked so, last marked first, with each movie and its genres."""
    return (
        MovieMark.objects.filter(user=user, mark=mark)
        .select_related("movie")
        .prefetch_related("movie__genres")
        .order_by("-created_at", "-pk")
    )


def user_mark_ids(*, user_id: int) -> dict[Mark, set[int]]:
    """The pks of the movies the user marked, by mark (every mark present, empty when unused), in one query."""
    marked: dict[Mark, set[int]] = {mark: set() for mark in Mark}
    for movie_id, mark in MovieMark.objects.filter(user_id=user_id).order_by().values_list("movie_id", "mark"):
        marked[Mark(mark)].add(movie_id)
    return marked


def genre_list() -> QuerySet[Genre]:
    return Genre.objects.all()


READ_CHUNK = 50_000
RATINGS_DTYPES = {"id": "int64", "user": "int64", "movie": "int64", "rating": "float64", "timestamp": "int64"}


def ratings_frame() -> "pd.DataFrame":
    """Every rating, MovieLens raters' and site users' alike: id, user (User pk), movie (Movie pk), rating,
    timestamp (Unix seconds), in id order. Read into arrays, never as model objects or the whole table as Python
    tuples (25M of them took gigabytes): on PostgreSQL by a binary COPY (25M ratings in seconds), elsewhere
    ``READ_CHUNK`` rows at a time."""
    import pandas as pd  # the retrain's and the benchmarks' read: the web process never pays for pandas

    arrays = _ratings_copied() if connection.vendor == "postgresql" else _ratings_streamed()
    return pd.DataFrame(arrays).astype(RATINGS_DTYPES)


def _ratings_streamed() -> dict[str, np.ndarray]:
    rows = (
        Rating.objects.order_by("pk")
        .values_list("pk", "user_id", "movie_id", "score", "timestamp")
        .iterator(chunk_size=READ_CHUNK)
    )
    numbers: list[np.ndarray] = []
    seconds: list[np.ndarray] = []
    while chunk := list(islice(rows, READ_CHUNK)):
        # float64 holds the ids exactly (below 2**53) and the half-star scores.
        numbers.append(np.array([row[:4] for row in chunk], dtype=np.float64))
        seconds.append(np.fromiter((row[4].timestamp() for row in chunk), dtype=np.float64, count=len(chunk)))
    table = np.concatenate(numbers) if numbers else np.empty((0, 4))
    return {
        "id": table[:, 0],
        "user": table[:, 1],
        "movie": table[:, 2],
        "rating": table[:, 3],
        "timestamp": np.floor(np.concatenate(seconds)) if seconds else np.empty(0),
    }


def _ratings_copied() -> dict[str, np.ndarray]:
    quote = connection.ops.quote_name
    column = {field.name: quote(field.column) for field in Rating._meta.concrete_fields if field.column}
    query = (
        f"SELECT {column['id']}::int8, {column['user']}::int8, {column['movie']}::int8, "  # noqa: S608 (the model's)
        f"{column['score']}::float8, floor(extract(epoch FROM {column['timestamp']}))::int8 "
        f"FROM {quote(Rating._meta.db_table)}"
    )
    arrays = copy_arrays_out(query=query, columns=["id", "user", "movie", "rating", "timestamp"])
    # A freshly loaded table comes out in id order already; sorting in the server would cost more than checking.
    if not (np.diff(arrays["id"]) > 0).all():
        order = np.argsort(arrays["id"], kind="stable")
        arrays = {name: values[order] for name, values in arrays.items()}
    return arrays


def ratings_fingerprint(*, ratings: "pd.DataFrame") -> str:
    """SHA-256 over the ratings table's content in id order: any insert, update or delete changes it."""
    digest = hashlib.sha256()
    ordered = ratings.sort_values("id", kind="stable")
    for column, dtype in (("id", "<i8"), ("user", "<i8"), ("movie", "<i8"), ("rating", "<f8"), ("timestamp", "<i8")):
        digest.update(column.encode())
        digest.update(np.ascontiguousarray(ordered[column].to_numpy(), dtype=dtype).tobytes())
    return digest.hexdigest()


def movie_genre_names() -> dict[int, list[str]]:
    """Each movie's genre names by movie pk (movies without a genre are absent), in one query."""
    genres: dict[int, list[str]] = {}
    for movie_id, name in Movie.genres.through.objects.values_list("movie_id", "genre__name"):
        genres.setdefault(movie_id, []).append(name)
    return genres
