"""Forms of the catalogue: the rating widget, the movie list's search, filters and ordering, and My ratings' filters."""

from typing import Any, TypedDict, cast

from django import forms

from ratings.selectors import (
    DEFAULT_ORDERING,
    MY_RATINGS_DEFAULT_ORDERING,
    MY_RATINGS_ORDERINGS,
    ORDERINGS,
    genre_list,
)
from ratings.services.ratings import score_clean

SEARCH_MAX_CHARS = 100
YEAR_MIN, YEAR_MAX = 1870, 2100


class RatingForm(forms.Form):
    """One score; the service's validator decides what a score is, so the form and the service never disagree."""

    score = forms.CharField(required=False, strip=True)

    def clean_score(self) -> float:
        return score_clean(self.cleaned_data.get("score"))


class FilterForm(forms.Form):
    """A list's filters, a genre among them; a bad value is reported and that filter ignored.

    ``ratings/_filter_form.html`` renders any of them: ``wide_fields`` grow to the row, ``narrow_fields`` stay short.
    """

    genre = forms.ChoiceField(label="Genre", required=False)
    wide_fields: tuple[str, ...] = ()
    narrow_fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["genre"]).choices = [
            ("", "All genres"),
            *((genre.slug, genre.name) for genre in genre_list()),
        ]

    def valid_data(self) -> dict[str, Any]:
        """The cleaned values of the fields that are valid; an invalid one is left out."""
        self.is_valid()
        return getattr(self, "cleaned_data", {})


class MovieFilters(TypedDict):
    """Keyword arguments for ``movie_list``."""

    query: str
    genre: str | None
    year: int | None
    ordering: str


class MyRatingsFilters(TypedDict):
    """Keyword arguments for ``user_rating_list`` besides the user."""

    ordering: str
    genre: str | None


class MovieFilterForm(FilterForm):
    """Search, genre, year and ordering of the movie list."""

    q = forms.CharField(
        label="Title",
        required=False,
        max_length=SEARCH_MAX_CHARS,
        widget=forms.SearchInput(attrs={"placeholder": "Search titles", "autocomplete": "off"}),
    )
    year = forms.IntegerField(label="Year", required=False, min_value=YEAR_MIN, max_value=YEAR_MAX)
    order = forms.ChoiceField(label="Order", required=False, choices=list(ORDERINGS.items()))
    field_order = ["q", "genre", "year", "order"]
    wide_fields, narrow_fields = ("q",), ("year",)

    def filters(self) -> MovieFilters:
        """Keyword arguments for ``movie_list``, from the fields that are valid."""
        data = self.valid_data()
        return {
            "query": data.get("q") or "",
            "genre": data.get("genre") or None,
            "year": data.get("year"),
            "ordering": data.get("order") or DEFAULT_ORDERING,
        }


class MyRatingsFilterForm(FilterForm):
    """Order and genre of the My ratings page."""

    order = forms.ChoiceField(label="Order", required=False, choices=list(MY_RATINGS_ORDERINGS.items()))
    field_order = ["order", "genre"]

    def filters(self) -> MyRatingsFilters:
        """Keyword arguments for ``user_rating_list``, from the fields that are valid."""
        data = self.valid_data()
        return {"ordering": data.get("order") or MY_RATINGS_DEFAULT_ORDERING, "genre": data.get("genre") or None}
