"""Watchlist and "not interested": the services (one mark per movie, undoable), the reads, and the toggles'
endpoints for htmx and plain forms, with every refusal (4xx, a message, nothing stored)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from ratings.endpoints import MOVIE_NOT_FOUND, POST_REQUIRED
from ratings.mark_views import MARK_NOT_FOUND, MARK_REMOVED, MARK_SAVED, MARKS_CHANGED_EVENT
from ratings.models import Mark, MovieMark
from ratings.selectors import user_mark_ids, user_mark_list, user_marks
from ratings.services.marks import LOGIN_REQUIRED, MARK_INVALID, mark_clean, movie_mark_delete, movie_mark_set
from tests.factories import MovieFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def user() -> object:
    return UserFactory(username="ada")


@pytest.fixture
def movie() -> object:
    return MovieFactory(title="Usual Suspects, The", year=1995)


@pytest.fixture
def signed_in(client: Client, user: object) -> Client:
    client.force_login(user)
    return client


def set_url(movie: object, mark: str) -> str:
    return reverse("mark-set", args=[movie.pk, mark])


def delete_url(movie: object, mark: str) -> str:
    return reverse("mark-delete", args=[movie.pk, mark])


def marks_of(user: object) -> list[tuple[int, str]]:
    return list(MovieMark.objects.filter(user=user).values_list("movie_id", "mark"))


# Services and selectors


def test_a_movie_carries_one_mark_and_hiding_moves_it_off_the_watchlist(user: object, movie: object) -> None:
    """Watchlisted, then hidden: one mark, now hidden; marking it again as it is keeps the first time."""
    first = movie_mark_set(user=user, movie=movie, mark=Mark.WATCHLIST)
    assert movie_mark_set(user=user, movie=movie, mark="watchlist").created_at == first.created_at
    movie_mark_set(user=user, movie=movie, mark=Mark.HIDDEN)
    assert marks_of(user) == [(movie.pk, "hidden")]


def test_undo_removes_only_the_mark_named(user: object, movie: object) -> None:
    """Undoing the watchlist of a hidden movie does nothing (False); undoing the hidden mark removes it (True)."""
    movie_mark_set(user=user, movie=movie, mark=Mark.HIDDEN)
    assert movie_mark_delete(user=user, movie=movie, mark=Mark.WATCHLIST) is False
    assert marks_of(user) == [(movie.pk, "hidden")]
    assert movie_mark_delete(user=user, movie=movie, mark=Mark.HIDDEN) is True
    assert marks_of(user) == []


@pytest.mark.parametrize("bad", ["", "Watchlist", "seen", "hidden ", None, 1, True, ["hidden"]])
def test_an_unknown_mark_is_refused_with_a_message(user: object, movie: object, bad: object) -> None:
    """Only "watchlist" and "hidden" are marks: anything else is a ValidationError naming them; nothing stored."""
    with pytest.raises(ValidationError) as refused:
        movie_mark_set(user=user, movie=movie, mark=bad)
    assert refused.value.messages == [MARK_INVALID]
    assert mark_clean("hidden") is Mark.HIDDEN
    assert not MovieMark.objects.exists()


def test_marks_need_a_signed_in_user(movie: object) -> None:
    """An anonymous visitor cannot mark or unmark: PermissionDenied with the sign-in message."""
    for write in (movie_mark_set, movie_mark_delete):
        with pytest.raises(PermissionDenied, match=LOGIN_REQUIRED):
            write(user=AnonymousUser(), movie=movie, mark=Mark.WATCHLIST)


def test_reads_of_marks(user: object, movie: object) -> None:
    """By movie for cards, as lists newest first for pages, as id sets by mark for the recommender; another
    user's marks never show."""
    other = MovieFactory(title="Heat")
    movie_mark_set(user=user, movie=movie, mark=Mark.WATCHLIST)
    movie_mark_set(user=user, movie=other, mark=Mark.WATCHLIST)
    movie_mark_set(user=UserFactory(), movie=MovieFactory(), mark=Mark.HIDDEN)
    assert user_marks(user=user, movies=[movie, other]) == {movie.pk: Mark.WATCHLIST, other.pk: Mark.WATCHLIST}
    assert user_marks(user=AnonymousUser(), movies=[movie]) == {}
    assert [entry.movie for entry in user_mark_list(user=user, mark=Mark.WATCHLIST)] == [other, movie]
    assert user_mark_ids(user_id=user.pk) == {Mark.WATCHLIST: {movie.pk, other.pk}, Mark.HIDDEN: set()}


def test_deleting_a_movie_or_a_user_deletes_their_marks(user: object, movie: object) -> None:
    """Marks belong to both: they go with either."""
    movie_mark_set(user=user, movie=movie, mark=Mark.HIDDEN)
    movie.delete()
    assert not MovieMark.objects.exists()
    movie_mark_set(user=user, movie=MovieFactory(), mark=Mark.HIDDEN)
    user.delete()
    assert not MovieMark.objects.exists()


# The toggles' endpoints


def test_htmx_toggle_answers_with_the_toggles_pressed(signed_in: Client, user: object, movie: object) -> None:
    """On a movie page or a catalogue card, a mark answers with both toggles, the one set pressed (and focused),
    and an event that tells the recommendations page to offer a refresh."""
    response = signed_in.post(set_url(movie, "watchlist"), HTTP_HX_TARGET=f"marks-{movie.pk}", **HTMX)
    assert response.status_code == 200
    assert response["HX-Trigger"] == MARKS_CHANGED_EVENT
    text = response.text
    assert text.lstrip().startswith(f'<div class="mark-buttons" id="marks-{movie.pk}">')
    assert 'class="mark-toggle watchlist" aria-pressed="true" autofocus' in text
    assert 'class="mark-toggle hidden" aria-pressed="false"' in text
    assert delete_url(movie, "watchlist") in text  # pressed again, it undoes
    assert marks_of(user) == [(movie.pk, "watchlist")]
    undone = signed_in.post(delete_url(movie, "watchlist"), HTTP_HX_TARGET=f"marks-{movie.pk}", **HTMX)
    assert 'class="mark-toggle watchlist" aria-pressed="false" autofocus' in undone.text
    assert marks_of(user) == []


@pytest.mark.parametrize("mark", list(Mark))
def test_marking_a_recommendation_card_answers_with_its_undo(
    signed_in: Client, user: object, movie: object, mark: Mark
) -> None:
    """From a recommendation card (htmx target card-<pk>) the card becomes a note that the movie left the list,
    with an Undo button (focused) that posts to the recommender's restore address."""
    response = signed_in.post(set_url(movie, mark), HTTP_HX_TARGET=f"card-{movie.pk}", **HTMX)
    assert response.status_code == 200
    text = response.text
    assert f'<article class="card card-marked" id="card-{movie.pk}">' in text
    assert "The Usual Suspects" in text
    assert reverse("recommendation-restore", args=[movie.pk, mark]) in text
    assert "autofocus>Undo" in text
    assert marks_of(user) == [(movie.pk, mark.value)]


def test_plain_posts_mark_and_unmark_then_go_back_with_a_message(
    signed_in: Client, user: object, movie: object
) -> None:
    """Without JavaScript the form posts, the mark is stored or removed, and the browser returns with a message."""
    response = signed_in.post(set_url(movie, "hidden"), {"next": "/movies/?q=usual"})
    assert response["Location"] == "/movies/?q=usual"
    assert MARK_SAVED[Mark.HIDDEN].format(movie="The Usual Suspects") in signed_in.get(response["Location"]).text
    response = signed_in.post(delete_url(movie, "hidden"), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("movie-detail", args=[movie.pk])
    assert MARK_REMOVED[Mark.HIDDEN].format(movie="The Usual Suspects") in signed_in.get(response["Location"]).text
    assert marks_of(user) == []


@pytest.mark.parametrize("mark", ["seen", "WATCHLIST", "hidden.", "%3Cscript%3E", "x" * 300])
@pytest.mark.parametrize("url_of", [set_url, delete_url])
def test_an_unknown_list_is_a_404_with_a_message(signed_in: Client, movie: object, mark: str, url_of) -> None:
    """A mark that is not watchlist or hidden in the address: 404 that says so, nothing stored."""
    response = signed_in.post(url_of(movie, mark))
    assert response.status_code == 404
    assert MARK_NOT_FOUND in response.text
    assert not MovieMark.objects.exists()


@pytest.mark.parametrize("url_of", [set_url, delete_url])
def test_an_unknown_movie_is_a_404_with_a_message(signed_in: Client, url_of) -> None:
    """Marking a movie that does not exist: 404 that says so, nothing stored."""
    response = signed_in.post(url_of(MovieFactory.build(pk=999_999), "watchlist"))
    assert response.status_code == 404
    assert MOVIE_NOT_FOUND in response.text


@pytest.mark.parametrize("method", ["get", "put", "delete"])
@pytest.mark.parametrize("url_of", [set_url, delete_url])
def test_mark_endpoints_are_post_only(signed_in: Client, movie: object, method: str, url_of) -> None:
    """Any other method is a 405 naming POST, and changes nothing."""
    response = getattr(signed_in, method)(url_of(movie, "hidden"))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert POST_REQUIRED in response.text
    assert not MovieMark.objects.exists()


def test_anonymous_posts_go_to_log_in(client: Client, movie: object) -> None:
    """A plain post redirects to the login page (coming back to the movie), htmx gets a 401 with HX-Redirect."""
    response = client.post(set_url(movie, "watchlist"))
    assert response["Location"] == f"/accounts/login/?next=%2Fmovies%2F{movie.pk}%2F"
    assert LOGIN_REQUIRED in client.get(response["Location"]).text
    response = client.post(set_url(movie, "watchlist"), HTTP_HX_CURRENT_URL="http://testserver/", **HTMX)
    assert response.status_code == 401
    assert response["HX-Redirect"] == "/accounts/login/?next=%2F"
    assert not MovieMark.objects.exists()


def test_posts_without_the_csrf_token_are_refused(user: object, movie: object) -> None:
    """With CSRF checks on, a mark without the token is a 403; with the page's token it is stored."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(set_url(movie, "hidden"), **HTMX).status_code == 403
    assert not MovieMark.objects.exists()
    client.get(reverse("movie-detail", args=[movie.pk]))
    token = client.cookies["csrftoken"].value
    assert client.post(set_url(movie, "hidden"), {"csrfmiddlewaretoken": token}, **HTMX).status_code == 200
    assert marks_of(user) == [(movie.pk, "hidden")]


# The two lists


@pytest.mark.parametrize(("url_name", "mark"), [("my-watchlist", Mark.WATCHLIST), ("my-hidden", Mark.HIDDEN)])
def test_each_list_shows_its_movies_with_toggles_to_undo(
    signed_in: Client, user: object, movie: object, url_name: str, mark: Mark
) -> None:
    """The watchlist and the hidden list show their movies (natural titles), each with its toggle pressed, and
    say when they are empty."""
    other = Mark.HIDDEN if mark == Mark.WATCHLIST else Mark.WATCHLIST
    empty = {Mark.WATCHLIST: "Your watchlist is empty.", Mark.HIDDEN: "You have not hidden any movie."}[mark]
    assert empty in signed_in.get(reverse(url_name)).text
    movie_mark_set(user=user, movie=movie, mark=mark)
    movie_mark_set(user=user, movie=MovieFactory(title="Heat"), mark=other)
    text = signed_in.get(reverse(url_name)).text
    assert "The Usual Suspects" in text and "Heat" not in text
    assert f'class="mark-toggle {mark.value}" aria-pressed="true"' in text
    assert "1 movie" in text


@pytest.mark.parametrize("url_name", ["my-watchlist", "my-hidden"])
def test_the_lists_need_a_login(client: Client, url_name: str) -> None:
    """Anonymous visitors are sent to log in."""
    response = client.get(reverse(url_name))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
