"""Catalogue reads: search, filters and orderings of movies, rating statistics, and a user's own ratings."""

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Avg, Count, F, QuerySet, prefetch_related_objects

from ratings.models import ALLOWED_SCORES, MAX_SCORE, MIN_SCORE, Genre, Movie, Rating

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
_ORDER_BY = {
    "popular": ["-rating_count", "title"],
    "best": ["-bayesian_mean", "-rating_count", "title"],
    "title": ["title", "year"],
    "newest": [F("year").desc(nulls_last=True), "title"],
    "oldest": [F("year").asc(nulls_last=True), "title"],
}

SEARCH_MAX_WORDS = 8

# Letters that Unicode does not decompose into a base letter and a mark, spelled as people type them.
_FOLDS = {"æ": "ae", "œ": "oe", "ß": "ss", "ø": "o", "đ": "d", "ð": "d", "ł": "l", "ħ": "h", "\u0131": "i", "ŧ": "t"}


def text_fold(text: str) -> str:
    """``text`` in lower case without accents: "Misérables" and "MISERABLES" both give "miserables"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return "".join(_FOLDS.get(char, char) for char in plain)


@cache
def _spellings() -> dict[str, str]:
    """Every Latin letter with a diacritic or a fold, in both cases, grouped under the plain text it folds to."""
    spellings: dict[str, set[str]] = {}
    for code_point in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        char = chr(code_point)
        folded = text_fold(char)
        if folded != char.lower() and folded.isascii() and folded.isalpha():
            spellings.setdefault(folded, set()).add(char)
    return {folded: "".join(sorted(chars)) for folded, chars in spellings.items()}


def _word_pattern(word: str) -> str:
    """A regular expression matching ``word`` (folded, letters and digits only) however it is accented.

    It uses only character classes and groups, which SQLite (Python's re, through Django) and PostgreSQL's
    advanced regular expressions read alike; the iregex lookup adds the case insensitivity.
    """
    spellings = _spellings()
    parts, index = [], 0
    while index < len(word):
        pair = word[index : index + 2]
        if len(pair) == 2 and pair in spellings:  # "ae" also matches "æ"
            parts.append(f"({_char_class(pair[0], spellings)}{_char_class(pair[1], spellings)}|[{spellings[pair]}])")
            index += 2
            continue
        parts.append(_char_class(word[index], spellings))
        index += 1
    return "".join(parts)


def _char_class(char: str, spellings: dict[str, str]) -> str:
    return f"[{char}{spellings[char]}]" if char in spellings else char


def search_words(query: str) -> list[str]:
    """The folded words of a search; punctuation separates words, so straight and curly apostrophes search alike."""
    return re.findall(r"[a-z0-9]+", text_fold(query))[:SEARCH_MAX_WORDS]


def movie_search(queryset: QuerySet[Movie], query: str) -> QuerySet[Movie]:
    """Movies whose title contains every word of ``query``, ignoring case and accents, in any order.

    "les miserables" finds "Misérables, Les": MovieLens moves articles to the end of a title.
    """
    for word in search_words(query):
        queryset = queryset.filter(title__iregex=_word_pattern(word))
    return queryset


def rating_global_mean() -> float:
    mean = Rating.objects.aggregate(mean=Avg("score"))["mean"]
    return float(mean) if mean is not None else (MIN_SCORE + MAX_SCORE) / 2


def movie_list(
    *, query: str = "", genre: str | None = None, year: int | None = None, ordering: str = DEFAULT_ORDERING
) -> QuerySet[Movie]:
    """The catalogue, searched, filtered and ordered, with ``rating_count`` and ``rating_mean`` on each movie."""
    movies = movie_search(Movie.objects.all(), query)
    if genre:
        movies = movies.in_genre(genre)
    if year is not None:
        movies = movies.filter(year=year)
    if ordering == "best":
        movies = movies.with_bayesian_mean(prior_mean=rating_global_mean(), prior_weight=BAYESIAN_PRIOR_WEIGHT)
    else:
        movies = movies.with_rating_stats()
    return movies.order_by(*_ORDER_BY.get(ordering, _ORDER_BY[DEFAULT_ORDERING])).prefetch_related("genres")


def movie_get(*, pk: int) -> Movie:
    """One movie with its genres and rating statistics; Movie.DoesNotExist when there is none."""
    return Movie.objects.with_rating_stats().prefetch_related("genres").get(pk=pk)


def movies_with_stats(movies: list[Movie]) -> list[Movie]:
    """The same movies, given ``rating_count`` and ``rating_mean`` and their genres, in two queries for all."""
    stats = (
        Movie.objects.filter(pk__in=[movie.pk for movie in movies])
        .with_rating_stats()
        .values_list("pk", "rating_count", "rating_mean")
    )
    by_pk = {pk: (count, mean) for pk, count, mean in stats}
    for movie in movies:
        movie.rating_count, movie.rating_mean = by_pk.get(movie.pk, (0, None))
    prefetch_related_objects(movies, "genres")
    return movies


@dataclass(frozen=True)
class DistributionBar:
    score: float
    count: int
    percent: float  # of all the movie's ratings, 0..100


def rating_distribution(*, movie: Movie) -> list[DistributionBar]:
    """How many ratings the movie has at each score, highest first: every whole star, and half stars in use."""
    counts = dict(Rating.objects.filter(movie=movie).values_list("score").annotate(n=Count("id")).order_by())
    total = sum(counts.values())
    return [
        DistributionBar(
            score=score, count=counts.get(score, 0), percent=100 * counts.get(score, 0) / total if total else 0
        )
        for score in reversed(ALLOWED_SCORES)
        if score.is_integer() or counts.get(score)
    ]


def rating_score(*, user: AbstractBaseUser | AnonymousUser, movie: Movie) -> float | None:
    """The user's rating of the movie, or None."""
    if not user.is_authenticated:
        return None
    return Rating.objects.filter(user=user, movie=movie).values_list("score", flat=True).first()


def user_scores(*, user: AbstractBaseUser | AnonymousUser, movies: list[Movie]) -> dict[int, float]:
    """{movie pk: the user's score} for those of ``movies`` that the user rated."""
    if not user.is_authenticated or not movies:
        return {}
    rows = Rating.objects.filter(user=user, movie__in=[movie.pk for movie in movies]).values_list("movie_id", "score")
    return dict(rows)


def user_rating_count(*, user: AbstractBaseUser | AnonymousUser) -> int:
    return Rating.objects.filter(user=user).count() if user.is_authenticated else 0


def user_rating_list(*, user: AbstractBaseUser) -> QuerySet[Rating]:
    """The user's ratings, newest first, with each movie and its genres."""
    return (
        Rating.objects.filter(user=user)
        .select_related("movie")
        .prefetch_related("movie__genres")
        .order_by("-timestamp", "-pk")
    )


def genre_list() -> QuerySet[Genre]:
    return Genre.objects.all()


RATINGS_DTYPES = {"id": "int64", "user": "int64", "movie": "int64", "rating": "float64", "timestamp": "int64"}


def ratings_frame() -> "pd.DataFrame":
    """Every rating, MovieLens raters' and site users' alike: id, user (User pk), movie (Movie pk), rating,
    timestamp (Unix seconds), in id order. Read as tuples; no model objects are built."""
    import pandas as pd  # the retrain's and the benchmarks' read: the web process never pays for pandas

    rows = Rating.objects.order_by("pk").values_list("pk", "user_id", "movie_id", "score", "timestamp")
    frame = pd.DataFrame.from_records(list(rows), columns=["id", "user", "movie", "rating", "timestamp"])
    since_epoch = pd.to_datetime(frame["timestamp"], utc=True) - pd.Timestamp(0, tz="UTC")
    frame["timestamp"] = since_epoch // pd.Timedelta(seconds=1)
    return frame.astype(RATINGS_DTYPES)


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
