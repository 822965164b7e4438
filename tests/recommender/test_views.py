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
    assert text.count('class="card-title"') == RECOMMENDATIONS_PER_PAGE
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
    assert "Rate a few you have seen</a> and this list becomes yours" in text
    assert text.count("this list becomes yours") == 1  # said once, not twice
    assert "You have rated 0 movies" not in text
    assert "Personal recommendations are not available" not in text
    assert "For you: <strong>" not in text


@pytest.mark.django_db
def test_home_genre_filter_and_pagination(client: Client, catalogue: list[Movie]) -> None:
    """The genre filter keeps only that genre; pages continue the list and keep the filter; a page too far shows
    the last page."""
    client.force_login(UserFactory())
    drama = client.get(reverse("home"), {"genre": "drama"}).text
    assert drama.count('class="card-title"') == 10
    assert all(f"Film {index:02d}" not in drama for index in range(10, 30))
    first = client.get(reverse("home")).text
    assert "Page 1 of 2" in first and "page=2" in first
    second = client.get(reverse("home"), {"page": "2"}).text
    assert second.count('class="card-title"') == 30 - RECOMMENDATIONS_PER_PAGE
    assert client.get(reverse("home"), {"page": "99"}).text.count('class="card-title"') == 10
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


@pytest.mark.django_db
def test_onboarding_progress_past_the_target_counts_without_over_the_target(
    client: Client, catalogue: list[Movie]
) -> None:
    """At the target the bar says "Rated 10 of 10"; past it, "Rated 12 movies", never "12 of 10"."""
    user = UserFactory()
    client.force_login(user)
    for movie in catalogue[: ONBOARDING_TARGET + 2]:
        RatingFactory(user=user, movie=movie)
    progress = client.get(reverse("onboarding-progress"), **HTMX).text
    assert f"Rated <strong>{ONBOARDING_TARGET + 2}</strong> movies" in progress
    assert f"of {ONBOARDING_TARGET}" not in progress


# Rating and marking from the list


@pytest.mark.django_db
def test_recommendation_cards_carry_stars_and_marks_for_members_only(client: Client, catalogue: list[Movie]) -> None:
    """Signed in, each card has the star widget and the two toggles aimed at the card (so marking takes it off the
    list), and the page holds the hidden refresh note; a visitor's cards have neither."""
    anonymous = client.get(reverse("home")).text
    assert 'class="rating-widget' not in anonymous and "mark-toggle" not in anonymous
    client.force_login(UserFactory())
    text = client.get(reverse("home")).text
    assert text.count('class="rating-widget"') == RECOMMENDATIONS_PER_PAGE
    assert text.count('class="mark-toggle watchlist" aria-pressed="false"') == RECOMMENDATIONS_PER_PAGE
    assert text.count('hx-target="#card-') == 2 * RECOMMENDATIONS_PER_PAGE  # both toggles of every card
    assert "data-refresh-note hidden" in text and "will follow your new taste" in text


@pytest.mark.django_db
@pytest.mark.parametrize("mark", ["watchlist", "hidden"])
def test_undo_on_a_marked_card_brings_it_back_with_its_prediction(
    client: Client, catalogue: list[Movie], mark: str
) -> None:
    """The card's Undo removes the mark and answers (htmx) with the whole card again, its prediction and focus on
    its title; without htmx it returns to the list with a message."""
    activate_model(catalogue)
    user = UserFactory()
    RatingFactory(user=user, movie=catalogue[0], score=5.0)
    client.force_login(user)
    movie = catalogue[5]
    client.post(reverse("mark-set", args=[movie.pk, mark]), HTTP_HX_TARGET=f"card-{movie.pk}", **HTMX)
    assert movie.pk not in [item.movie.pk for item in client.get(reverse("home")).context["page"].object_list]
    response = client.post(reverse("recommendation-restore", args=[movie.pk, mark]), **HTMX)
    assert response.status_code == 200
    assert f'<article class="card list-card" id="card-{movie.pk}">' in response.text
    assert "For you: <strong>" in response.text and " autofocus>" in response.text
    assert not user.movie_marks.exists()
    client.post(reverse("mark-set", args=[movie.pk, mark]))
    response = client.post(reverse("recommendation-restore", args=[movie.pk, mark]), {"next": "/?page=1"})
    assert response["Location"] == "/?page=1" and not user.movie_marks.exists()


@pytest.mark.django_db
def test_undo_refuses_bad_input(client: Client, catalogue: list[Movie]) -> None:
    """Undo is POST only, signed in only, for a known movie and list: 405, login, 404 with messages."""
    movie = catalogue[0]
    url = reverse("recommendation-restore", args=[movie.pk, "hidden"])
    assert client.post(url)["Location"].startswith("/accounts/login/")
    client.force_login(UserFactory())
    assert client.get(url).status_code == 405
    assert client.post(reverse("recommendation-restore", args=[movie.pk, "seen"])).status_code == 404
    assert client.post(reverse("recommendation-restore", args=[999_999, "hidden"])).status_code == 404


# The movie page after rating


@pytest.mark.django_db
def test_movie_page_keeps_the_prediction_beside_a_rated_widget_for_the_stylesheet_to_hide(
    client: Client, catalogue: list[Movie]
) -> None:
    """Rated, the widget is marked "rated" (site.css then hides the prediction beside it); the prediction is still
    in the page, so that removing the rating in place shows it again."""
    activate_model(catalogue)
    user = UserFactory()
    RatingFactory(user=user, movie=catalogue[0], score=5.0)
    RatingFactory(user=user, movie=catalogue[1], score=2.0)
    client.force_login(user)
    text = client.get(reverse("movie-detail", args=[catalogue[1].pk])).text
    assert f'<div class="rating-widget rated" id="rating-{catalogue[1].pk}">' in text
    assert "We think you would give it <strong>" in text
    assert '<section class="panel your-panel"' in text
    assert 'id="marks-' in text


@pytest.mark.django_db
def test_rating_on_the_movie_page_refreshes_everyones_panel_out_of_band(client: Client, catalogue: list[Movie]) -> None:
    """A rating sent from the movie's own page answers with the widget and everyone's panel (hx-swap-oob), the
    new rating counted; from any other page, the widget alone."""
    movie = catalogue[2]
    before = movie.ratings.count()
    client.force_login(UserFactory())
    here = f"http://testserver{reverse('movie-detail', args=[movie.pk])}"
    response = client.post(reverse("rating-set", args=[movie.pk]), {"score": "5"}, HTTP_HX_CURRENT_URL=here, **HTMX)
    assert '<section class="panel" id="everyone-panel" aria-labelledby="everyone" hx-swap-oob="true">' in response.text
    assert f"from {before + 1} ratings" in response.text
    elsewhere = client.post(
        reverse("rating-set", args=[movie.pk]), {"score": "4"}, HTTP_HX_CURRENT_URL="http://testserver/", **HTMX
    )
    assert "everyone-panel" not in elsewhere.text
    removed = client.post(reverse("rating-delete", args=[movie.pk]), HTTP_HX_CURRENT_URL=here, **HTMX)
    assert f"from {before} ratings" in removed.text
