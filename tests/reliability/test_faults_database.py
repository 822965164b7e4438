"""The database unreachable: every page answers a 503 page, the API a JSON 503, with no traceback; then it resumes.

The connection really fails: this thread's connection is closed and its settings pointed at a database that
cannot be opened (SQLite: a file in a folder that does not exist; PostgreSQL: a port where nothing listens),
so every query must reconnect and cannot. Transactional, so that no test transaction holds the old connection.
"""

import copy
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from api.api import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS
from api.routers.health import DATABASE_DOWN
from ratings.models import Rating
from tests.processes import free_port

pytestmark = pytest.mark.django_db(transaction=True)

UNAVAILABLE_TITLE = "Back in a moment"
TRACEBACK_MARKERS = ("Traceback", "OperationalError", 'File "', "sqlite3", "psycopg", "connection to server")


class Outage:
    """This thread's database connection cannot be opened until ``end()`` (called at the latest at teardown)."""

    def __init__(self) -> None:
        self.original = copy.deepcopy(connection.settings_dict)
        connection.close()
        if connection.vendor == "sqlite":
            connection.settings_dict["NAME"] = "/nonexistent-movierec-folder/db.sqlite3"
        else:
            connection.settings_dict["PORT"] = str(free_port())
            connection.settings_dict["OPTIONS"] = {**connection.settings_dict["OPTIONS"], "connect_timeout": 2}

    def end(self) -> None:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(self.original)


@pytest.fixture
def database_unreachable() -> Iterator[Outage]:
    outage = Outage()
    yield outage
    outage.end()


def _no_traceback(response: object) -> None:
    body = response.content.decode()
    for marker in TRACEBACK_MARKERS:
        assert marker not in body, f"{marker!r} shown to the visitor"


@pytest.fixture
def signed_in_client(served_world, client_for) -> Client:
    return client_for(served_world.action_fan)


@pytest.fixture
def api_headers(served_world, bearer_for) -> dict[str, str]:
    return bearer_for(served_world.action_fan)


def test_pages_answer_a_503_page_without_traceback(served_world, signed_in_client, database_unreachable) -> None:
    """Anonymous and signed-in visitors (whose session cannot be read either) get the HTML 503 page with
    Retry-After, for pages, a rating post and the admin; the server logs the error."""
    anonymous = Client(raise_request_exception=False)
    movie = served_world.action_movies[0]
    responses = [
        anonymous.get("/"),
        anonymous.get(reverse("movie-list")),
        anonymous.get(reverse("movie-detail", args=[movie.pk])),
        signed_in_client.get("/"),
        signed_in_client.get(reverse("admin:index")),
        signed_in_client.post(reverse("rating-set", args=[movie.pk]), {"score": "4"}),
    ]
    for response in responses:
        assert response.status_code == 503, response.request["PATH_INFO"]
        assert response["Content-Type"].startswith("text/html")
        assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
        assert UNAVAILABLE_TITLE in response.content.decode()
        _no_traceback(response)


def test_api_answers_json_503_without_traceback(served_world, api_headers, database_unreachable) -> None:
    """The API answers {"detail": ...} with 503 and Retry-After for reads, Bearer-authenticated reads and writes
    alike."""
    client = Client(raise_request_exception=False)
    movie = served_world.action_movies[0]
    responses = [
        client.get("/api/movies"),
        client.get(f"/api/movies/{movie.pk}"),
        client.get("/api/me/recommendations", headers=api_headers),
        client.put(f"/api/me/ratings/{movie.pk}", {"rating": 4}, content_type="application/json", headers=api_headers),
    ]
    for response in responses:
        assert response.status_code == 503, response.request["PATH_INFO"]
        assert response.json() == {"detail": DATABASE_UNAVAILABLE}
        assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
        _no_traceback(response)


def test_health_names_the_database(served_world, database_unreachable) -> None:
    """/api/health answers 503 with Retry-After and names the database."""
    response = Client(raise_request_exception=False).get("/api/health")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response.json()["checks"]["database"] == {"ok": False, "detail": DATABASE_DOWN}


def test_the_site_resumes_when_the_database_returns(served_world, signed_in_client, database_unreachable) -> None:
    """Once the database answers again, the same clients get their pages and can rate, with no restart."""
    movie = served_world.romance_movies[3]
    assert signed_in_client.get("/").status_code == 503
    database_unreachable.end()
    assert signed_in_client.get("/").status_code == 200
    assert signed_in_client.post(reverse("rating-set", args=[movie.pk]), {"score": "4"}).status_code == 302
    assert Rating.objects.filter(user=served_world.action_fan, movie=movie, score=4.0).exists()
