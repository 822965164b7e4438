"""Fixtures of the reliability tests: a private Redis the site uses, users by role, and a served model."""

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from api.services import token_create
from recommender.services.serving import serving_reset
from tests.factories import UserFactory
from tests.processes import RedisServer, celery_app_broker
from tests.recommender.served_models import World, world_create, world_model_create

MANAGE_PERMISSION = ("recommender", "manage_modelversion")


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, on a free port, killed at the end."""
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.kill()


@pytest.fixture
def site_redis(redis_server: RedisServer, settings) -> Iterator[RedisServer]:
    """The site uses the private Redis for everything: retrain lock and queued mark, Celery broker and results,
    the API's rate limits (in keys of this test) and the health check."""
    settings.REDIS_URL = redis_server.url
    settings.CELERY_BROKER_URL = settings.CELERY_RESULT_BACKEND = redis_server.url
    settings.API_RATE_KEY_PREFIX = f"test:reliability:{uuid.uuid4().hex}"
    with celery_app_broker(redis_server.url):
        yield redis_server


@pytest.fixture
def model_dir(settings, tmp_path: Path) -> Path:
    """MODEL_DIR of this test only."""
    settings.MODEL_DIR = tmp_path / "models"
    settings.MODEL_DIR.mkdir()
    return settings.MODEL_DIR


@pytest.fixture
def served_world(db: None, model_dir: Path) -> Iterator[World]:
    """The hand-made two-taste world with its model active (in this test's MODEL_DIR), the model cache fresh."""
    serving_reset()
    world = world_create()
    world.version = world_model_create(world)
    yield world
    serving_reset()


@pytest.fixture
def manager(db: None) -> object:
    """A staff user allowed to change model versions (retrain, activate)."""
    user = UserFactory(username="manager", is_staff=True)
    user.user_permissions.add(Permission.objects.get(content_type__app_label=MANAGE_PERMISSION[0],
                                                     codename=MANAGE_PERMISSION[1]))  # fmt: skip
    return user


@pytest.fixture
def manager_client(manager: object, client_for) -> Client:
    return client_for(manager)


@pytest.fixture
def manager_token(manager: object, bearer_for) -> dict[str, str]:
    return bearer_for(manager)


@pytest.fixture
def client_for(db: None) -> Callable[[object], Client]:
    """A client signed in (session) as the given user; errors come back as responses, as a browser sees them."""

    def make(user: object) -> Client:
        client = Client(raise_request_exception=False)
        client.force_login(user)
        return client

    return make


@pytest.fixture
def bearer_for(db: None) -> Callable[[object], dict[str, str]]:
    """The Authorization header of a fresh API token of the given user."""
    return lambda user: {"Authorization": f"Bearer {token_create(user=user)[0]}"}
