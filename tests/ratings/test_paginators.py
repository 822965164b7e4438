"""The admin's paginator for large tables: the planner's estimate for an unfiltered PostgreSQL list, a count that
stops at COUNT_LIMIT for a filtered one, exact counts on SQLite."""

import pytest
from django.db import connection

from ratings import paginators
from ratings.models import Rating
from ratings.paginators import LargeTablePaginator
from tests.factories import RatingFactory

pytestmark = pytest.mark.django_db


def test_counts_are_exact_below_the_limit_on_either_database():
    RatingFactory.create_batch(5, score=4.0)
    RatingFactory.create_batch(3, score=2.0)

    assert LargeTablePaginator(Rating.objects.order_by("pk"), 2).count == 8
    assert LargeTablePaginator(Rating.objects.filter(score=4.0).order_by("pk"), 2).count == 5


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates are PostgreSQL's")
def test_an_unfiltered_list_takes_the_planners_estimate_and_a_filtered_one_stops_at_the_limit(monkeypatch):
    RatingFactory.create_batch(12, score=4.0)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Rating._meta.db_table}")
    RatingFactory.create_batch(4, score=2.0)  # after the statistics: not in the estimate
    monkeypatch.setattr(paginators, "COUNT_LIMIT", 10)

    assert LargeTablePaginator(Rating.objects.order_by("pk"), 2).count == 12
    assert LargeTablePaginator(Rating.objects.filter(score=4.0).order_by("pk"), 2).count == 10
    assert LargeTablePaginator(Rating.objects.filter(score=2.0).order_by("pk"), 2).count == 4
