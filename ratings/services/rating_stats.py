"""Recounting movies' rating statistics, and pausing their triggers for bulk loads (ratings.rating_stats)."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import transaction
from django.db.models import Count, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from ratings.models import Movie, Rating, RatingStatsPause

PAUSE_NEEDS_TRANSACTION = "pausing the rating statistics needs an open transaction, or a crash would leave them paused"


def movie_rating_stats_refresh(*, movie_ids: Iterable[int] | None = None) -> int:
    """Recount the rating count and sum of the given movies (all when None) from the ratings table; returns how
    many movies were updated."""
    ratings = Rating.objects.filter(movie=OuterRef("pk")).order_by().values("movie")
    movies = Movie.objects.all() if movie_ids is None else Movie.objects.filter(pk__in=list(movie_ids))
    return movies.update(
        rating_count=Coalesce(Subquery(ratings.annotate(n=Count("pk")).values("n")), Value(0)),
        rating_sum=Coalesce(Subquery(ratings.annotate(total=Sum("score")).values("total")), Value(0.0)),
    )


@contextmanager
def rating_stats_paused() -> Iterator[None]:
    """Inside the caller's transaction: the triggers skip every rating written in the block, and every movie is
    recounted at its end (one pass instead of one update per rating: a bulk import of millions). An error in the
    block rolls the block back, pause included, so no rating ever escapes the counts."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(PAUSE_NEEDS_TRANSACTION)
    with transaction.atomic():
        pause = RatingStatsPause.objects.create()
        yield
        pause.delete()
        movie_rating_stats_refresh()
