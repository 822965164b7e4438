"""GET /api/health/live and /api/health/ready: liveness asks nothing of the database, Redis or the worker; readiness
is /api/health's checks and a Celery worker that answers a ping, 503 naming what does not."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client

from api.routers.health import NO_WORKER, WORKER_PING_SECONDS, WORKER_UNCHECKED
from tests.api.conftest import DEAD_REDIS_URL
from tests.processes import CeleryWorker, database_url, redis_database_url, site_redis_database

READY_REDIS_DB = 10


def test_live_answers_without_asking_anything(api_client: Client) -> None:
    """The process answers: 200, with no database (this test has none), Redis or worker asked."""
    response = api_client.get("/api/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.fixture
def broker(settings) -> Iterator[None]:
    with site_redis_database(settings, READY_REDIS_DB):
        yield


@pytest.mark.django_db
def test_ready_is_503_without_a_worker(api_client: Client, active_model: object, broker: None) -> None:
    """Database, Redis and model answer, but no worker does: 503, naming the worker alone."""
    response = api_client.get("/api/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["worker"] == {"ok": False, "detail": NO_WORKER.format(seconds=WORKER_PING_SECONDS)}
    assert all(body["checks"][name]["ok"] for name in ("database", "redis", "model"))
    assert body["detail"].startswith("worker: ")


@pytest.mark.django_db
def test_ready_does_not_ask_the_worker_through_a_redis_that_is_down(
    api_client: Client, active_model: object, settings
) -> None:
    """Redis down: 503 naming Redis, and the worker is not asked (its broker is that Redis)."""
    settings.REDIS_URL = DEAD_REDIS_URL
    body = api_client.get("/api/health/ready").json()
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["worker"] == {"ok": False, "detail": WORKER_UNCHECKED}


@pytest.mark.django_db(transaction=True)
def test_ready_is_200_with_a_worker_that_answers(
    api_client: Client, active_model: object, broker: None, tmp_path: Path
) -> None:
    """A real Celery worker on the site's broker answers the ping: 200, the worker check naming it."""
    url = redis_database_url(READY_REDIS_DB)
    env = {"DATABASE_URL": database_url(), "REDIS_URL": url, "CELERY_BROKER_URL": url, "CELERY_RESULT_BACKEND": url}
    worker = CeleryWorker(env=env, log=tmp_path / "worker.log", broker_url=url, concurrency=1).start()
    try:
        response = api_client.get("/api/health/ready")
    finally:
        worker.stop()
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["worker"]["detail"].startswith("tests-")
