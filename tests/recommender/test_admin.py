"""Tests of the model versions admin: the list with metrics, activation (rollback) and "Retrain now"."""

import numpy as np
import pytest
import redis
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from recommender.admin import ACTIVATE_ONE
from recommender.models import Comparison, ModelVersion
from recommender.services.registry import VERSION_ACTIVATED, VERSION_NOT_ACTIVATABLE
from recommender.services.retrain import RETRAIN_BUSY, RETRAIN_LOCK_KEY, RETRAIN_QUEUED_KEY, retrain_lock
from tests.factories import UserFactory
from tests.recommender.served_models import model_version_create
from tests.recommender.training_data import redis_test_url

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:recommender_modelversion_changelist"
RETRAIN = "admin:recommender_modelversion_retrain"


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path) -> redis.Redis:
    settings.MODEL_DIR = tmp_path
    settings.REDIS_URL = redis_test_url()
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(RETRAIN_LOCK_KEY, RETRAIN_QUEUED_KEY)
    return client


def _version(name: str, status: str, rmse: float) -> ModelVersion:
    version = model_version_create(
        name=name,
        user_ids=[1],
        user_factors=np.ones((1, 2)),
        movie_ids=[1],
        movie_factors=np.ones((1, 2)),
        status=status,
    )
    version.metrics = {"rmse": rmse, "mae": 0.7, "ndcg@10": 0.1}
    version.training_seconds = 1.25
    version.save()
    return version


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_list_shows_each_version_with_its_metrics(admin_client) -> None:
    """Every version is listed with status, RMSE, MAE, NDCG@10 and training time."""
    _version("a", ModelVersion.Status.ACTIVE, 0.9061)
    _version("b", ModelVersion.Status.REJECTED, 0.9512)
    page = admin_client.get(reverse(CHANGELIST)).content.decode()
    for text in ("0.9061", "0.9512", "0.7000", "0.1000", "1.2 s", "Retrain now"):
        assert text in page


def test_list_cells_are_short_enough_for_1280_px(admin_client) -> None:
    """Each row names its version and algorithm in a few characters ("v3 dot"), not the __str__ that repeats the
    status; the count of ratings has thousands separators; the creation time is minutes, which can wrap."""
    version = _version("short", ModelVersion.Status.READY, 0.9)
    ModelVersion.objects.filter(pk=version.pk).update(n_ratings=100_000)
    page = admin_client.get(reverse(CHANGELIST)).content.decode()
    assert f">v{version.pk} {version.algorithm}</a></th>" in page
    assert "100,000" in page
    assert f"{timezone.localtime(version.created_at):%Y-%m-%d %H:%M}" in page


def test_activate_action_rolls_back_to_a_ready_version(admin_client) -> None:
    """The action makes the selected ready version active; the one that was active becomes ready."""
    current = _version("current", ModelVersion.Status.ACTIVE, 0.90)
    previous = _version("previous", ModelVersion.Status.READY, 0.91)
    response = admin_client.post(
        reverse(CHANGELIST), {"action": "activate", "_selected_action": [previous.pk]}, follow=True
    )
    assert VERSION_ACTIVATED.format(version=previous.pk) in _messages(response)
    current.refresh_from_db()
    previous.refresh_from_db()
    assert (current.status, previous.status) == (ModelVersion.Status.READY, ModelVersion.Status.ACTIVE)


def test_activate_action_explains_refusals(admin_client) -> None:
    """Activating a rejected version, or several at once, changes nothing and says why."""
    active = _version("active", ModelVersion.Status.ACTIVE, 0.90)
    rejected = _version("rejected", ModelVersion.Status.REJECTED, 0.99)
    response = admin_client.post(
        reverse(CHANGELIST), {"action": "activate", "_selected_action": [rejected.pk]}, follow=True
    )
    assert VERSION_NOT_ACTIVATABLE.format(version=rejected.pk, status="rejected") in _messages(response)
    response = admin_client.post(
        reverse(CHANGELIST), {"action": "activate", "_selected_action": [active.pk, rejected.pk]}, follow=True
    )
    assert ACTIVATE_ONE in _messages(response)
    active.refresh_from_db()
    assert active.status == ModelVersion.Status.ACTIVE


def test_retrain_now_says_already_running_while_the_lock_is_held(admin_client, isolated: redis.Redis) -> None:
    """With a retrain holding the lock, the button reads "already running" and a click queues nothing."""
    with retrain_lock():
        assert "Retrain already running" in admin_client.get(reverse(CHANGELIST)).content.decode()
        response = admin_client.post(reverse(RETRAIN), follow=True)
    assert RETRAIN_BUSY in _messages(response)
    assert not isolated.exists(RETRAIN_QUEUED_KEY)


def test_retrain_now_needs_post_and_the_change_permission(client, admin_client) -> None:
    """A GET does not retrain; staff who may only view versions see no button and get 403 on a POST."""
    assert admin_client.get(reverse(RETRAIN)).status_code == 405
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_modelversion"))
    client.force_login(viewer)
    assert "Retrain now" not in client.get(reverse(CHANGELIST)).content.decode()
    assert client.post(reverse(RETRAIN)).status_code == 403


def test_comparisons_are_history_in_the_admin_listed_but_neither_added_nor_changed(client) -> None:
    """Started and ended on the Model pages, with their checks: the admin lists them and refuses to write one."""
    active = _version("cmp-a", ModelVersion.Status.ACTIVE, 0.9)
    candidate = _version("cmp-b", ModelVersion.Status.READY, 0.91)
    comparison = Comparison.objects.create(version_a=active, version_b=candidate, share=0.3)
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    listed = client.get(reverse("admin:recommender_comparison_changelist")).text
    assert str(comparison) in listed
    assert client.get(reverse("admin:recommender_comparison_add")).status_code == 403
    change = reverse("admin:recommender_comparison_change", args=[comparison.pk])
    assert client.post(change, {"share": "1", "status": "stopped"}).status_code == 403
    comparison.refresh_from_db()
    assert (comparison.share, comparison.status) == (0.3, Comparison.Status.RUNNING)
