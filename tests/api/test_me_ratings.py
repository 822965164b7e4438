"""GET/PUT/DELETE /api/me/ratings: a user reads and changes only their own ratings, validated before storing."""

import pytest
from django.test import Client

from api.routers.me import RATING_NOT_FOUND
from api.routers.movies import MOVIE_NOT_FOUND
from api.urls import METHOD_NOT_ALLOWED
from ratings.models import Rating
from tests.factories import RatingFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_put_creates_then_replaces_a_rating(api_client: Client, user: object, auth: dict, catalogue: list) -> None:
    """PUT stores the rating, a second PUT replaces it; the answer echoes the movie and the rating."""
    movie = catalogue[0]
    url = f"/api/me/ratings/{movie.pk}"
    first = api_client.put(url, {"rating": 4.5}, content_type="application/json", headers=auth)
    assert first.status_code == 200
    assert first.json()["rating"] == 4.5 and first.json()["movie"]["id"] == movie.pk
    api_client.put(url, {"rating": 2}, content_type="application/json", headers=auth)
    assert Rating.objects.get(user=user, movie=movie).score == 2.0


@pytest.mark.parametrize("rating", [0, 0.25, 4.3, 5.5, -1, 1e308, "four", None, True, "4.5"])
def test_put_refuses_anything_but_a_half_star_score(
    api_client: Client, user: object, auth: dict, catalogue: list, rating: object
) -> None:
    """Out-of-range, off-step and non-numbers (strings and booleans too) are a 422 naming the field; nothing stored."""
    response = api_client.put(
        f"/api/me/ratings/{catalogue[0].pk}", {"rating": rating}, content_type="application/json", headers=auth
    )
    assert response.status_code == 422
    assert "rating" in response.json()["detail"]
    assert not Rating.objects.filter(user=user).exists()


@pytest.mark.parametrize("body", ["{not json", "", "[]", '{"rating": 4, "rating": }'])
def test_put_with_a_malformed_body(api_client: Client, user: object, auth: dict, catalogue: list, body: str) -> None:
    """Malformed JSON is a 400 (or 422 for JSON of the wrong shape) with a message, and nothing is stored."""
    response = api_client.put(f"/api/me/ratings/{catalogue[0].pk}", body, content_type="application/json", headers=auth)
    assert response.status_code in {400, 422}
    assert response.json()["detail"]
    assert not Rating.objects.filter(user=user).exists()


def test_put_for_an_unknown_movie_is_a_404(api_client: Client, user: object, auth: dict, db: None) -> None:
    """Rating a movie that does not exist: 404, nothing stored."""
    response = api_client.put("/api/me/ratings/424242", {"rating": 3}, content_type="application/json", headers=auth)
    assert response.status_code == 404
    assert response.json() == {"detail": MOVIE_NOT_FOUND.format(id=424242)}
    assert not Rating.objects.filter(user=user).exists()


def test_writes_need_authentication(api_client: Client, catalogue: list) -> None:
    """Anonymous PUT and DELETE are a 401 and store nothing."""
    url = f"/api/me/ratings/{catalogue[0].pk}"
    count = Rating.objects.count()
    assert api_client.put(url, {"rating": 3}, content_type="application/json").status_code == 401
    assert api_client.delete(url).status_code == 401
    assert Rating.objects.count() == count


def test_list_shows_only_my_ratings_newest_first(api_client: Client, user: object, auth: dict, catalogue: list) -> None:
    """GET /api/me/ratings lists the caller's ratings, not the catalogue raters', newest first."""
    for movie, score in zip(catalogue[:3], (1.0, 2.5, 5.0), strict=True):
        api_client.put(f"/api/me/ratings/{movie.pk}", {"rating": score}, content_type="application/json", headers=auth)
    body = api_client.get("/api/me/ratings", headers=auth).json()
    assert body["count"] == 3
    assert [item["rating"] for item in body["items"]] == [5.0, 2.5, 1.0]
    assert body["items"][0]["movie"]["id"] == catalogue[2].pk


def test_delete_removes_my_rating_only(api_client: Client, user: object, auth: dict, catalogue: list) -> None:
    """DELETE answers 204 and removes the caller's rating; other users' ratings of the movie stay."""
    movie = catalogue[1]
    RatingFactory(user=user, movie=movie, score=3.0)
    others = Rating.objects.filter(movie=movie).exclude(user=user).count()
    response = api_client.delete(f"/api/me/ratings/{movie.pk}", headers=auth)
    assert response.status_code == 204
    assert not Rating.objects.filter(user=user, movie=movie).exists()
    assert Rating.objects.filter(movie=movie).count() == others


def test_deleting_a_rating_i_do_not_have_is_a_404(api_client: Client, auth: dict, catalogue: list) -> None:
    """Another user's rating of a movie is not mine to delete: 404, and it stays."""
    movie = catalogue[1]
    RatingFactory(user=UserFactory(username="bob"), movie=movie, score=3.0)
    response = api_client.delete(f"/api/me/ratings/{movie.pk}", headers=auth)
    assert response.status_code == 404
    assert response.json() == {"detail": RATING_NOT_FOUND.format(id=movie.pk)}
    assert Rating.objects.filter(user__username="bob", movie=movie).exists()


def test_wrong_method_is_a_json_405(api_client: Client, auth: dict, catalogue: list) -> None:
    """POST where only PUT and DELETE exist: 405 with Allow and a JSON message, nothing stored."""
    count = Rating.objects.count()
    response = api_client.post(
        f"/api/me/ratings/{catalogue[0].pk}", {"rating": 3}, content_type="application/json", headers=auth
    )
    assert response.status_code == 405
    assert set(response["Allow"].split(", ")) == {"PUT", "DELETE"}
    assert response.json() == {"detail": METHOD_NOT_ALLOWED.format(method="POST", allowed=response["Allow"])}
    assert Rating.objects.count() == count
