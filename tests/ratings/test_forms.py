"""Forms of the catalogue: the rating form uses the service's validator; bad filters are reported and ignored."""

import pytest

from ratings.forms import MovieFilterForm, RatingForm
from ratings.selectors import DEFAULT_ORDERING
from ratings.services.ratings import SCORE_INVALID, SCORE_MISSING
from tests.factories import GenreFactory


@pytest.mark.parametrize(("raw", "score"), [("0.5", 0.5), ("4", 4.0), ("4.5", 4.5), ("5.0", 5.0)])
def test_rating_form_cleans_to_a_float(raw: str, score: float) -> None:
    """A valid score comes out as a float."""
    form = RatingForm({"score": raw})
    assert form.is_valid()
    assert form.cleaned_data["score"] == score


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("abc", SCORE_INVALID),
        ("5.5", SCORE_INVALID),
        ("0", SCORE_INVALID),
        ("1" * 50, SCORE_INVALID),
        ("", SCORE_MISSING),
    ],
)
def test_rating_form_reports_the_service_message(raw: str, message: str) -> None:
    """The form's message is the service's, so the page says exactly why a score is refused."""
    form = RatingForm({"score": raw})
    assert not form.is_valid()
    assert form.errors["score"] == [message]


def test_rating_form_without_the_field_asks_for_a_score() -> None:
    """A post with no score field at all is refused too."""
    form = RatingForm({})
    assert not form.is_valid()
    assert form.errors["score"] == [SCORE_MISSING]


@pytest.mark.django_db
def test_filter_form_passes_valid_filters() -> None:
    """Valid search, genre, year and ordering become movie_list's keyword arguments."""
    GenreFactory(name="Drama", slug="drama")
    form = MovieFilterForm({"q": " blade ", "genre": "drama", "year": "1982", "order": "best"})
    assert form.filters() == {"query": "blade", "genre": "drama", "year": 1982, "ordering": "best"}


@pytest.mark.django_db
def test_filter_form_ignores_bad_values_but_keeps_good_ones() -> None:
    """An unknown genre, a year out of range and an unknown ordering are errors, dropped from the filters."""
    GenreFactory(name="Drama", slug="drama")
    form = MovieFilterForm({"q": "blade", "genre": "nope", "year": "99999", "order": "random()"})
    assert form.filters() == {"query": "blade", "genre": None, "year": None, "ordering": DEFAULT_ORDERING}
    assert set(form.errors) == {"genre", "year", "order"}


@pytest.mark.django_db
def test_filter_form_refuses_overlong_searches() -> None:
    """A search longer than 100 characters is refused rather than run."""
    form = MovieFilterForm({"q": "a" * 101})
    assert form.filters()["query"] == ""
    assert "q" in form.errors
