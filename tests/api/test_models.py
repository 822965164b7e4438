"""Staff only: GET /api/models, POST /api/models/retrain (202, 409 while one runs, 503 without Redis) and
POST /api/models/{id}/activate, on the real registry, Redis lock and Celery broker."""

from collections.abc import Iterator

import pytest
import redis
from django.contrib.auth import get_user_model
from django.test import Client

from api.auth import STAFF_ONLY
from api.routers.models import MANAGE_REQUIRED, VERSION_NOT_FOUND
from api.services import token_create
from recommender.models import ModelVersion
from recommender.services.artifacts import artifact_path
from recommender.services.registry import VERSION_NOT_ACTIVATABLE
from recommender.services.retrain import RETRAIN_BUSY, RETRAIN_UNAVAILABLE, retrain_lock
from tests.api.conftest import DEAD_REDIS_URL, bearer, model_activate
from tests.factories import UserFactory
from tests.processes import TRAINING_QUEUE, site_redis_database

pytestmark = pytest.mark.django_db
# A Redis database of its own: the retrain lock, the queued mark and the Celery queue of these tests.
MODELS_REDIS_DB = 12


@pytest.fixture
def broker(settings) -> Iterator[redis.Redis]:
    """The registry's Redis and the Celery broker on a database of their own, emptied before and after."""
    with site_redis_database(settings, MODELS_REDIS_DB) as client:
        yield client


@pytest.fixture
def versions(catalogue: list) -> tuple[ModelVersion, ModelVersion]:
    """An active version and an older ready one."""
    users = list(get_user_model().objects.all())
    ready = model_activate(users=users, movies=catalogue, seed=1, status=ModelVersion.Status.READY)
    return model_activate(users=users, movies=catalogue, seed=2), ready


def test_staff_list_every_version_newest_first(
    api_client: Client, staff_auth: dict, versions: tuple[ModelVersion, ModelVersion]
) -> None:
    """GET /api/models lists the versions with status and metrics, newest first."""
    response = api_client.get("/api/models", headers=staff_auth)
    assert response.status_code == 200
    body = response.json()
    assert [v["id"] for v in body] == [versions[0].pk, versions[1].pk]
    assert body[0]["status"] == "active" and body[1]["status"] == "ready"
    assert body[0]["metrics"] == {"rmse": 0.9}


@pytest.mark.parametrize(
    ("method", "path"), [("get", "/api/models"), ("post", "/api/models/retrain"), ("post", "/api/models/1/activate")]
)
def test_model_endpoints_refuse_anonymous_401_and_non_staff_403(
    api_client: Client, auth: dict, method: str, path: str
) -> None:
    """Every model endpoint: 401 without credentials, 403 for a signed-in user who is not staff."""
    assert getattr(api_client, method)(path).status_code == 401
    response = getattr(api_client, method)(path, headers=auth)
    assert response.status_code == 403
    assert response.json() == {"detail": STAFF_ONLY}


@pytest.mark.parametrize("path", ["/api/models/retrain", "/api/models/1/activate"])
def test_changing_versions_needs_the_registry_permission(api_client: Client, path: str) -> None:
    """A staff member without recommender.manage_modelversion may list versions but not change them."""
    headers = bearer(token_create(user=UserFactory(username="viewer", is_staff=True))[0])
    assert api_client.get("/api/models", headers=headers).status_code == 200
    response = api_client.post(path, headers=headers)
    assert response.status_code == 403
    assert response.json() == {"detail": MANAGE_REQUIRED}


def test_retrain_is_queued_with_202_and_a_task_id(api_client: Client, staff_auth: dict, broker: redis.Redis) -> None:
    """POST /api/models/retrain answers 202 with the Celery task id, and the task is in the broker's queue."""
    response = api_client.post("/api/models/retrain", headers=staff_auth)
    assert response.status_code == 202
    task_id = response.json()["task_id"]
    assert task_id
    assert broker.llen(TRAINING_QUEUE) == 1
    assert task_id.encode() in broker.lindex(TRAINING_QUEUE, 0)


def test_a_second_retrain_while_one_is_queued_is_a_409(
    api_client: Client, staff_auth: dict, broker: redis.Redis
) -> None:
    """Two requests: the first is queued, the second told one is already queued; one task in the queue."""
    assert api_client.post("/api/models/retrain", headers=staff_auth).status_code == 202
    response = api_client.post("/api/models/retrain", headers=staff_auth)
    assert response.status_code == 409
    assert response.json() == {"detail": RETRAIN_BUSY}
    assert broker.llen(TRAINING_QUEUE) == 1


def test_retrain_while_one_runs_is_a_409(api_client: Client, staff_auth: dict, broker: redis.Redis) -> None:
    """While a retrain holds the registry's Redis lock, nothing is queued."""
    with retrain_lock() as acquired:
        assert acquired
        response = api_client.post("/api/models/retrain", headers=staff_auth)
    assert response.status_code == 409
    assert broker.llen(TRAINING_QUEUE) == 0


def test_retrain_without_redis_is_a_503_with_a_message(api_client: Client, staff_auth: dict, settings) -> None:
    """Redis down: the retrain cannot be queued, and the answer says so (503), without a traceback."""
    settings.REDIS_URL = DEAD_REDIS_URL
    response = api_client.post("/api/models/retrain", headers=staff_auth)
    assert response.status_code == 503
    assert response.json() == {"detail": RETRAIN_UNAVAILABLE}


def test_activate_a_ready_version(
    api_client: Client, staff_auth: dict, versions: tuple[ModelVersion, ModelVersion]
) -> None:
    """POST /api/models/{id}/activate makes a ready version active and the previous one ready; health follows."""
    active, ready = versions
    response = api_client.post(f"/api/models/{ready.pk}/activate", headers=staff_auth)
    assert response.status_code == 200
    assert response.json()["status"] == "active" and response.json()["id"] == ready.pk
    active.refresh_from_db()
    assert active.status == ModelVersion.Status.READY
    assert ModelVersion.objects.active().get() == ready


def test_activate_an_unknown_version_is_a_404(api_client: Client, staff_auth: dict) -> None:
    """An id that is not a version: 404 naming it."""
    response = api_client.post("/api/models/424242/activate", headers=staff_auth)
    assert response.status_code == 404
    assert response.json() == {"detail": VERSION_NOT_FOUND.format(id=424242)}


def test_activating_a_rejected_version_is_a_409(
    api_client: Client, staff_auth: dict, versions: tuple[ModelVersion, ModelVersion]
) -> None:
    """Only a ready version can be activated; the active version stays."""
    active, ready = versions
    ModelVersion.objects.filter(pk=ready.pk).update(status=ModelVersion.Status.REJECTED)
    response = api_client.post(f"/api/models/{ready.pk}/activate", headers=staff_auth)
    assert response.status_code == 409
    assert response.json() == {"detail": VERSION_NOT_ACTIVATABLE.format(version=ready.pk, status="rejected")}
    assert ModelVersion.objects.active().get() == active


def test_activating_a_tampered_version_is_a_409(
    api_client: Client, staff_auth: dict, versions: tuple[ModelVersion, ModelVersion]
) -> None:
    """A version whose files no longer match their SHA-256 is refused, and the active version stays."""
    active, ready = versions
    (artifact_path(version=ready) / "serving.json").write_text('{"tampered": true}')
    response = api_client.post(f"/api/models/{ready.pk}/activate", headers=staff_auth)
    assert response.status_code == 409
    assert "SHA-256" in response.json()["detail"]
    assert ModelVersion.objects.active().get() == active
