"""The API's recommendations are recorded as shown and carry their list's id (`shown_list`); ratings and marks sent
with it count as the list's follow-ups. A malformed id is a 422 that writes nothing (a client's bug, said at once);
a well-formed one that is not a list shown to this user holding the movie (expired, another's) is ignored, and
the write is done: lists expire, and a rating must not fail for it."""

import uuid
from urllib.parse import urlencode

import pytest
from django.test import Client

from api.services import token_create
from feedback.models import Action, FollowUp, Impression, ListKind
from ratings.models import Mark, MovieMark, Rating
from recommender.models import ModelVersion
from tests.api.conftest import bearer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

JSON = "application/json"


def recommended(api_client: Client, auth: dict) -> dict:
    response = api_client.get("/api/me/recommendations", {"n": 5}, headers=auth)
    assert response.status_code == 200
    return response.json()


def test_the_recommendations_are_recorded_with_their_id(
    api_client: Client, user: object, auth: dict, active_model: ModelVersion
) -> None:
    """`shown_list` names the five movies answered, in order, of the active version, kind api_recommendations."""
    body = recommended(api_client, auth)
    rows = Impression.objects.filter(shown_id=uuid.UUID(body["shown_list"])).order_by("position")
    assert [(r.movie_id, r.position) for r in rows] == [
        (item["movie"]["id"], i + 1) for i, item in enumerate(body["items"])
    ]
    assert {(r.user_id, r.model_version_id, r.kind) for r in rows} == {
        (user.pk, active_model.pk, ListKind.API_RECOMMENDATIONS)
    }


def test_a_rating_and_marks_with_the_id_are_the_lists_follow_ups(
    api_client: Client, auth: dict, active_model: ModelVersion
) -> None:
    """PUT a rating, the watchlist and hidden with `shown_list`: one follow-up each at the movie's position; DELETE
    with it takes the follow-up back."""
    body = recommended(api_client, auth)
    shown, items = body["shown_list"], body["items"]
    first, second, third = (item["movie"]["id"] for item in items[:3])
    rating = api_client.put(
        f"/api/me/ratings/{first}?shown_list={shown}", {"rating": 4.5}, content_type=JSON, headers=auth
    )
    assert rating.status_code == 200
    assert api_client.put(f"/api/me/watchlist/{second}?shown_list={shown}", headers=auth).status_code == 200
    assert api_client.put(f"/api/me/hidden/{third}?shown_list={shown}", headers=auth).status_code == 200
    assert sorted(FollowUp.objects.values_list("action", "position", "score")) == [
        (Action.HIDDEN, 3, None),
        (Action.RATED, 1, 4.5),
        (Action.WATCHLISTED, 2, None),
    ]
    assert api_client.delete(f"/api/me/watchlist/{second}?shown_list={shown}", headers=auth).status_code == 204
    assert api_client.delete(f"/api/me/ratings/{first}?shown_list={shown}", headers=auth).status_code == 204
    assert list(FollowUp.objects.values_list("action", flat=True)) == [Action.HIDDEN]


@pytest.mark.parametrize("malformed", ["42", "not-a-list", "x" * 200])
def test_a_malformed_id_is_a_422_and_nothing_is_written(
    api_client: Client, user: object, auth: dict, active_model: ModelVersion, malformed: str
) -> None:
    """A client that sends something that is not a list id learns so at once, and its write is not half done."""
    movie = recommended(api_client, auth)["items"][0]["movie"]["id"]
    query = urlencode({"shown_list": malformed})
    rating = api_client.put(f"/api/me/ratings/{movie}?{query}", {"rating": 4.0}, content_type=JSON, headers=auth)
    marked = api_client.put(f"/api/me/watchlist/{movie}?{query}", headers=auth)
    assert rating.status_code == marked.status_code == 422
    assert rating.json()["detail"].startswith("query.shown_list: ")
    assert not Rating.objects.filter(user=user, movie_id=movie).exists() and not MovieMark.objects.exists()
    assert not FollowUp.objects.exists()


@pytest.mark.parametrize("case", ["made up", "someone else's", "without the movie"])
def test_an_id_of_no_list_of_yours_holding_the_movie_is_ignored_and_the_write_is_done(
    api_client: Client, auth: dict, active_model: ModelVersion, catalogue: list, case: str
) -> None:
    """200, the rating and the mark saved, nothing attributed."""
    mine = recommended(api_client, auth)
    other = bearer(token_create(user=UserFactory(username="bob"))[0])
    listed = {item["movie"]["id"] for item in mine["items"]}
    shown = {"made up": str(uuid.uuid4()), "someone else's": recommended(api_client, other)["shown_list"]}.get(
        case, mine["shown_list"]
    )
    movie = next(m.pk for m in catalogue if (m.pk in listed) != (case == "without the movie"))
    rating = api_client.put(
        f"/api/me/ratings/{movie}?shown_list={shown}", {"rating": 3.0}, content_type=JSON, headers=auth
    )
    marked = api_client.put(f"/api/me/hidden/{movie}?shown_list={shown}", headers=auth)
    assert rating.status_code == marked.status_code == 200
    assert MovieMark.objects.filter(movie_id=movie, mark=Mark.HIDDEN).exists()
    assert not FollowUp.objects.exists()


def test_the_schema_documents_the_id(api_client: Client) -> None:
    """The recommendations' `shown_list`, and the parameter of the rating and mark writes, are in the OpenAPI
    schema."""
    schema = api_client.get("/api/openapi.json").json()
    assert "shown_list" in schema["components"]["schemas"]["RecommendationsOut"]["properties"]
    for path, method in (("/api/me/ratings/{movie_id}", "put"), ("/api/me/hidden/{movie_id}", "delete")):
        names = [p["name"] for p in schema["paths"][path][method]["parameters"]]
        assert "shown_list" in names
