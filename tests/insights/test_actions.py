"""The Model section's buttons: activate a version (rollback) and retrain now, through the registry."""

import base64
import json
from collections.abc import Iterator

import pytest
import redis
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from recommender.models import ModelVersion
from recommender.services.artifacts import artifact_path
from recommender.services.registry import VERSION_ACTIVATED, VERSION_NOT_ACTIVATABLE
from recommender.services.retrain import RETRAIN_BUSY, RETRAIN_LOCK_KEY, RETRAIN_QUEUED_KEY, RETRAIN_UNAVAILABLE
from tests.factories import UserFactory
from tests.insights.conftest import write_model_version
from tests.processes import TRAINING_QUEUE, site_redis_database

pytestmark = pytest.mark.django_db
# A Redis database of its own: the retrain lock, the queued mark and the Celery queue of these tests.
ACTIONS_REDIS_DB = 15  # 11 to 13 are taken by the e2e, api and recommender tests


@pytest.fixture
def manager_client() -> Client:
    """A staff member allowed to change model versions, with CSRF checks on as in a browser."""
    user = UserFactory(username="manager", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="manage_modelversion"))
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def post_form(client: Client, page: str, action: str) -> object:
    """Load the page, then post its form to ``action`` with the page's CSRF token, as a browser would."""
    client.get(page)
    return client.post(action, {"csrfmiddlewaretoken": client.cookies["csrftoken"].value}, follow=True)


@pytest.fixture
def broker(settings) -> Iterator[redis.Redis]:
    """Point the registry's Redis and the Celery app's broker at a database of their own, emptied."""
    with site_redis_database(settings, ACTIONS_REDIS_DB) as client:
        yield client


def test_activating_a_ready_version_rolls_back_to_it(manager_client, written_model) -> None:
    """The Activate button of a ready version makes it the active one; the previous active becomes ready."""
    older = write_model_version(model=written_model.model, status=ModelVersion.Status.READY, metrics={"rmse": 0.95})
    history = reverse("insights:history")
    response = post_form(manager_client, history, reverse("insights:activate", args=[older.pk]))

    assert response.redirect_chain[-1][0] == history
    older.refresh_from_db()
    written_model.version.refresh_from_db()
    assert older.status == ModelVersion.Status.ACTIVE
    assert written_model.version.status == ModelVersion.Status.READY
    assert VERSION_ACTIVATED.format(version=older.pk) in response.content.decode()


def test_a_rejected_version_cannot_be_activated_and_the_page_says_why(manager_client, written_model) -> None:
    """Activating a version that is not ready changes nothing and shows the registry's reason."""
    rejected = write_model_version(model=written_model.model, status=ModelVersion.Status.REJECTED)
    response = post_form(manager_client, reverse("insights:history"), reverse("insights:activate", args=[rejected.pk]))
    written_model.version.refresh_from_db()
    assert written_model.version.status == ModelVersion.Status.ACTIVE
    expected = VERSION_NOT_ACTIVATABLE.format(version=rejected.pk, status="rejected")
    assert expected in response.content.decode()


def test_a_tampered_version_is_not_activated(manager_client, written_model) -> None:
    """A ready version whose files differ from the registry is refused, and the active one stays."""
    ready = write_model_version(model=written_model.model, status=ModelVersion.Status.READY)
    (artifact_path(version=ready) / "serving.json").write_text('{"tampered": true}')
    response = post_form(manager_client, reverse("insights:history"), reverse("insights:activate", args=[ready.pk]))
    ready.refresh_from_db()
    assert ready.status == ModelVersion.Status.READY
    assert "does not match its SHA-256" in response.content.decode()


def test_only_staff_allowed_to_change_versions_see_and_use_the_buttons(client, written_model) -> None:
    """Staff without the permission see no buttons and get 403 on the actions; GET is not allowed."""
    ready = write_model_version(model=written_model.model, status=ModelVersion.Status.READY)
    client.force_login(UserFactory(username="viewer", is_staff=True))
    assert "Retrain now" not in client.get(reverse("insights:history")).content.decode()
    assert client.post(reverse("insights:activate", args=[ready.pk])).status_code == 403
    assert client.post(reverse("insights:retrain")).status_code == 403
    client.force_login(UserFactory(username="reader"))
    assert client.post(reverse("insights:retrain")).status_code == 403
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    assert client.get(reverse("insights:retrain")).status_code == 405
    ready.refresh_from_db()
    assert ready.status == ModelVersion.Status.READY


def test_activation_needs_the_csrf_token(written_model) -> None:
    """A cross-site POST without the CSRF token activates nothing."""
    ready = write_model_version(model=written_model.model, status=ModelVersion.Status.READY)
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(reverse("insights:activate", args=[ready.pk])).status_code == 403
    ready.refresh_from_db()
    assert ready.status == ModelVersion.Status.READY


def test_retrain_now_queues_one_forced_retrain_and_refuses_a_second(manager_client, broker, written_model) -> None:
    """The first click puts one forced retrain task on the broker's queue; a second click while it waits queues none."""
    history = reverse("insights:history")
    first = post_form(manager_client, history, reverse("insights:retrain"))
    assert "Retrain queued (task" in first.content.decode()
    assert broker.exists(RETRAIN_QUEUED_KEY)
    queued = [json.loads(message) for message in broker.lrange(TRAINING_QUEUE, 0, -1)]
    assert [message["headers"]["task"] for message in queued] == ["recommender.tasks.retrain"]
    _args, kwargs, _embed = json.loads(base64.b64decode(queued[0]["body"]))
    assert kwargs["force"] is True

    second = post_form(manager_client, history, reverse("insights:retrain"))
    assert RETRAIN_BUSY in second.content.decode()
    assert broker.llen(TRAINING_QUEUE) == 1
    assert "A retrain is running or queued." in second.content.decode()


def test_retrain_now_is_refused_while_a_retrain_holds_the_lock(manager_client, broker, written_model) -> None:
    """While a worker trains (the retrain lock is held), the button queues nothing and says so."""
    broker.set(RETRAIN_LOCK_KEY, "worker")
    response = post_form(manager_client, reverse("insights:history"), reverse("insights:retrain"))
    assert RETRAIN_BUSY in response.content.decode()
    assert broker.llen(TRAINING_QUEUE) == 0


def test_retrain_now_explains_a_broker_that_does_not_answer(manager_client, settings, written_model) -> None:
    """With Redis down, the history page still renders and the button reports that the broker does not answer."""
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    history = manager_client.get(reverse("insights:history"))
    assert history.status_code == 200
    assert "does not answer" in history.content.decode()
    response = post_form(manager_client, reverse("insights:history"), reverse("insights:retrain"))
    assert RETRAIN_UNAVAILABLE.split(":")[0] in response.content.decode()
