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


def test_the_ratings_search_matches_every_word_in_the_title_or_the_username(staff: Client) -> None:
    """Each word must be in the movie's title or the rater's username (quotes keep words together), as Django's
    own search; the words are looked up in the movies and users, not on every joined rating."""
    godfather, heat = MovieFactory(title="Godfather, The"), MovieFactory(title="Heat")
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob_godfather_fan")
    RatingFactory(movie=godfather, user=alice)
    RatingFactory(movie=heat, user=bob)
    RatingFactory(movie=heat, user=alice)

    def found(term: str) -> set[tuple[str, str]]:
        listed = staff.get("/admin/ratings/rating/", {"q": term}).context["cl"].result_list
        return {(rating.movie.title, rating.user.username) for rating in listed}

    assert found("godfather") == {("Godfather, The", "alice"), ("Heat", "bob_godfather_fan")}
    assert found("heat alice") == {("Heat", "alice")}  # each word in the title or the username
    assert found('"godfather, the"') == {("Godfather, The", "alice")}
    assert found("nothing-like-this") == set()
