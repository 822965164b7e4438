"""A web worker started as `make run` starts it serves the home page, a movie page and the API recommendations
without importing torch, fastai, matplotlib or pandas (issue 12; the import contracts in pyproject.toml say it of
the code, this says it of a running process), and with one BLAS thread (issue 15)."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.conf import settings as django_settings
from django.test import Client

from api.services import token_create
from tests.processes import RedisServer, WebServer
from tests.recommender.served_models import World, world_create, world_model_create

pytestmark = pytest.mark.django_db(transaction=True)  # the worker process reads what this test committed

HEAVY = ("torch", "fastai", "matplotlib", "pandas")
STATE_HOOK = Path(__file__).with_name("gunicorn_modules.py")


@pytest.fixture
def world(settings: object, tmp_path: Path) -> World:
    """The hand-made world of the serving tests with its model active, in this test's MODEL_DIR."""
    settings.MODEL_DIR = tmp_path / "models"
    world = world_create()
    world_model_create(world)
    return world


@pytest.fixture
def web(world: World, tmp_path: Path) -> Iterator[str]:
    """The Procfile's web command (gunicorn, one worker) on the test database, this test's MODEL_DIR and a Redis of
    its own, with the hook that writes the worker's modules and thread pools; yields the site's URL."""
    redis_server = RedisServer(tmp_path / "redis").start()
    env = {"WEB_CONCURRENCY": "1", "WORKER_STATE_FILE": str(tmp_path / "worker.json")}
    server = WebServer(redis_url=redis_server.url, log=tmp_path / "web.log", env=env, config=STATE_HOOK)
    try:
        yield server.start().url
    finally:
        server.stop()
        redis_server.kill()


def test_web_worker_serves_the_site_without_heavy_imports(web: str, world: World, tmp_path: Path) -> None:
    """After the signed-in home page, a movie's page and GET /api/me/recommendations, all answered from the active
    model, the web worker has imported none of torch, fastai, matplotlib and pandas."""
    fan = world.action_fan
    browser = Client()
    browser.force_login(fan)
    session = requests.Session()
    session.cookies.set(django_settings.SESSION_COOKIE_NAME, browser.cookies[django_settings.SESSION_COOKIE_NAME].value)

    home = session.get(f"{web}/", allow_redirects=False, timeout=30)
    movie = session.get(f"{web}/movies/{world.action_movies[2].pk}/", allow_redirects=False, timeout=30)
    token = token_create(user=fan)[0]
    api = requests.get(f"{web}/api/me/recommendations", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    requests.get(f"{web}/api/health", timeout=30)  # its hook writes the modules the three requests left imported

    assert (home.status_code, movie.status_code, api.status_code) == (200, 200, 200)
    assert 'class="predicted"' in home.text  # the model's predictions, not the popularity list
    assert 'class="predicted"' in movie.text
    assert api.json()["source"] == "model"
    modules = set(json.loads((tmp_path / "worker.json").read_text())["modules"])
    assert "recommender.services.serving" in modules
    assert [name for name in HEAVY if name in modules] == []


def test_web_worker_runs_one_blas_thread(web: str, world: World, tmp_path: Path) -> None:
    """After a recommendations request, which multiplies the model's arrays, every BLAS and OpenMP thread pool that
    the web worker has loaded runs one thread (the site's gunicorn config), however many cores the machine has."""
    token = token_create(user=world.action_fan)[0]
    api = requests.get(f"{web}/api/me/recommendations", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    requests.get(f"{web}/api/health", timeout=30)  # its hook writes the pools the request left loaded

    assert api.status_code == 200
    pools = json.loads((tmp_path / "worker.json").read_text())["threadpools"]
    assert any(pool["user_api"] == "blas" for pool in pools), pools
    assert {(pool["internal_api"], pool["num_threads"]) for pool in pools} == {
        (pool["internal_api"], 1) for pool in pools
    }
