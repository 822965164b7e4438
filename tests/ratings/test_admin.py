"""The catalogue's admin: the ratings list reads a page without scanning the table for its filters, and the score
filter keeps one score; marks have a list of their own."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ratings.models import Mark
from ratings.services.marks import movie_mark_set
from tests.factories import MovieFactory, RatingFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client: Client) -> Client:
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    return client


def test_the_ratings_list_asks_no_distinct_values_and_filters_by_score(staff: Client) -> None:
    """No DISTINCT over the ratings (a date hierarchy's years, a filter's scores): those cost seconds with 100,000
    ratings; the score filter's choices are the allowed scores, and it keeps that score only."""
    movie = MovieFactory(title="Shawshank Redemption, The")
    RatingFactory(movie=movie, score=4.5)
    RatingFactory(movie=movie, score=2.0)
    with CaptureQueriesContext(connection) as queries:
        response = staff.get("/admin/ratings/rating/")
    assert response.status_code == 200
    assert not [q["sql"] for q in queries.captured_queries if "DISTINCT" in q["sql"] and "ratings_rating" in q["sql"]]
    assert "The Shawshank Redemption" in response.text and "?score=0.5" in response.text
    filtered = staff.get("/admin/ratings/rating/", {"score": "4.5"})
    assert filtered.context["cl"].result_count == 1
    assert staff.get("/admin/ratings/rating/", {"score": "<script>"}).status_code == 200


def test_marks_have_an_admin_list(staff: Client) -> None:
    """Watchlist and hidden marks are listed, filterable by mark."""
    movie_mark_set(user=UserFactory(), movie=MovieFactory(title="Heat"), mark=Mark.HIDDEN)
    response = staff.get("/admin/ratings/moviemark/", {"mark": "hidden"})
    assert response.status_code == 200 and "Heat" in response.text
