"""GET /api/me/export and POST /api/me/delete: a user's data as JSON, and account deletion confirmed with the
password (wrong or hostile input refused with a message, nothing deleted)."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from api.routers.account import WRONG_PASSWORD
from api.schemas import NULL_CHARACTER
from ratings.models import Mark, Rating
from ratings.services.marks import movie_mark_set
from tests.factories import RatingFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # the factories' password


def test_export_holds_the_users_ratings_and_lists(
    api_client: Client, user: object, auth: dict, catalogue: list
) -> None:
    """The same document as the site's JSON download: ratings, watchlist and hidden, this user's only."""
    RatingFactory(user=user, movie=catalogue[0], score=4.5)
    movie_mark_set(user=user, movie=catalogue[1], mark=Mark.WATCHLIST)
    movie_mark_set(user=user, movie=catalogue[2], mark=Mark.HIDDEN)
    body = api_client.get("/api/me/export", headers=auth).json()
    assert [(r["movie_id"], r["rating"]) for r in body["ratings"]] == [(catalogue[0].pk, 4.5)]
    assert [w["movie_id"] for w in body["watchlist"]] == [catalogue[1].pk]
    assert [h["movie_id"] for h in body["hidden"]] == [catalogue[2].pk]
    assert api_client.get("/api/me/export").status_code == 401


def test_delete_with_the_password_removes_the_account_and_its_token(
    api_client: Client, user: object, auth: dict, catalogue: list
) -> None:
    """204; the account and its ratings are gone, and its token no longer works."""
    RatingFactory(user=user, movie=catalogue[0])
    response = api_client.post("/api/me/delete", {"password": PASSWORD}, content_type="application/json", headers=auth)
    assert response.status_code == 204
    assert not get_user_model().objects.filter(pk=user.pk).exists()
    assert not Rating.objects.filter(user_id=user.pk).exists()
    assert api_client.get("/api/me/ratings", headers=auth).status_code == 401


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"password": "wrong"}, 403, WRONG_PASSWORD),
        ({"password": ""}, 422, "password"),
        ({"password": "x" * 5000}, 422, "password"),
        ({"password": "a\x00b"}, 422, NULL_CHARACTER),
        ({"password": 12345}, 422, "password"),
        ({}, 422, "password"),
        ("{not json", 400, ""),
    ],
)
def test_delete_refuses_without_the_password(
    api_client: Client, user: object, auth: dict, body: object, status: int, message: str
) -> None:
    """A wrong, missing or malformed password: refused with a message naming the problem; the account stays."""
    response = api_client.post("/api/me/delete", body, content_type="application/json", headers=auth)
    assert response.status_code == status
    assert message in response.json()["detail"] and response.json()["detail"]
    assert get_user_model().objects.filter(pk=user.pk).exists()


def test_delete_needs_authentication(api_client: Client, user: object) -> None:
    """Anonymous: 401, nothing deleted."""
    response = api_client.post("/api/me/delete", {"password": PASSWORD}, content_type="application/json")
    assert response.status_code == 401
    assert get_user_model().objects.filter(pk=user.pk).exists()
