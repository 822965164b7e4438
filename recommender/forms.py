"""The onboarding page's forms: the genres a newcomer likes, and the search for movies to rate."""

from typing import Any, cast

from django import forms

from ratings.forms import SEARCH_MAX_CHARS
from ratings.selectors import genre_list

GENRE_UNKNOWN = "Pick genres from the list."


class TasteGenresForm(forms.Form):
    genres = forms.MultipleChoiceField(
        label="Genres you like",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": GENRE_UNKNOWN, "invalid_list": GENRE_UNKNOWN},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["genres"]).choices = [
            (genre.slug, genre.name) for genre in genre_list()
        ]


class OnboardingSearchForm(forms.Form):
    q = forms.CharField(label="Find a movie you have seen", required=False, max_length=SEARCH_MAX_CHARS, strip=True)

    def query(self) -> str:
        """The search, or "" when it is not valid (too long, a NUL character): nothing is searched then."""
        return self.cleaned_data["q"] if self.is_valid() else ""
