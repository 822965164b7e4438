"""Online metrics on constructed events: each rate is the share of a version's recommendation lists in which it
happened within the first 10, by day and over the period; coverage counts every movie shown; other versions, other
kinds of list and later pages do not count as lists."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from feedback.metrics import OnlineCounts, online_metrics, online_totals
from recommender.models import ModelVersion
from tests.feedback.conftest import CATALOGUE

pytestmark = pytest.mark.django_db


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


def test_the_metrics_are_four_queries_before_any_rollup(scene: dict) -> None:
    """Aggregates in the database: the number of queries does not grow with the days or the events."""
    with CaptureQueriesContext(connection) as queries:
        online_metrics(version_id=scene["version"].pk, catalogue=CATALOGUE)
    assert len(queries.captured_queries) == 4
