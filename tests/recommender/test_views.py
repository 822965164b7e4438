"""The recommendations home page and the onboarding page, with and without an active model."""

import uuid

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse

from ratings.models import Movie, Rating
from recommender.models import ModelVersion
from recommender.views import ONBOARDING_SHOWN, ONBOARDING_TARGET, POST_REQUIRED, RECOMMENDATIONS_PER_PAGE
from tests.factories import GenreFactory, MovieFactory, RatingFactory, UserFactory
from tests.recommender.served_models import model_version_create

HTMX = {"HTTP_HX_REQUEST": "true"}

pytestmark = pytest.mark.usefixtures("fresh_serving")


@pytest.fixture
def catalogue(db: None) -> list[Movie]:
    """Thirty movies, the first ten dramas, rated by twelve MovieLens-like raters so that popularity is defined."""
    drama = GenreFactory(name="Drama", slug="drama")
    comedy = GenreFactory(name="Comedy", slug="comedy")
    movies = [MovieFactory(title=f"Film {index:02d}", genres=[drama if index < 10 else comedy]) for index in range(30)]
    for rater in range(12):
        user = UserFactory(username=f"rater{rater}")
        for index, movie in enumerate(movies):
            if (index + rater) % 3:
                RatingFactory(user=user, movie=movie, score=float(1 + (index * 7 + rater) % 5))
    return movies


def activate_model(movies: list[Movie], *, factors: int = 4) -> ModelVersion:
    """A small trained-looking model over every rater and movie, registered as the active version."""
    rng = np.random.default_rng(7)
    user_ids = sorted(Rating.objects.values_list("user_id", flat=True).distinct())
    return model_version_create(
        name=f"site-views-{uuid.uuid4().hex}",
        user_ids=user_ids,
        user_factors=rng.normal(size=(len(user_ids), factors)),
        movie_ids=[movie.pk for movie in movies],
        movie_factors=rng.normal(size=(len(movies), factors)),
        movie_bias=rng.normal(scale=0.3, size=len(movies)).astype(np.float32),
    )


# Home page


@pytest.mark.django_db
def test_anonymous_home_shows_popular_movies_and_invites_to_sign_up(client: Client, catalogue: list[Movie]) -> None:
    """Visitors see the popular list and a sign-up link, not personal recommendations or the fallback note."""
    response = client.get(reverse("home"))
    assert response.status_code == 200
    text = response.text
    assert reverse("signup") in text and "Sign up, it\u2019s free" in text
    assert "Recommended for you" not in text
    assert "Personal recommendations are not available" not in text
    assert text.count('<article class="card">') == RECOMMENDATIONS_PER_PAGE
    assert "Average " in text and " from 8 ratings" in text


@pytest.mark.django_db
def test_home_without_a_model_says_discreetly_that_it_falls_back(client: Client, catalogue: list[Movie]) -> None:
    """With no active model a signed-in user gets the popular list and a note saying so; never an error."""
    client.force_login(UserFactory())
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "Recommended for you" in response.text
    assert "Personal recommendations are not available right now" in response.text


@pytest.mark.django_db
def test_home_with_a_model_shows_predictions_and_reasons(client: Client, catalogue: list[Movie]) -> None:
    """Each item shows a predicted rating and names a movie the user rated highly; rated movies never appear."""
    activate_model(catalogue)
    user = UserFactory(username="newcomer")
    favourite, disliked = catalogue[3], catalogue[4]
    RatingFactory(user=user, movie=favourite, score=5.0)
    RatingFactory(user=user, movie=disliked, score=1.0)
    client.force_login(user)
    text = client.get(reverse("home")).text
    assert "Personal recommendations are not available" not in text
    assert "For you: <strong>" in text
    assert f'Because you rated <a href="/movies/{favourite.pk}/">{favourite.title}</a> 5 stars' in text
    assert f'href="/movies/{favourite.pk}/">{favourite.title}</a></h3>' not in text
    assert f'href="/movies/{disliked.pk}/">{disliked.title}</a></h3>' not in text


@pytest.mark.django_db
def test_home_with_a_model_but_no_ratings_asks_for_ratings(client: Client, catalogue: list[Movie]) -> None:
    """A user with nothing rated gets the popular list, with a note asking for ratings rather than an outage note."""
    activate_model(catalogue)
    client.force_login(UserFactory())
    text = client.get(reverse("home")).text
    assert "rate a few you have seen and this list becomes yours" in text
    assert "Personal recommendations are not available" not in text
    assert "For you: <strong>" not in text


@pytest.mark.django_db
def test_home_genre_filter_and_pagination(client: Client, catalogue: list[Movie]) -> None:
    """The genre filter keeps only that genre; pages continue the list and keep the filter; a page too far shows
    the last page."""
    client.force_login(UserFactory())
    drama = client.get(reverse("home"), {"genre": "drama"}).text
    assert drama.count('<article class="card">') == 10
    assert all(f"Film {index:02d}" not in drama for index in range(10, 30))
    first = client.get(reverse("home")).text
    assert "Page 1 of 2" in first and "page=2" in first
    second = client.get(reverse("home"), {"page": "2"}).text
    assert second.count('<article class="card">') == 30 - RECOMMENDATIONS_PER_PAGE
    assert client.get(reverse("home"), {"page": "99"}).text.count('<article class="card">') == 10
    assert client.get(reverse("home"), {"page": "x", "genre": "no-such-genre"}).status_code == 200


@pytest.mark.django_db
def test_home_nudges_users_with_few_ratings_to_onboarding(client: Client, catalogue: list[Movie]) -> None:
    """Under ten ratings, the home page links to the onboarding page; from ten on, it does not."""
    user = UserFactory()
    client.force_login(user)
    assert reverse("onboarding") in client.get(reverse("home")).text
    for movie in catalogue[:ONBOARDING_TARGET]:
        RatingFactory(user=user, movie=movie)
    assert f'href="{reverse("onboarding")}"' not in client.get(reverse("home")).text


# Onboarding


@pytest.mark.django_db
def test_onboarding_needs_a_login(client: Client) -> None:
    """The onboarding pages send anonymous visitors to the login page."""
    for name in ("onboarding", "onboarding-progress"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_onboarding_shows_movies_with_stars_skip_and_progress(client: Client, catalogue: list[Movie]) -> None:
    """The page lists movies to rate, each with star buttons and "Haven't seen it", and the progress so far."""
    client.force_login(UserFactory())
    text = client.get(reverse("onboarding")).text
    assert text.count('class="card onboarding-card"') == ONBOARDING_SHOWN
    assert text.count('class="rating-widget"') == ONBOARDING_SHOWN
    assert text.count("Haven\u2019t seen it") == ONBOARDING_SHOWN
    assert f"Rated <strong>0</strong> of {ONBOARDING_TARGET}" in text
    assert "See your recommendations" not in text


@pytest.mark.django_db
def test_signup_then_ten_ratings_completes_onboarding(client: Client, catalogue: list[Movie]) -> None:
    """A new user signs up, lands on onboarding, rates ten movies through the htmx endpoint, and is done."""
    password = "a brand new passphrase 42"
    client.post(
        reverse("signup"),
        {"username": "lin", "email": "lin@example.com", "password1": password, "password2": password},
    )
    page = client.get(reverse("onboarding"))
    assert page.status_code == 200
    for movie in page.context["movies"][:ONBOARDING_TARGET]:
        response = client.post(reverse("rating-set", args=[movie.pk]), {"score": "4"}, **HTMX)
        assert response.status_code == 200
    progress = client.get(reverse("onboarding-progress"), **HTMX).text
    assert f"Rated <strong>{ONBOARDING_TARGET}</strong> of {ONBOARDING_TARGET}" in progress
    assert "See your recommendations" in progress and 'href="/"' in progress


@pytest.mark.django_db
def test_skipping_without_javascript_hides_the_movie(client: Client, catalogue: list[Movie]) -> None:
    """A plain "Haven't seen it" post redirects back to onboarding, where that movie is gone and another shows."""
    client.force_login(UserFactory())
    before = [movie.pk for movie in client.get(reverse("onboarding")).context["movies"]]
    response = client.post(reverse("onboarding-skip"), {"movie": before[0]})
    assert response["Location"] == reverse("onboarding")
    after = [movie.pk for movie in client.get(reverse("onboarding")).context["movies"]]
    assert before[0] not in after
    assert len(after) == ONBOARDING_SHOWN


@pytest.mark.django_db
def test_skipping_with_htmx_returns_a_new_card(client: Client, catalogue: list[Movie]) -> None:
    """With htmx the skipped card is replaced by one card for a movie not on the page yet."""
    client.force_login(UserFactory())
    shown = [movie.pk for movie in client.get(reverse("onboarding")).context["movies"]]
    response = client.post(reverse("onboarding-skip"), {"movie": shown[0], "shown": shown}, **HTMX)
    assert response.status_code == 200
    assert response.text.count('class="card onboarding-card"') == 1
    new_pk = response.context["movie"].pk
    assert new_pk not in shown


@pytest.mark.django_db
def test_skip_refuses_get_and_ignores_bad_movie_numbers(client: Client, catalogue: list[Movie]) -> None:
    """GET is a 405; an unknown or malformed movie number skips nothing and still answers."""
    client.force_login(UserFactory())
    response = client.get(reverse("onboarding-skip"))
    assert response.status_code == 405
    assert POST_REQUIRED in response.text
    for bad in ("999999", "abc", "-1", "1" * 40, ""):
        assert client.post(reverse("onboarding-skip"), {"movie": bad})["Location"] == reverse("onboarding")
    assert client.session.get("onboarding_skipped", []) == []
