"""Online metrics on constructed events: each rate is the share of a version's recommendation lists in which it
happened within the first 10, by day and over the period; coverage counts every movie shown; other versions, other
kinds of list and later pages do not count as lists."""

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.metrics import OnlineCounts, online_metrics, online_totals
from feedback.models import Action, ListKind
from recommender.models import ModelVersion
from tests.factories import MovieFactory, UserFactory
from tests.feedback.events import follow, list_show

pytestmark = pytest.mark.django_db

CATALOGUE = 40


@pytest.fixture
def scene() -> dict:
    """Version v on two days. Yesterday: lists A, B, C, D of movies 0-11, and a second page (positions 21-24, movies
    12-15). A: movie 2 opened and rated 5. B: movie 11 rated 5 (position 12, past the first 10) and movie 3 hidden.
    C: movies 1 and 4 put on the watchlist, movie 5 rated 3. D: nothing. Today: list E of movies 0-5, its movie 5
    (position 6) opened. Beside them: another version's list and v's "more like this" list,
    both with follow-ups, which v's recommendation metrics leave out."""
    version, other = (ModelVersion.objects.create(n_movies=CATALOGUE) for _ in range(2))
    movies = MovieFactory.create_batch(16)
    user = UserFactory()
    today = timezone.now().date()

    def show(ids: range, *, first: int = 1, on: dt.date, kind: ListKind = ListKind.HOME, of: ModelVersion = version):
        return list_show(
            user=user, movie_ids=[movies[i].pk for i in ids], version_id=of.pk, on=on, kind=kind, first=first
        )

    def did(shown: uuid.UUID, index: int, action: Action, score: float | None = None) -> None:
        follow(user=user, shown=shown, movie_id=movies[index].pk, action=action, score=score)

    yesterday = today - dt.timedelta(days=1)
    a, b, c, _d = (show(range(12), on=yesterday) for _ in range(4))
    show(range(12, 16), first=21, on=yesterday)
    did(a, 2, Action.OPENED)
    did(a, 2, Action.RATED, 5.0)
    did(b, 11, Action.RATED, 5.0)
    did(b, 3, Action.HIDDEN)
    did(c, 1, Action.WATCHLISTED)
    did(c, 4, Action.WATCHLISTED)
    did(c, 5, Action.RATED, 3.0)
    e = show(range(6), on=today)
    did(e, 5, Action.OPENED)
    for stranger in (show(range(6), on=today, of=other), show(range(6), on=today, kind=ListKind.SIMILAR)):
        did(stranger, 0, Action.OPENED)
        did(stranger, 1, Action.RATED, 5.0)
    return {"version": version, "other": other, "today": today, "yesterday": yesterday}


def test_each_day_counts_the_lists_and_what_followed_within_the_first_ten(scene: dict) -> None:
    """Yesterday 4 lists: 1 opened, 2 rated (A, C), 1 liked (A; B's 5 stars were at position 12), 1 with
    watchlist adds (2 adds), 1 hidden; 16 movies shown. Today 1 list, opened, 6 movies."""
    metrics = online_metrics(version_id=scene["version"].pk, catalogue=CATALOGUE)
    assert metrics.days == [
        (scene["yesterday"], OnlineCounts(4, 1, 2, 1, 1, 1, watchlist_adds=2, movies=16)),
        (scene["today"], OnlineCounts(1, 1, 0, 0, 0, 0, watchlist_adds=0, movies=6)),
    ]
    yesterday = metrics.days[0][1]
    assert (yesterday.click_through, yesterday.rated_share, yesterday.liked_share) == (0.25, 0.5, 0.25)
    assert (yesterday.watchlist_share, yesterday.hidden_share, metrics.coverage(yesterday)) == (0.25, 0.25, 0.4)


def test_the_period_adds_up_the_days_and_counts_each_movie_once(scene: dict) -> None:
    """5 lists, 2 opened (click-through 40%), 16 distinct movies over both days (coverage 40%)."""
    metrics = online_metrics(version_id=scene["version"].pk, catalogue=CATALOGUE)
    assert metrics.total == OnlineCounts(5, 2, 2, 1, 1, 1, watchlist_adds=2, movies=16)
    assert (metrics.total.click_through, metrics.coverage(metrics.total)) == (0.4, 0.4)


def test_the_last_days_leave_out_earlier_ones(scene: dict) -> None:
    """days=1 is today alone."""
    metrics = online_metrics(version_id=scene["version"].pk, catalogue=CATALOGUE, days=1)
    assert [day for day, _ in metrics.days] == [scene["today"]]
    assert metrics.total == OnlineCounts(1, 1, movies=6)


def test_totals_are_per_version_and_leave_out_versions_never_shown(scene: dict) -> None:
    """Each version's own lists; a version whose lists nobody saw has no entry."""
    unseen = ModelVersion.objects.create()
    totals = online_totals(version_ids=[scene["version"].pk, scene["other"].pk, unseen.pk])
    assert set(totals) == {scene["version"].pk, scene["other"].pk}
    assert totals[scene["version"].pk] == OnlineCounts(5, 2, 2, 1, 1, 1, watchlist_adds=2, movies=16)
    assert totals[scene["other"].pk] == OnlineCounts(1, 1, 1, 1, movies=6)


def test_a_version_without_lists_has_no_days_and_no_rates(db: None) -> None:
    """No lists: no day, every rate None (not zero: nothing was measured)."""
    metrics = online_metrics(version_id=ModelVersion.objects.create().pk, catalogue=CATALOGUE)
    assert metrics.days == [] and metrics.total == OnlineCounts()
    assert metrics.total.click_through is None and metrics.coverage(metrics.total) is None


def test_the_metrics_are_four_queries_whatever_the_number_of_days(scene: dict) -> None:
    """Aggregates in the database: the number of queries does not grow with the days or the events."""
    with CaptureQueriesContext(connection) as queries:
        online_metrics(version_id=scene["version"].pk, catalogue=CATALOGUE)
    assert len(queries.captured_queries) == 4
