"""Every refusal of the API is JSON {"detail": message}: unknown paths, wrong methods, malformed bodies, and a
database that does not answer (503, no traceback)."""

import pytest
from django.db import OperationalError, connection
from django.test import Client

from api.api import BAD_REQUEST, DATABASE_UNAVAILABLE, NOT_FOUND
from api.routers.health import DATABASE_DOWN

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/nowhere"), ("put", "/api/me/ratings/abc"), ("delete", "/api/movies/1/x"), ("get", "/api/a\nb")],
)
def test_unknown_api_paths_are_a_json_404(api_client: Client, method: str, path: str) -> None:
    """Any path under /api/ that is not an endpoint answers JSON 404, for any method (no HTML page, no CSRF 403)."""
    response = getattr(api_client, method)(path)
    assert response.status_code == 404
    assert response.json() == {"detail": NOT_FOUND}


def test_a_malformed_multipart_body_is_a_json_400(api_client: Client, user: object) -> None:
    """A multipart body without a boundary is refused with 400, not a server error."""
    response = api_client.post(
        "/api/auth/token",
        b'{"username": "alice", "password": "x"}',
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert response.json() == {"detail": BAD_REQUEST}


def _database_down(execute: object, sql: str, params: object, many: bool, context: dict) -> None:
    raise OperationalError("connection refused")


def test_an_unreachable_database_is_a_json_503_without_traceback(api_client: Client, auth: dict) -> None:
    """With every query failing, an endpoint answers 503 {"detail": ...}, naming nothing internal."""
    with connection.execute_wrapper(_database_down):
        public = api_client.get("/api/movies")
        private = api_client.get("/api/me/ratings", headers=auth)
    for response in (public, private):
        assert response.status_code == 503
        assert response.json() == {"detail": DATABASE_UNAVAILABLE}
        assert b"Traceback" not in response.content and b"OperationalError" not in response.content


def test_health_names_the_database_when_it_does_not_answer(api_client: Client) -> None:
    """/api/health says the database is down (503) rather than failing itself."""
    with connection.execute_wrapper(_database_down):
        response = api_client.get("/api/health")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"ok": False, "detail": DATABASE_DOWN}
