"""GET /api/me/recommendations, /api/onboarding/movies and /api/movies/{id}/similar: what the model says, or the
popularity fallback, in the documented shape."""

import pytest
from django.test import Client

from api.routers.movies import MOVIE_NOT_FOUND, UNKNOWN_GENRE
from api.services import token_create
from tests.api.conftest import bearer
from tests.factories import RatingFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_recommendations_from_the_active_model(
    api_client: Client, user: object, auth: dict, catalogue: list, active_model: object
) -> None:
    """A user who rated movies gets unrated movies with predicted ratings, reasons among their rated movies where
    one is near, and the model version."""
    rated = {catalogue[0].pk, catalogue[1].pk}
    for movie in catalogue[:2]:
        RatingFactory(user=user, movie=movie, score=5.0)
    response = api_client.get("/api/me/recommendations", {"n": 5}, headers=auth)
    assert response.status_code == 200
    body = response.json()
    assert body["source"] == "model" and body["fallback_reason"] is None
    assert body["model_version"]["id"] == active_model.pk
    assert len(body["items"]) == 5
    assert not rated & {item["movie"]["id"] for item in body["items"]}
    predicted = [item["predicted_rating"] for item in body["items"]]
    assert all(0.5 <= p <= 5 for p in predicted)
    low = [p < 3.0 for p in predicted]
    assert low == sorted(low)  # no card below three stars before one at three or more
    reasons = [item["reason"] for item in body["items"]]
    assert any(reasons) and all(reason["id"] in rated for reason in reasons if reason)
    assert body["items"][0]["movie"].keys() == {"id", "title", "year", "genres"}


def test_recommendations_fall_back_to_popularity_without_a_model(
    api_client: Client, user: object, auth: dict, catalogue: list
) -> None:
    """No active model: the popularity list, marked as such, without predictions."""
    body = api_client.get("/api/me/recommendations", headers=auth).json()
    assert body["source"] == "popularity" and body["fallback_reason"] == "no_model"
    assert body["model_version"] is None
    assert body["items"] and all(item["predicted_rating"] is None for item in body["items"])


def test_recommendations_for_a_new_user_with_no_ratings(api_client: Client, active_model: object) -> None:
    """A user the model never saw, with nothing rated: the popularity fallback, saying why."""
    newcomer = bearer(token_create(user=UserFactory(username="newcomer"))[0])
    body = api_client.get("/api/me/recommendations", headers=newcomer).json()
    assert body["source"] == "popularity" and body["fallback_reason"] == "no_ratings"


def test_a_new_users_first_rating_counts_at_once(api_client: Client, catalogue: list, active_model: object) -> None:
    """A user who signed up after training gets personal recommendations from their first ratings."""
    newcomer = bearer(token_create(user=UserFactory(username="newcomer"))[0])
    api_client.put(
        f"/api/me/ratings/{catalogue[5].pk}", {"rating": 5}, content_type="application/json", headers=newcomer
    )
    body = api_client.get("/api/me/recommendations", headers=newcomer).json()
    assert body["source"] == "model"
    assert catalogue[5].pk not in {item["movie"]["id"] for item in body["items"]}


def test_recommendations_in_one_genre(
    api_client: Client, user: object, auth: dict, catalogue: list, active_model: object
) -> None:
    """genre keeps only movies of that genre."""
    RatingFactory(user=user, movie=catalogue[0], score=4.0)
    items = api_client.get("/api/me/recommendations", {"genre": "drama", "n": 100}, headers=auth).json()["items"]
    assert items and all(any(g["slug"] == "drama" for g in item["movie"]["genres"]) for item in items)


@pytest.mark.parametrize("params", [{"n": 0}, {"n": 101}, {"n": "ten"}, {"genre": "Sci Fi"}, {"n": 10**30}])
def test_recommendation_parameters_are_bounded(api_client: Client, auth: dict, params: dict) -> None:
    """n is 1..100 and genre a slug: anything else is a 422 naming the parameter."""
    response = api_client.get("/api/me/recommendations", params, headers=auth)
    assert response.status_code == 422
    assert next(iter(params)) in response.json()["detail"]


def test_recommendations_in_an_unknown_genre_are_a_400(api_client: Client, auth: dict, catalogue: list) -> None:
    """A genre slug that does not exist: 400, not an empty list."""
    response = api_client.get("/api/me/recommendations", {"genre": "western"}, headers=auth)
    assert response.status_code == 400
    assert response.json() == {"detail": UNKNOWN_GENRE.format(slug="western")}


def test_recommendations_need_authentication(api_client: Client) -> None:
    """Anonymous: 401."""
    assert api_client.get("/api/me/recommendations").status_code == 401


def test_onboarding_movies_exclude_what_i_rated(
    api_client: Client, user: object, auth: dict, catalogue: list, active_model: object
) -> None:
    """GET /api/onboarding/movies?n= gives n movies to rate, none already rated by the caller."""
    RatingFactory(user=user, movie=catalogue[3], score=4.0)
    response = api_client.get("/api/onboarding/movies", {"n": 5}, headers=auth)
    assert response.status_code == 200
    ids = [movie["id"] for movie in response.json()]
    assert len(ids) == 5 and catalogue[3].pk not in ids


def test_onboarding_bounds_and_authentication(api_client: Client, auth: dict) -> None:
    """n above 100 is a 422; anonymous is a 401."""
    assert api_client.get("/api/onboarding/movies", {"n": 101}, headers=auth).status_code == 422
    assert api_client.get("/api/onboarding/movies").status_code == 401


def test_similar_movies(api_client: Client, catalogue: list, active_model: object) -> None:
    """GET /api/movies/{id}/similar?n= gives n other movies."""
    response = api_client.get(f"/api/movies/{catalogue[0].pk}/similar", {"n": 3})
    assert response.status_code == 200
    ids = [movie["id"] for movie in response.json()]
    assert len(ids) == 3 and catalogue[0].pk not in ids


def test_similar_movies_of_an_unknown_movie_and_bad_n(api_client: Client, db: None) -> None:
    """Unknown movie: 404; n out of range: 422."""
    response = api_client.get("/api/movies/999999/similar")
    assert response.status_code == 404
    assert response.json() == {"detail": MOVIE_NOT_FOUND.format(id=999999)}
    assert api_client.get("/api/movies/1/similar", {"n": 1000}).status_code == 422
