"""Catalogue pages and rating endpoints: htmx and plain posts, and every refusal (4xx, a message, nothing stored)."""

import pytest
from django.test import Client
from django.urls import reverse

from ratings.models import Rating
from ratings.services.ratings import LOGIN_REQUIRED, SCORE_INVALID, SCORE_MISSING
from ratings.views import MOVIE_NOT_FOUND, MOVIES_PER_PAGE, POST_REQUIRED, RATING_CHANGED_EVENT
from tests.factories import GenreFactory, MovieFactory, RatingFactory, UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
BAD_SCORES = ["abc", "0", "5.5", "3.25", "-1", "1e308", "1e400", "9" * 5000, "nan", "inf", ""]


@pytest.fixture
def user(db: None) -> object:
    return UserFactory(username="ada")


@pytest.fixture
def movie(db: None) -> object:
    return MovieFactory(title="Fargo", year=1996, imdb_url="http://us.imdb.com/M/title-exact?Fargo%20(1996)")


@pytest.fixture
def signed_in(client: Client, user: object) -> Client:
    client.force_login(user)
    return client


def rating_url(movie: object) -> str:
    return reverse("rating-set", args=[movie.pk])


def delete_url(movie: object) -> str:
    return reverse("rating-delete", args=[movie.pk])


# The movie list


@pytest.mark.django_db
def test_movie_list_searches_ignoring_accents(client: Client) -> None:
    """The catalogue finds "Misérables, Les" from "les miserables", shown as "Les Misérables", and leaves other
    titles out."""
    MovieFactory(title="Misérables, Les", year=1995)
    MovieFactory(title="Toy Story")
    response = client.get(reverse("movie-list"), {"q": "les miserables"})
    assert response.status_code == 200
    assert "Les Misérables" in response.text
    assert "Toy Story" not in response.text
    assert "1 movie" in response.text


@pytest.mark.django_db
def test_movie_list_paginates_and_keeps_filters_in_page_links(client: Client) -> None:
    """Past one page, a link to the next page keeps the search and the ordering."""
    for number in range(MOVIES_PER_PAGE + 3):
        MovieFactory(title=f"Movie {number:02d}")
    response = client.get(reverse("movie-list"), {"q": "movie", "order": "title"})
    assert "Page 1 of 2" in response.text
    assert "q=movie&amp;order=title&amp;page=2" in response.text
    second = client.get(reverse("movie-list"), {"q": "movie", "order": "title", "page": "2"})
    assert "Movie 26" in second.text and "Movie 00" not in second.text
    assert client.get(reverse("movie-list"), {"page": "abc"}).status_code == 200


@pytest.mark.django_db
def test_movie_list_best_rated_does_not_put_a_single_rating_first(client: Client) -> None:
    """Ordered by best rated, a movie with one 5-star rating comes after one with many high ratings."""
    lone = MovieFactory(title="Lone Star")
    RatingFactory(movie=lone, score=5.0)
    loved = MovieFactory(title="Much Loved")
    RatingFactory.create_batch(30, movie=loved, score=4.5)
    RatingFactory.create_batch(30, movie=MovieFactory(title="Panned"), score=2.0)  # a realistic global mean
    text = client.get(reverse("movie-list"), {"order": "best"}).text
    assert text.index("Much Loved") < text.index("Lone Star")


@pytest.mark.django_db
def test_movie_list_reports_bad_filters_and_still_lists(client: Client) -> None:
    """A bad year is reported on the page; the list still shows, unfiltered by it."""
    MovieFactory(title="Heat", year=1995)
    response = client.get(reverse("movie-list"), {"year": "abc", "genre": "nope"})
    assert response.status_code == 200
    assert "This filter is ignored." in response.text
    assert "Heat" in response.text


@pytest.mark.django_db
def test_movie_list_htmx_search_returns_only_the_results(client: Client) -> None:
    """A live search from the filter form (htmx, target movie-results) gets the results fragment only."""
    MovieFactory(title="Heat")
    response = client.get(reverse("movie-list"), {"q": "heat"}, HTTP_HX_TARGET="movie-results", **HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="movie-results">')
    assert "<html" not in response.text


@pytest.mark.django_db
def test_movie_list_shows_the_users_own_rating(signed_in: Client, user: object, movie: object) -> None:
    """A signed-in user sees their own score in the star widget of the cards of movies they rated."""
    RatingFactory(user=user, movie=movie, score=3.5)
    text = signed_in.get(reverse("movie-list")).text
    assert "Your rating: <strong>3.5</strong> / 5" in text
    assert 'aria-label="3.5 stars" aria-pressed="true"' in text


# The movie page


@pytest.mark.django_db
def test_movie_page_shows_details_statistics_and_distribution(client: Client, movie: object) -> None:
    """Title, year, genres, IMDb link, mean, count, a distribution table, and more like this."""
    movie.genres.set([GenreFactory(name="Crime", slug="crime")])
    other = MovieFactory(title="Blood Simple", genres=[movie.genres.first()])
    for score in (5.0, 4.0, 4.0):
        RatingFactory(movie=movie, score=score)
    RatingFactory(movie=other, score=4.0)
    response = client.get(reverse("movie-detail", args=[movie.pk]))
    assert response.status_code == 200
    text = response.text
    assert "Fargo" in text and "(1996)" in text and "Crime" in text
    assert 'href="http://us.imdb.com/M/title-exact?Fargo%20(1996)"' in text
    assert "<strong>4.3</strong> / 5" in text and "from 3 ratings" in text
    assert '<table class="distribution">' in text
    assert '2 <span class="muted">(67%)</span>' in text
    assert "More like this" in text and "Blood Simple" in text
    assert "Average 4.0 from 1 rating</p>" in text  # the similar movie's card has its statistics


@pytest.mark.django_db
def test_movie_page_invites_anonymous_visitors_to_log_in(client: Client, movie: object) -> None:
    """Without a login there is no widget, but a link to log in that comes back to the movie."""
    text = client.get(reverse("movie-detail", args=[movie.pk])).text
    assert 'class="rating-widget"' not in text
    assert f"/accounts/login/?next=/movies/{movie.pk}/" in text


@pytest.mark.django_db
def test_movie_page_widget_shows_the_users_rating(signed_in: Client, user: object, movie: object) -> None:
    """The widget marks the user's score, and offers to remove it."""
    RatingFactory(user=user, movie=movie, score=4.5)
    text = signed_in.get(reverse("movie-detail", args=[movie.pk])).text
    assert f'id="rating-{movie.pk}"' in text
    assert 'aria-label="4.5 stars" aria-pressed="true"' in text
    assert 'Remove<span class="visually-hidden"> my rating</span>' in text


@pytest.mark.django_db
def test_unknown_movie_page_is_404_with_a_message(client: Client) -> None:
    """A movie number that does not exist is a 404 that says so."""
    response = client.get(reverse("movie-detail", args=[999_999]))
    assert response.status_code == 404
    assert MOVIE_NOT_FOUND in response.text


# Rating: what succeeds


@pytest.mark.django_db
def test_plain_post_stores_the_rating_and_redirects_back(signed_in: Client, user: object, movie: object) -> None:
    """Without JavaScript the form posts, the rating is stored, and the browser goes back to the page it was on."""
    response = signed_in.post(rating_url(movie), {"score": "4.5", "next": "/movies/?q=fargo"})
    assert response.status_code == 302
    assert response["Location"] == "/movies/?q=fargo"
    assert Rating.objects.get(user=user, movie=movie).score == 4.5
    page = signed_in.get(response["Location"])
    assert "Saved: you rated Fargo 4.5 stars." in page.text


@pytest.mark.django_db
def test_plain_post_never_redirects_off_site(signed_in: Client, movie: object) -> None:
    """A "next" pointing to another site is ignored: the redirect goes to the movie's page."""
    response = signed_in.post(rating_url(movie), {"score": "3", "next": "https://evil.example/"})
    assert response["Location"] == reverse("movie-detail", args=[movie.pk])


@pytest.mark.django_db
def test_htmx_post_returns_the_widget_fragment(signed_in: Client, user: object, movie: object) -> None:
    """With htmx the answer is the widget alone, showing the new score, with an event for the progress bar."""
    response = signed_in.post(rating_url(movie), {"score": "3"}, **HTMX)
    assert response.status_code == 200
    assert response["HX-Trigger"] == RATING_CHANGED_EVENT
    text = response.text.strip()
    assert text.startswith(f'<div class="rating-widget rated" id="rating-{movie.pk}">')
    assert "<html" not in text
    assert "Your rating: <strong>3</strong> / 5" in text
    assert Rating.objects.get(user=user, movie=movie).score == 3.0


@pytest.mark.django_db
def test_changing_a_rating_replaces_it(signed_in: Client, user: object, movie: object) -> None:
    """Rating again changes the score rather than adding a second rating."""
    signed_in.post(rating_url(movie), {"score": "2"}, **HTMX)
    signed_in.post(rating_url(movie), {"score": "5"}, **HTMX)
    assert list(Rating.objects.filter(user=user).values_list("score", flat=True)) == [5.0]


@pytest.mark.django_db
def test_removing_a_rating_works_with_and_without_htmx(signed_in: Client, user: object, movie: object) -> None:
    """Remove answers with the empty widget for htmx, or a redirect for a plain form; the rating is gone."""
    RatingFactory(user=user, movie=movie)
    response = signed_in.post(delete_url(movie), **HTMX)
    assert response.status_code == 200
    assert "Not rated yet" in response.text
    assert not Rating.objects.exists()
    RatingFactory(user=user, movie=movie)
    response = signed_in.post(delete_url(movie), {"next": f"/movies/{movie.pk}/"})
    assert response.status_code == 302
    assert not Rating.objects.exists()
    assert "Removed your rating of Fargo." in signed_in.get(response["Location"]).text


# Rating: every refusal


@pytest.mark.django_db
@pytest.mark.parametrize("score", BAD_SCORES)
def test_bad_scores_are_refused_with_a_message_for_plain_posts(signed_in: Client, movie: object, score: str) -> None:
    """Not a half-star step from 0.5 to 5: 422, a page that says why, and nothing stored."""
    response = signed_in.post(rating_url(movie), {"score": score})
    assert response.status_code == 422
    assert (SCORE_MISSING if score == "" else SCORE_INVALID) in response.text
    assert "Nothing was changed." in response.text
    assert not Rating.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("score", BAD_SCORES)
def test_bad_scores_are_refused_in_the_htmx_widget(signed_in: Client, user: object, movie: object, score: str) -> None:
    """With htmx the refusal is the widget with the message (422, which htmx swaps); the old rating stays."""
    RatingFactory(user=user, movie=movie, score=2.0)
    response = signed_in.post(rating_url(movie), {"score": score}, **HTMX)
    assert response.status_code == 422
    assert "HX-Trigger" not in response
    assert 'class="form-error" role="alert"' in response.text
    assert (SCORE_MISSING if score == "" else SCORE_INVALID) in response.text
    assert "Your rating: <strong>2</strong> / 5" in response.text
    assert list(Rating.objects.values_list("score", flat=True)) == [2.0]


@pytest.mark.django_db
def test_a_post_without_a_score_is_refused(signed_in: Client, movie: object) -> None:
    """A form post with no score field at all changes nothing."""
    assert signed_in.post(rating_url(movie), {}).status_code == 422
    assert not Rating.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "put", "patch", "delete", "head"])
@pytest.mark.parametrize("url_of", [rating_url, delete_url])
def test_rating_endpoints_are_post_only(signed_in: Client, user: object, movie: object, method: str, url_of) -> None:
    """Any method but POST is a 405 that names POST, and changes nothing."""
    RatingFactory(user=user, movie=movie, score=2.0)
    response = getattr(signed_in, method)(url_of(movie) + "?score=4")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    if method != "head":
        assert POST_REQUIRED in response.text
    assert list(Rating.objects.values_list("score", flat=True)) == [2.0]


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["rating-set", "rating-delete"])
def test_unknown_movie_is_404(signed_in: Client, url_name: str) -> None:
    """Rating or unrating a movie that does not exist is a 404 with a message; nothing is stored."""
    response = signed_in.post(reverse(url_name, args=[999_999]), {"score": "4"})
    assert response.status_code == 404
    assert MOVIE_NOT_FOUND in response.text
    assert not Rating.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("url_of", [rating_url, delete_url])
def test_anonymous_plain_post_redirects_to_login(client: Client, movie: object, url_of) -> None:
    """Without a login a plain post goes to the login page, which comes back to the movie; nothing is stored."""
    response = client.post(url_of(movie), {"score": "4"})
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=%2Fmovies%2F{movie.pk}%2F"
    assert LOGIN_REQUIRED in client.get(response["Location"]).text
    assert not Rating.objects.exists()


@pytest.mark.django_db
def test_anonymous_htmx_post_is_401_with_a_redirect_to_login(client: Client, movie: object) -> None:
    """htmx gets a 401 with the reason and an HX-Redirect to the login page that returns to the current page."""
    response = client.post(
        rating_url(movie), {"score": "4"}, HTTP_HX_CURRENT_URL="http://testserver/movies/?q=f", **HTMX
    )
    assert response.status_code == 401
    assert response.text == LOGIN_REQUIRED
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Fmovies%2F%3Fq%3Df"
    assert not Rating.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("headers", [{}, HTMX])
@pytest.mark.parametrize("url_of", [rating_url, delete_url])
def test_posts_without_a_csrf_token_are_refused(user: object, movie: object, headers: dict, url_of) -> None:
    """With CSRF checks on, a post without the token is a 403 that explains; the rating is untouched."""
    RatingFactory(user=user, movie=movie, score=2.0)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(url_of(movie), {"score": "4"}, **headers)
    assert response.status_code == 403
    assert "security token (CSRF)" in response.text
    assert list(Rating.objects.values_list("score", flat=True)) == [2.0]


@pytest.mark.django_db
def test_posts_with_the_csrf_token_from_the_page_succeed(user: object, movie: object) -> None:
    """The token that the movie page puts in the widget's form is accepted."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get(reverse("movie-detail", args=[movie.pk]))
    token = client.cookies["csrftoken"].value
    response = client.post(rating_url(movie), {"score": "4", "csrfmiddlewaretoken": token}, **HTMX)
    assert response.status_code == 200
    assert Rating.objects.get(user=user, movie=movie).score == 4.0


@pytest.mark.django_db
def test_favicon_ico_answers_with_the_icon(client: Client) -> None:
    """/favicon.ico, which browsers ask for whatever the page links to, is the site's icon (not a 404)."""
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # the ICO signature
