"""GET/PUT/DELETE /api/me/watchlist and /api/me/hidden: a user's own lists, one mark per movie, undoable, and
every refusal (401, 404, 422) with a message."""

import pytest
from django.test import Client

from api.routers.marks import NOT_MARKED
from api.routers.movies import MOVIE_NOT_FOUND
from ratings.models import Mark, MovieMark
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LISTS = [("watchlist", Mark.WATCHLIST), ("hidden", Mark.HIDDEN)]


def marks_of(user: object) -> list[tuple[int, str]]:
    return list(MovieMark.objects.filter(user=user).values_list("movie_id", "mark"))


@pytest.mark.parametrize(("path", "mark"), LISTS)
def test_put_lists_and_delete(api_client: Client, user: object, auth: dict, catalogue: list, path: str, mark) -> None:
    """PUT adds the movie (twice is once), GET lists it with the time, DELETE takes it off (204), a second DELETE
    is a 404 saying the movie is not there."""
    movie = catalogue[0]
    url = f"/api/me/{path}/{movie.pk}"
    first = api_client.put(url, headers=auth)
    assert first.status_code == 200
    assert first.json()["movie"]["id"] == movie.pk and first.json()["marked_at"]
    assert api_client.put(url, headers=auth).json()["marked_at"] == first.json()["marked_at"]
    listed = api_client.get(f"/api/me/{path}", headers=auth).json()
    assert listed["count"] == 1 and listed["items"][0]["movie"]["title"] == movie.display_title
    assert marks_of(user) == [(movie.pk, mark.value)]
    assert api_client.delete(url, headers=auth).status_code == 204
    again = api_client.delete(url, headers=auth)
    assert again.status_code == 404
    assert again.json() == {"detail": NOT_MARKED[mark].format(id=movie.pk)}


def test_hiding_a_watchlisted_movie_moves_it(api_client: Client, user: object, auth: dict, catalogue: list) -> None:
    """A movie is on one list at most: hidden, it leaves the watchlist, and disappears from the recommendations."""
    movie = catalogue[3]
    api_client.put(f"/api/me/watchlist/{movie.pk}", headers=auth)
    api_client.put(f"/api/me/hidden/{movie.pk}", headers=auth)
    assert api_client.get("/api/me/watchlist", headers=auth).json()["count"] == 0
    assert marks_of(user) == [(movie.pk, "hidden")]
    shown = api_client.get("/api/me/recommendations", {"n": 100}, headers=auth).json()["items"]
    assert movie.pk not in [item["movie"]["id"] for item in shown]


@pytest.mark.parametrize(("path", "mark"), LISTS)
def test_refusals(api_client: Client, user: object, auth: dict, catalogue: list, path: str, mark) -> None:
    """Anonymous: 401; unknown movie: 404 naming it; an id out of range, a bad page, an unknown parameter: 422
    naming what is wrong; nothing stored."""
    movie = catalogue[0]
    assert api_client.put(f"/api/me/{path}/{movie.pk}").status_code == 401
    assert api_client.get(f"/api/me/{path}").status_code == 401
    response = api_client.put(f"/api/me/{path}/424242", headers=auth)
    assert response.status_code == 404 and response.json() == {"detail": MOVIE_NOT_FOUND.format(id=424242)}
    for method, url, params, named in [
        ("put", f"/api/me/{path}/0", {}, "movie_id"),
        ("get", f"/api/me/{path}", {"page": 0}, "page"),
        ("get", f"/api/me/{path}", {"page_size": 1000}, "page_size"),
        ("get", f"/api/me/{path}", {"limit": 5}, "limit"),
        ("put", f"/api/me/{path}/{movie.pk}?mark=seen", {}, "mark"),
    ]:
        response = getattr(api_client, method)(url, params, headers=auth)
        assert response.status_code == 422, url
        assert named in response.json()["detail"]
    assert not MovieMark.objects.exists()


def test_a_user_sees_and_changes_only_their_own_lists(api_client: Client, auth: dict, catalogue: list) -> None:
    """Another user's watchlist never shows, and deleting a movie only they listed is a 404 for this user."""
    from ratings.services.marks import movie_mark_set

    other = UserFactory(username="bob")
    movie_mark_set(user=other, movie=catalogue[0], mark=Mark.WATCHLIST)
    assert api_client.get("/api/me/watchlist", headers=auth).json()["count"] == 0
    assert api_client.delete(f"/api/me/watchlist/{catalogue[0].pk}", headers=auth).status_code == 404
    assert marks_of(other) == [(catalogue[0].pk, "watchlist")]
