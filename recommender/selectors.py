"""Reads the recommender needs from the ratings tables: a user's ratings and per-movie rating statistics.

The statistics (count and sum of scores per movie, which the database keeps on each movie: ratings.rating_stats)
feed the popularity list and the choice of onboarding movies. The first process to need them reads every movie's
figures, derives the orders, and shares the columns through the cache for ``RECOMMENDER_STATS_SECONDS`` (default
300 s); every process keeps its copy that long too, so a figure is at most twice that old. A cache that does not
answer is a miss (movierec_site.cache): each process then reads for itself.
"""

import threading
import time
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from django.conf import settings
from django.core.cache import cache

from ratings.models import Movie, Rating
from ratings.selectors import BAYESIAN_PRIOR_WEIGHT


def bayesian_means(*, counts: np.ndarray, sums: np.ndarray, prior_weight: float = BAYESIAN_PRIOR_WEIGHT) -> np.ndarray:
    """Each movie's mean score shrunk towards the mean of all scores."""
    counts = np.asarray(counts, dtype=np.float64)
    sums = np.asarray(sums, dtype=np.float64)
    prior_mean = sums.sum() / counts.sum() if counts.sum() else 0.0
    return (sums + prior_mean * prior_weight) / (counts + prior_weight)


@dataclass(frozen=True, eq=False)
class MovieStats:
    """Rating count and Bayesian mean of every rated movie, with the two orders the site lists them in."""

    movie_ids: np.ndarray  # int64, Movie pks of the movies with at least one rating
    counts: np.ndarray  # int64
    means: np.ndarray  # float64, Bayesian means
    by_rating: np.ndarray = field(init=False, repr=False)  # movie ids, best Bayesian mean first
    by_count: np.ndarray = field(init=False, repr=False)  # movie ids, most rated first

    def __post_init__(self) -> None:
        # Ties broken by count then id, so the lists are stable from one process to the next.
        rating_order = np.lexsort((self.movie_ids, -self.counts, -self.means))
        count_order = np.lexsort((self.movie_ids, -self.means, -self.counts))
        object.__setattr__(self, "by_rating", self.movie_ids[rating_order])
        object.__setattr__(self, "by_count", self.movie_ids[count_order])

    def count_of(self) -> dict[int, int]:
        return dict(zip(self.movie_ids.tolist(), self.counts.tolist(), strict=True))


# What the cache holds: the aggregate's three columns (movie ids, counts, sums), from which each process derives
# the means and orders. The version in the key changes whenever that shape does.
STATS_CACHE_KEY = "recommender:movie-stats:1"

_stats: tuple[float, MovieStats] | None = None
_stats_lock = threading.Lock()


def _stats_aggregate() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = list(Movie.objects.filter(rating_count__gt=0).order_by().values_list("pk", "rating_count", "rating_sum"))
    movie_ids = np.array([row[0] for row in rows], dtype=np.int64)
    counts = np.array([row[1] for row in rows], dtype=np.int64)
    sums = np.array([row[2] for row in rows], dtype=np.float64)
    return movie_ids, counts, sums


def _stats_shared(ttl: float) -> MovieStats:
    columns = cache.get(STATS_CACHE_KEY) if ttl > 0 else None
    if columns is None:
        columns = _stats_aggregate()
        if ttl > 0:
            cache.set(STATS_CACHE_KEY, columns, ttl)
    movie_ids, counts, sums = columns
    return MovieStats(movie_ids=movie_ids, counts=counts, means=bayesian_means(counts=counts, sums=sums))


def movie_stats() -> MovieStats:
    """Per-movie rating statistics: this process's copy, else the shared one, else aggregated now and shared; each
    at most ``RECOMMENDER_STATS_SECONDS`` old."""
    global _stats
    ttl = float(settings.RECOMMENDER_STATS_SECONDS)
    held = _stats
    if held is not None and time.monotonic() - held[0] < ttl:
        return held[1]
    with _stats_lock:
        held = _stats
        if held is not None and time.monotonic() - held[0] < ttl:
            return held[1]
        stats = _stats_shared(ttl)
        _stats = (time.monotonic(), stats)
        return stats


def movie_stats_reset(*, shared: bool = True) -> None:
    """Drop this process's statistics and, unless ``shared`` is false, the shared copy: the next read aggregates."""
    global _stats
    _stats = None
    if shared:
        cache.delete(STATS_CACHE_KEY)


class UserRatings(NamedTuple):
    movie_ids: np.ndarray  # int64
    scores: np.ndarray  # float64
    times: np.ndarray  # float64 Unix seconds: fold-in weighs recent ratings more


def user_ratings(*, user_id: int) -> UserRatings:
    """Everything the user has rated on the site, with scores and times, in one query."""
    rows = list(Rating.objects.filter(user_id=user_id).order_by().values_list("movie_id", "score", "timestamp"))
    return UserRatings(
        movie_ids=np.array([row[0] for row in rows], dtype=np.int64),
        scores=np.array([row[1] for row in rows], dtype=np.float64),
        times=np.array([row[2].timestamp() for row in rows], dtype=np.float64),
    )


def genre_movie_ids(*, slug: str) -> set[int]:
    return set(Movie.objects.in_genre(slug).values_list("pk", flat=True))
