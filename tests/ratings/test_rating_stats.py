"""Each movie's rating count and sum, kept by the database's triggers on every path that writes ratings."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, Sum

from ratings.apps import _rating_stats_triggers_ensure
from ratings.models import Movie, Rating, RatingStatsPause
from ratings.rating_stats import rating_stats_triggers_drop
from ratings.services.rating_stats import PAUSE_NEEDS_TRANSACTION, movie_rating_stats_refresh, rating_stats_paused
from ratings.services.ratings import rating_delete, rating_set
from tests.conftest import MovieLensFiles
from tests.factories import MovieFactory, RatingFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=False)

WHEN = dt.datetime(2001, 1, 1, tzinfo=dt.UTC)


def counted() -> dict[int, tuple[int, float]]:
    """What the movies say of their ratings."""
    return {pk: (count, total) for pk, count, total in Movie.objects.values_list("pk", "rating_count", "rating_sum")}


def aggregated() -> dict[int, tuple[int, float]]:
    """What the ratings table says, every movie included."""
    totals = {
        row["movie"]: (row["n"], row["total"])
        for row in Rating.objects.order_by().values("movie").annotate(n=Count("pk"), total=Sum("score"))
    }
    return {pk: totals.get(pk, (0, 0.0)) for pk in Movie.objects.values_list("pk", flat=True)}


def test_site_writes_are_counted() -> None:
    """Rating, changing and removing a rating through the services moves the movie's count and sum."""
    movie = MovieFactory()
    alice, bob = UserFactory(), UserFactory()
    rating_set(user=alice, movie=movie, score="4")
    rating_set(user=bob, movie=movie, score="2.5")
    movie.refresh_from_db()
    assert (movie.rating_count, movie.rating_sum, movie.rating_mean) == (2, 6.5, 3.25)
    rating_set(user=alice, movie=movie, score="5")
    rating_delete(user=bob, movie=movie)
    movie.refresh_from_db()
    assert (movie.rating_count, movie.rating_sum) == (1, 5.0)


def test_bulk_and_cascading_writes_are_counted() -> None:
    """bulk_create, a queryset update that moves ratings to another movie, and deleting an account (its ratings
    go by cascade) all leave the counts equal to the ratings table."""
    first, second = MovieFactory(), MovieFactory()
    users = [UserFactory() for _ in range(4)]
    Rating.objects.bulk_create(
        Rating(user=user, movie=first, score=1.0 + index, timestamp=WHEN) for index, user in enumerate(users)
    )
    Rating.objects.filter(user__in=users[:2]).update(movie=second, score=0.5)
    users[3].delete()
    assert counted() == aggregated()
    assert counted()[first.pk] == (1, 3.0) and counted()[second.pk] == (2, 1.0)


def test_unrated_movie_has_no_mean() -> None:
    """A movie nobody rated has a count of 0 and no mean, not a mean of 0."""
    movie = MovieFactory()
    assert (movie.rating_count, movie.rating_mean) == (0, None)


def test_import_recounts_once_and_leaves_no_pause(movielens_100k_imported: object) -> None:
    """The bulk import pauses the triggers and recounts at its end: the counts equal the ratings table and no pause
    is left behind, so the site's own ratings are counted again."""
    assert counted() == aggregated()
    assert sum(count for count, _ in counted().values()) == 100_000
    assert not RatingStatsPause.objects.exists()
    movie = Movie.objects.order_by("pk").first()
    before = movie.rating_count
    RatingFactory(movie=movie)
    movie.refresh_from_db()
    assert movie.rating_count == before + 1


def test_failed_import_leaves_counts_untouched(movielens_files: MovieLensFiles) -> None:
    """An import that the database refuses half-way (a pair rated twice in the file) writes nothing: no ratings,
    no counts, no pause."""
    files = movielens_files.lines("100k")
    files["u.data"].append(files["u.data"][0])
    path = movielens_files.save(files)
    with pytest.raises(CommandError, match="rated"):
        call_command("import_movielens", "--source", str(path), verbosity=0)
    assert not Rating.objects.exists() and not RatingStatsPause.objects.exists()
    assert not Movie.objects.filter(rating_count__gt=0).exists()


@pytest.mark.django_db(transaction=True)
def test_pause_needs_a_transaction() -> None:
    """Pausing in autocommit is refused: a crash would leave the pause behind and every later rating uncounted."""
    with pytest.raises(RuntimeError, match=PAUSE_NEEDS_TRANSACTION), rating_stats_paused():
        pass
    assert not RatingStatsPause.objects.exists()


def test_error_in_paused_block_rolls_it_back() -> None:
    """An error inside the paused block takes back its ratings and the pause, so nothing escapes the counts."""
    movie, user = MovieFactory(), UserFactory()
    with pytest.raises(ZeroDivisionError), transaction.atomic(), rating_stats_paused():
        Rating.objects.create(user=user, movie=movie, score=4.0, timestamp=WHEN)
        _ = 1 / 0
    assert not Rating.objects.exists() and not RatingStatsPause.objects.exists()
    RatingFactory(movie=movie)
    movie.refresh_from_db()
    assert movie.rating_count == 1


def test_lost_triggers_are_put_back_and_recounted() -> None:
    """After a migration that lost the triggers (SQLite rebuilds a table to alter it), post_migrate puts them back
    and recounts what was written meanwhile."""
    movie = MovieFactory()
    rating_stats_triggers_drop(connection)
    RatingFactory(movie=movie, score=3.0)
    movie.refresh_from_db()
    assert movie.rating_count == 0
    _rating_stats_triggers_ensure(using="default")
    movie.refresh_from_db()
    assert (movie.rating_count, movie.rating_sum) == (1, 3.0)
    RatingFactory(movie=movie, score=2.0)
    movie.refresh_from_db()
    assert movie.rating_count == 2


def test_refresh_recounts_only_the_movies_asked() -> None:
    """A recount of some movies leaves the others as they were."""
    first, second = MovieFactory(), MovieFactory()
    RatingFactory(movie=first)
    RatingFactory(movie=second)
    Movie.objects.update(rating_count=7)
    assert movie_rating_stats_refresh(movie_ids=[first.pk]) == 1
    assert counted()[first.pk][0] == 1 and counted()[second.pk][0] == 7
