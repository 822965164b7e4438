"""Unknown query parameters are a 422 naming them on every operation of every router, each operation's known
parameters are those its signature declares (and its schema documents), and the mechanism leaves the schema alone."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from ninja import NinjaAPI, Query, Router

from api.api import api
from api.pagination import PageIn
from api.routers.params import UNKNOWN_QUERY_PARAMETERS, query_parameter_names, unknown_query_parameters_refused
from api.services import token_create
from tests.api.conftest import bearer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # the factories' users'


def refused(response: object, *unknown: str, allowed: str) -> bool:
    """A 422 whose message names exactly these unknown parameters and lists what the endpoint takes."""
    names = ", ".join(f"`{name}`" for name in unknown)
    expected = UNKNOWN_QUERY_PARAMETERS.format(s="s" if len(unknown) > 1 else "", names=names, allowed=allowed)
    return response.status_code == 422 and response.json() == {"detail": expected}


def test_auth_router(api_client: Client, user: object) -> None:
    """POST /api/auth/token?remember=1 is refused before any token is made; without it, a token."""
    body = {"username": "alice", "password": PASSWORD}
    response = api_client.post("/api/auth/token?remember=1", body, content_type="application/json")
    assert refused(response, "remember", allowed="none")
    assert not user.api_tokens.exists()
    assert api_client.post("/api/auth/token", body, content_type="application/json").status_code == 200


def test_health_router(api_client: Client) -> None:
    """GET /api/health/live?verbose=1 names `verbose`; the plain request is answered."""
    assert refused(api_client.get("/api/health/live", {"verbose": 1}), "verbose", allowed="none")
    assert api_client.get("/api/health/live").json() == {"status": "ok"}


def test_models_router(api_client: Client, staff_auth: dict) -> None:
    """GET /api/models?status=active&limit=1 names both; the plain request lists the versions."""
    response = api_client.get("/api/models", {"status": "active", "limit": 1}, headers=staff_auth)
    assert refused(response, "limit", "status", allowed="none")
    assert api_client.get("/api/models", headers=staff_auth).status_code == 200


def test_movies_router(api_client: Client, catalogue: list) -> None:
    """Every parameter of GET /api/movies together is answered, `q` (the alias of `search`) included; one more is
    named, with the list of those it takes."""
    known = {"genre": "drama", "year": 1991, "ordering": "title", "page": 1, "page_size": 5}
    assert api_client.get("/api/movies", {**known, "search": "film"}).status_code == 200
    assert api_client.get("/api/movies", {**known, "q": "film"}).json()["count"] > 0
    allowed = "`genre`, `ordering`, `page`, `page_size`, `q`, `search`, `year`"
    assert refused(api_client.get("/api/movies", {**known, "sort": "title"}), "sort", allowed=allowed)


def test_me_router(api_client: Client, auth: dict, catalogue: list) -> None:
    """GET /api/me/ratings takes `page` and `page_size` and nothing else; PUT takes `shown_list` alone."""
    assert api_client.get("/api/me/ratings", {"page": 1, "page_size": 5}, headers=auth).status_code == 200
    response = api_client.get("/api/me/ratings", {"order": "score"}, headers=auth)
    assert refused(response, "order", allowed="`page`, `page_size`")
    url = f"/api/me/ratings/{catalogue[0].pk}"
    response = api_client.put(f"{url}?score=4", {"rating": 4}, content_type="application/json", headers=auth)
    assert refused(response, "score", allowed="`shown_list`")
    assert api_client.put(url, {"rating": 4}, content_type="application/json", headers=auth).status_code == 200


def test_marks_routers(api_client: Client, auth: dict, catalogue: list) -> None:
    """The watchlist and hidden lists take the page parameters only, a PUT `shown_list` alone; nothing is marked by a
    refused PUT."""
    for path in ("/api/me/watchlist", "/api/me/hidden"):
        assert api_client.get(path, {"page_size": 5}, headers=auth).status_code == 200
        assert refused(api_client.get(path, {"limit": 5}, headers=auth), "limit", allowed="`page`, `page_size`")
        assert refused(api_client.put(f"{path}/{catalogue[0].pk}?undo=1", headers=auth), "undo", allowed="`shown_list`")
        assert api_client.get(path, headers=auth).json()["count"] == 0


def test_account_router(api_client: Client) -> None:
    """GET /api/me/export?format=csv is refused (the export is JSON); so is a deletion with a stray parameter, and
    the account stays until it is asked for plainly."""
    user = UserFactory(username="carol")
    auth = bearer(token_create(user=user)[0])
    assert refused(api_client.get("/api/me/export", {"format": "csv"}, headers=auth), "format", allowed="none")
    assert api_client.get("/api/me/export", headers=auth).status_code == 200
    body = {"password": PASSWORD}
    response = api_client.post("/api/me/delete?confirm=yes", body, content_type="application/json", headers=auth)
    assert refused(response, "confirm", allowed="none")
    assert get_user_model().objects.filter(pk=user.pk).exists()
    assert api_client.post("/api/me/delete", body, content_type="application/json", headers=auth).status_code == 204


def test_recommendations_router(api_client: Client, auth: dict, active_model: object) -> None:
    """`limit` is not `n`: refused, naming it and offering `genre` and `n`; with `n` and `genre`, the list."""
    response = api_client.get("/api/me/recommendations", {"limit": 5}, headers=auth)
    assert refused(response, "limit", allowed="`genre`, `n`")
    assert api_client.get("/api/me/recommendations", {"n": 5, "genre": "drama"}, headers=auth).status_code == 200


def test_long_and_many_names_are_cut_short(api_client: Client) -> None:
    """A flood of long unknown names gets a message of bounded length, still a 422."""
    response = api_client.get("/api/health/live", {f"{'x' * 500}{i}": 1 for i in range(200)})
    assert response.status_code == 422
    assert len(response.json()["detail"]) < 1000


def test_every_operation_takes_what_its_schema_documents() -> None:
    """For every operation of the API, the names it accepts are exactly the query parameters its schema lists:
    derived from the same signature, they cannot drift apart."""
    paths = api.get_openapi_schema(path_prefix="/api/")["paths"]
    bound = [view.operations for router in api._get_bound_routers() for view in router.path_operations.values()]
    operations = {operation.view_func.__name__: operation for ops in bound for operation in ops}
    seen = set()
    for documented in paths.values():
        for spec in documented.values():
            names = {p["name"] for p in spec.get("parameters", []) if p["in"] == "query"}
            assert query_parameter_names(operations[spec["operationId"]]) == names, spec["operationId"]
            seen.add(spec["operationId"])
    assert seen == set(operations)


def _sample_api(*, refusing: bool) -> NinjaAPI:
    router = Router(tags=["sample"])

    @router.get("/items/{int:item_id}", summary="One item")
    def item(request: object, item_id: int, page: Query[PageIn], n: int = 3) -> dict:
        return {}

    sample = NinjaAPI(urls_namespace=f"sample-{refusing}")
    sample.add_router("/sample", router)
    if refusing:
        sample.add_decorator(unknown_query_parameters_refused)
    sample.urls  # noqa: B018 (binds the routers, applying the decorator)
    return sample


def test_the_mechanism_leaves_the_schema_unchanged() -> None:
    """The same router documents the same paths, parameters and components with the refusal as without it."""
    plain, refusing = (_sample_api(refusing=refusing).get_openapi_schema(path_prefix="/") for refusing in (False, True))
    assert refusing["paths"] == plain["paths"] and refusing["components"] == plain["components"]
    assert [p["name"] for p in plain["paths"]["/sample/items/{item_id}"]["get"]["parameters"]] == [
        "item_id",
        "page",
        "page_size",
        "n",
    ]
