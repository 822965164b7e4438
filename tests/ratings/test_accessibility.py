"""The new controls can be used without seeing them: every button, field and menu of the pages of issue 14 has an
accessible name (its text, a label, aria-label or a legend), toggles say whether they are on (aria-pressed),
ids are unique, and the stars keep their group names. Keyboard and focus are walked in the browser
(tests/e2e/test_lists.py, test_onboarding_taste.py)."""

from collections import Counter
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from ratings.models import Mark
from ratings.services.marks import movie_mark_set
from tests.factories import GenreFactory, MovieFactory, RatingFactory, UserFactory

pytestmark = pytest.mark.django_db

CONTROLS = {"button", "input", "select", "textarea"}
VOID = {"input", "br", "img", "meta", "link", "hr", "source", "use", "path"}


class Controls(HTMLParser):
    """Each control with its attributes and its text, the labels by their ``for``, and every id."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict] = []
        self.label_for: dict[str, str] = {}
        self.ids: Counter = Counter()
        self._open: list[tuple[str, dict]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids[attributes["id"]] += 1
        entry = {"tag": tag, "attrs": attributes, "text": ""}
        if tag in CONTROLS:
            self.controls.append(entry)
        if tag not in VOID:
            self._open.append((tag, entry))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            open_tag, entry = self._open.pop()
            if open_tag == "label" and entry["attrs"].get("for"):
                self.label_for[entry["attrs"]["for"]] = entry["text"].strip()
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, entry in self._open:
            entry["text"] += data

    def nameless(self) -> list[str]:
        missing = []
        for control in self.controls:
            attrs = control["attrs"]
            if attrs.get("type") == "hidden":
                continue
            name = attrs.get("aria-label") or control["text"].strip() or self.label_for.get(attrs.get("id", ""))
            if control["tag"] == "input" and attrs.get("type") == "submit":
                name = name or attrs.get("value")
            if not name:
                missing.append(f"<{control['tag']} {attrs}>")
        return missing


@pytest.fixture
def member(client: Client) -> object:
    genre = GenreFactory(name="Crime", slug="crime")
    user = UserFactory()
    movies = [MovieFactory(title=f"Film {index}", genres=[genre]) for index in range(4)]
    for movie in movies[:2]:
        RatingFactory(user=user, movie=movie, score=4.0)
        RatingFactory(movie=movie, score=3.0)
    movie_mark_set(user=user, movie=movies[2], mark=Mark.WATCHLIST)
    movie_mark_set(user=user, movie=movies[3], mark=Mark.HIDDEN)
    client.force_login(user)
    return movies


PAGES = ["/", "/movies/", "/movies/?q=flim", "/me/ratings/", "/me/watchlist/", "/me/hidden/", "/welcome/"]


@pytest.mark.parametrize("address", [*PAGES, "/accounts/data/", "/accounts/delete/", "movie"])
def test_every_control_has_a_name_toggles_say_their_state_and_ids_are_unique(
    client: Client, member: list, address: str
) -> None:
    """No nameless control, no toggle without aria-pressed, no id twice on the page."""
    url = reverse("movie-detail", args=[member[0].pk]) if address == "movie" else address
    response = client.get(url)
    assert response.status_code == 200
    page = Controls()
    page.feed(response.content.decode())
    assert page.nameless() == []
    toggles = [c for c in page.controls if "mark-toggle" in c["attrs"].get("class", "")]
    assert all(c["attrs"].get("aria-pressed") in {"true", "false"} for c in toggles)
    assert [identifier for identifier, count in page.ids.items() if count > 1] == []


def test_the_stars_of_every_card_are_a_group_named_after_the_movie(client: Client, member: list) -> None:
    """Each card's stars sit in a fieldset whose legend names the movie, so "4 stars" is never ambiguous."""
    text = client.get("/movies/").content.decode()
    for movie in member:
        assert f'<legend class="visually-hidden">Your rating of {movie.display_title}</legend>' in text
