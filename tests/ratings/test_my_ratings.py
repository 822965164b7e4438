"""My ratings: every rating, sorted, filtered by genre, paged, edited in place; and the export of a user's data
(ratings, watchlist, hidden) as CSV and JSON, theirs only."""

import csv
import datetime as dt
import io
import json

import pytest
from django.test import Client
from django.urls import reverse

from ratings.export import CSV_COLUMNS
from ratings.mine_views import MY_RATINGS_PER_PAGE
from ratings.models import Mark
from ratings.services.marks import movie_mark_set
from tests.factories import GenreFactory, MovieFactory, RatingFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def user() -> object:
    return UserFactory(username="ada")


@pytest.fixture
def signed_in(client: Client, user: object) -> Client:
    client.force_login(user)
    return client


@pytest.fixture
def rated(user: object) -> dict[str, object]:
    """Three ratings on three days, in two genres, and someone else's rating that must never show."""
    drama, comedy = GenreFactory(name="Drama", slug="drama"), GenreFactory(name="Comedy", slug="comedy")
    movies = {
        "abyss": MovieFactory(title="Abyss, The", year=1989, genres=[drama]),
        "clerks": MovieFactory(title="Clerks", year=1994, genres=[comedy]),
        "babe": MovieFactory(title="Babe", year=1995, genres=[comedy, drama]),
    }
    for day, (key, score) in enumerate([("abyss", 2.0), ("clerks", 4.5), ("babe", 3.0)], start=1):
        RatingFactory(user=user, movie=movies[key], score=score, timestamp=dt.datetime(2024, 1, day, tzinfo=dt.UTC))
    RatingFactory(user=UserFactory(), movie=MovieFactory(title="Someone Else's"), score=5.0)
    return movies


def order_of(text: str) -> list[str]:
    positions = {title: text.find(f">{title}</a></h2>") for title in ("The Abyss", "Clerks", "Babe")}
    return [title for title, at in sorted(positions.items(), key=lambda pair: pair[1]) if at >= 0]


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("", ["Babe", "Clerks", "The Abyss"]),
        ("oldest", ["The Abyss", "Clerks", "Babe"]),
        ("highest", ["Clerks", "Babe", "The Abyss"]),
        ("lowest", ["The Abyss", "Babe", "Clerks"]),
        ("title", ["The Abyss", "Babe", "Clerks"]),  # the stored "Abyss, The" files it under A
    ],
)
def test_every_rating_in_the_order_asked(signed_in: Client, rated: dict, order: str, expected: list[str]) -> None:
    """Newest first by default; oldest, highest, lowest score, or by title; another user's ratings never show."""
    text = signed_in.get(reverse("my-ratings"), {"order": order} if order else {}).text
    assert order_of(text) == expected
    assert "Someone Else" not in text
    assert "3 movies rated" in text


def test_the_genre_filter_and_its_empty_state(signed_in: Client, rated: dict) -> None:
    """A genre keeps its movies; a genre with none says so and links to that genre's catalogue."""
    assert order_of(signed_in.get(reverse("my-ratings"), {"genre": "comedy"}).text) == ["Babe", "Clerks"]
    GenreFactory(name="War", slug="war")
    text = signed_in.get(reverse("my-ratings"), {"genre": "war"}).text
    assert "You have rated no movie in this genre." in text and "/movies/?genre=war" in text


def test_bad_filters_are_reported_and_ignored(signed_in: Client, rated: dict) -> None:
    """An unknown order or genre is named on the page and that filter ignored; the ratings still show."""
    response = signed_in.get(reverse("my-ratings"), {"order": "<script>", "genre": "nope", "page": "x"})
    assert response.status_code == 200
    assert response.text.count("This filter is ignored.") == 2
    assert "<script>" not in response.text
    assert order_of(response.text) == ["Babe", "Clerks", "The Abyss"]


def test_each_row_edits_and_removes_in_place(signed_in: Client, rated: dict) -> None:
    """Each row holds the star widget (htmx and plain forms), its score pressed, coming back to this page."""
    text = signed_in.get(reverse("my-ratings"), {"order": "title"}).text
    babe = rated["babe"]
    assert f'id="rating-{babe.pk}"' in text
    assert 'aria-label="3 stars" aria-pressed="true"' in text
    assert f'hx-post="{reverse("rating-delete", args=[babe.pk])}"' in text
    assert 'name="next" value="/me/ratings/?order=title"' in text


def test_pages_of_fifty_keep_the_filters(signed_in: Client, user: object) -> None:
    """Past one page, the next page's link keeps the order; the htmx filter answers with the results alone."""
    for number in range(MY_RATINGS_PER_PAGE + 2):
        RatingFactory(user=user, movie=MovieFactory(title=f"Movie {number:02d}"))
    text = signed_in.get(reverse("my-ratings"), {"order": "title"}).text
    assert "Page 1 of 2" in text and "order=title&amp;page=2" in text
    second = signed_in.get(reverse("my-ratings"), {"order": "title", "page": 2}).text
    assert "Movie 51" in second and "Movie 00" not in second
    fragment = signed_in.get(reverse("my-ratings"), {"order": "title"}, HTTP_HX_TARGET="my-ratings-results", **HTMX)
    assert fragment.text.lstrip().startswith('<div id="my-ratings-results">')


def test_no_ratings_yet_points_to_onboarding(signed_in: Client) -> None:
    """With nothing rated the page says so, once, and links to the onboarding page."""
    text = signed_in.get(reverse("my-ratings")).text
    assert "You have not rated any movie yet." in text and reverse("onboarding") in text
    assert "0 movies rated" not in text


@pytest.fixture
def marked(user: object, rated: dict) -> None:
    movie_mark_set(user=user, movie=MovieFactory(title="Heat", year=1995), mark=Mark.WATCHLIST)
    movie_mark_set(user=user, movie=MovieFactory(title="=HYPERLINK(1)", year=None), mark=Mark.HIDDEN)


def test_the_json_export_holds_ratings_watchlist_and_hidden(signed_in: Client, marked: None) -> None:
    """A download (attachment) of the user's own data, oldest first, with natural titles and ISO dates."""
    response = signed_in.get(reverse("my-data-json"))
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="movierec-')
    data = json.loads(response.content)
    assert [r["title"] for r in data["ratings"]] == ["The Abyss", "Clerks", "Babe"]
    assert data["ratings"][0]["rating"] == 2.0 and data["ratings"][0]["rated_at"] == "2024-01-01T00:00:00+00:00"
    assert [w["title"] for w in data["watchlist"]] == ["Heat"] and "added_at" in data["watchlist"][0]
    assert [h["title"] for h in data["hidden"]] == ["=HYPERLINK(1)"]


def test_the_csv_export_is_the_same_rows_and_safe_in_a_spreadsheet(signed_in: Client, marked: None) -> None:
    """One row per entry, its list named first; a title that a spreadsheet would run as a formula is quoted."""
    response = signed_in.get(reverse("my-data-csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [(row["list"], row["title"]) for row in rows] == [
        ("ratings", "The Abyss"),
        ("ratings", "Clerks"),
        ("ratings", "Babe"),
        ("watchlist", "Heat"),
        ("hidden", "'=HYPERLINK(1)"),
    ]
    assert rows[1]["rating"] == "4.5" and rows[3]["rating"] == "" and rows[4]["year"] == ""


@pytest.mark.parametrize("url_name", ["my-ratings", "my-data-csv", "my-data-json"])
def test_my_pages_need_a_login_and_take_get_only(client: Client, user: object, url_name: str) -> None:
    """Anonymous visitors go to log in; a POST is a 405."""
    response = client.get(reverse(url_name))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(user)
    assert client.post(reverse(url_name)).status_code == 405
