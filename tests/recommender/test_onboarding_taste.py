"""Onboarding by taste: genres picked first, then well-known movies of those genres from every decade, a search
inside onboarding, and the list previewed below, refreshed after each rating."""

import pytest
from django.test import Client
from django.urls import reverse

from ratings.models import Mark, Movie
from ratings.services.marks import movie_mark_set
from recommender.forms import GENRE_UNKNOWN
from recommender.services.onboarding import onboarding_movies
from recommender.views import GENRES_SAVED, ONBOARDING_SHOWN, POST_REQUIRED
from tests.factories import GenreFactory, MovieFactory, RatingFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_serving")]

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def catalogue() -> dict[str, list[Movie]]:
    """Westerns and musicals of six decades, the older ones better known, rated by a crowd of raters."""
    western, musical = GenreFactory(name="Western", slug="western"), GenreFactory(name="Musical", slug="musical")
    movies: dict[str, list[Movie]] = {"western": [], "musical": []}
    raters = UserFactory.create_batch(12)
    for genre, key in ((western, "western"), (musical, "musical")):
        for decade in range(1940, 2000, 10):
            for index in range(3):
                movie = MovieFactory(title=f"{key} {decade} {index}", year=decade + index, genres=[genre])
                movies[key].append(movie)
                for rater in raters[: 12 - index * 3 - (decade - 1940) // 20]:
                    RatingFactory(user=rater, movie=movie, score=4.0)
    return movies


def test_picked_genres_give_their_best_known_movies_from_every_decade(catalogue: dict) -> None:
    """With "western" picked, the movies are westerns only, one per decade before a second from any decade."""
    picks = onboarding_movies(user=UserFactory(), limit=6, genres=["western"])
    assert {movie.title.split()[0] for movie in picks} == {"western"}
    assert sorted(movie.year // 10 * 10 for movie in picks) == list(range(1940, 2000, 10))
    assert all(movie.title.endswith(" 0") for movie in picks)  # the best known of each decade


def test_taste_onboarding_leaves_out_rated_and_hidden_movies(catalogue: dict) -> None:
    """Neither a rated movie nor one the newcomer said they are not interested in is asked about."""
    user = UserFactory()
    rated, hidden = catalogue["western"][0], catalogue["western"][3]
    RatingFactory(user=user, movie=rated)
    movie_mark_set(user=user, movie=hidden, mark=Mark.HIDDEN)
    for genres in (["western"], None):
        picks = onboarding_movies(user=user, limit=30, genres=genres)
        assert rated not in picks and hidden not in picks


def test_picking_genres_with_htmx_answers_with_their_movies(client: Client, catalogue: dict) -> None:
    """The genre form (htmx) stores the choice in the session and answers with the list to rate, of those genres;
    the page then shows the choice ticked."""
    client.force_login(UserFactory())
    response = client.post(reverse("onboarding-genres"), {"genres": ["musical"]}, **HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="onboarding-list">')
    titles = [movie.title for movie in response.context["movies"]]
    assert len(titles) == ONBOARDING_SHOWN and all(title.startswith("musical") for title in titles)
    page = client.get(reverse("onboarding")).text
    assert 'value="musical"' in page and "checked" in page.split('value="musical"')[1][:40]


def test_picking_genres_without_javascript_redirects_with_a_message(client: Client, catalogue: dict) -> None:
    """A plain post saves the genres and returns to onboarding, which says what it now shows."""
    client.force_login(UserFactory())
    response = client.post(reverse("onboarding-genres"), {"genres": ["western", "musical"]})
    assert response["Location"] == reverse("onboarding")
    assert GENRES_SAVED in client.get(response["Location"]).text
    assert client.session["onboarding_genres"] == ["western", "musical"]


@pytest.mark.parametrize("bad", ["horror", "<script>", "", "x" * 500, "\x00"])
def test_an_unknown_genre_is_refused_with_a_message(client: Client, catalogue: dict, bad: str) -> None:
    """A genre not in the list: 422 (htmx) or a redirect with the message; the earlier choice stays."""
    client.force_login(UserFactory())
    client.post(reverse("onboarding-genres"), {"genres": ["western"]})
    response = client.post(reverse("onboarding-genres"), {"genres": ["musical", bad]}, **HTMX)
    assert response.status_code == 422
    assert GENRE_UNKNOWN in response.text and "<script>" not in response.text
    plain = client.post(reverse("onboarding-genres"), {"genres": [bad]}, follow=True)
    assert GENRE_UNKNOWN in plain.text
    assert client.session["onboarding_genres"] == ["western"]


def test_no_genre_picked_is_a_mix_of_everything(client: Client, catalogue: dict) -> None:
    """Unticking every genre goes back to the mix of all genres."""
    client.force_login(UserFactory())
    client.post(reverse("onboarding-genres"), {"genres": ["western"]})
    response = client.post(reverse("onboarding-genres"), {}, **HTMX)
    assert {movie.title.split()[0] for movie in response.context["movies"]} == {"western", "musical"}


def test_the_search_inside_onboarding_forgives_typos(client: Client, catalogue: dict) -> None:
    """The onboarding search (htmx) answers with cards to rate, without "Haven't seen it"; a plain GET comes back
    to the onboarding page showing them; too long a query searches nothing."""
    MovieFactory(title="Godfather, The", year=1972)
    client.force_login(UserFactory())
    response = client.get(reverse("onboarding-search"), {"q": "godfater"}, **HTMX)
    assert response.text.lstrip().startswith('<div id="onboarding-search-results"')
    assert "The Godfather" in response.text and 'class="rating-widget"' in response.text
    assert "Haven\u2019t seen it" not in response.text
    plain = client.get(reverse("onboarding-search"), {"q": "godfater"})
    assert plain["Location"] == f"{reverse('onboarding')}?q=godfater"
    assert "The Godfather" in client.get(plain["Location"]).text
    assert client.get(reverse("onboarding-search"), {"q": "x" * 500}, **HTMX).context["found"] == []


def test_the_preview_shows_the_top_of_the_list_and_listens_for_ratings(client: Client, catalogue: dict) -> None:
    """Below the movies to rate, the top of the newcomer's list, fetched again on every rating-changed event."""
    client.force_login(UserFactory())
    page = client.get(reverse("onboarding")).text
    assert 'hx-trigger="rating-changed from:body delay:300ms"' in page and "Your list so far" in page
    preview = client.get(reverse("onboarding-preview"), **HTMX)
    assert preview.status_code == 200 and preview.text.count("<li>") == 6


def test_onboarding_addresses_refuse_wrong_methods_and_anonymous_visitors(client: Client) -> None:
    """Genres take POST only (405 naming POST); search and preview GET only; all need a login."""
    for name in ("onboarding-genres", "onboarding-search", "onboarding-preview"):
        assert client.get(reverse(name))["Location"].startswith("/accounts/login/")
    client.force_login(UserFactory())
    response = client.get(reverse("onboarding-genres"))
    assert response.status_code == 405 and POST_REQUIRED in response.text
    assert client.post(reverse("onboarding-search")).status_code == 405
    assert client.post(reverse("onboarding-preview")).status_code == 405
