"""GET /api/health: 200 when the database, Redis and an active model answer; 503 naming what does not."""

import pytest
from django.test import Client

from api.routers.health import NO_ACTIVE_MODEL, REDIS_DOWN
from tests.api.conftest import DEAD_REDIS_URL

pytestmark = pytest.mark.django_db


def test_health_is_200_when_everything_answers(api_client: Client, active_model: object) -> None:
    """All three checks pass and the model check names the served version."""
    response = api_client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert all(check["ok"] for check in body["checks"].values())
    assert f"version {active_model.pk}" in body["checks"]["model"]["detail"]


def test_health_is_503_without_an_active_model(api_client: Client) -> None:
    """No model to serve: 503, and the detail says the model is what is missing."""
    response = api_client.get("/api/health")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["model"] == {"ok": False, "detail": NO_ACTIVE_MODEL}
    assert body["checks"]["database"]["ok"] and body["checks"]["redis"]["ok"]
    assert "model" in body["detail"]


def test_health_is_503_naming_redis_when_redis_is_down(api_client: Client, active_model: object, settings) -> None:
    """Redis unreachable: 503, and the detail names Redis; the database and model still report ok."""
    settings.REDIS_URL = DEAD_REDIS_URL
    response = api_client.get("/api/health")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["redis"] == {"ok": False, "detail": REDIS_DOWN}
    assert body["checks"]["model"]["ok"] and body["checks"]["database"]["ok"]
    assert "redis" in body["detail"]
