"""A web worker started as `make run` starts it serves the home page, a movie page and the API recommendations
without importing torch, fastai, matplotlib or pandas (issue 12; the import contracts in pyproject.toml say it of
the code, this says it of a running process)."""

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.conf import settings as django_settings
from django.test import Client

from api.services import token_create
from tests.processes import ROOT, START_S, RedisServer, ServiceError, database_url, free_port
from tests.recommender.served_models import World, world_create, world_model_create

pytestmark = pytest.mark.django_db(transaction=True)  # the worker process reads what this test committed

HEAVY = ("torch", "fastai", "matplotlib", "pandas")
MODULES_HOOK = Path(__file__).with_name("gunicorn_modules.py")


def procfile_command(name: str) -> str:
    """The command that `make run` (honcho) starts for the Procfile's process ``name``."""
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())[name]


def until_answering(url: str, *, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_S
    while True:
        try:
            requests.get(url, timeout=5)
            return
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise ServiceError(f"the web worker did not answer; its log:\n{log.read_text()[-4000:]}") from None
            time.sleep(0.1)


@pytest.fixture
def world(settings: object, tmp_path: Path) -> World:
    """The hand-made world of the serving tests with its model active, in this test's MODEL_DIR."""
    settings.MODEL_DIR = tmp_path / "models"
    world = world_create()
    world_model_create(world)
    return world


@pytest.fixture
def web(world: World, tmp_path: Path) -> Iterator[str]:
    """The Procfile's web command (gunicorn, one sync worker) on the test database, this test's MODEL_DIR and a
    Redis of its own, with the hook that writes the worker's modules; yields the site's URL."""
    redis_server = RedisServer(tmp_path / "redis").start()
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "movierec_site.settings.test",
        "DATABASE_URL": database_url(),
        "MODEL_DIR": str(django_settings.MODEL_DIR),
        "REDIS_URL": redis_server.url,
        "CELERY_BROKER_URL": redis_server.url,
        "CELERY_RESULT_BACKEND": redis_server.url,
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "GUNICORN_CMD_ARGS": f"--config {MODULES_HOOK}",
        "MODULES_FILE": str(tmp_path / "modules.txt"),
    }
    log = tmp_path / "web.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            ["bash", "-c", f"exec {procfile_command('web')}"], cwd=ROOT, env=env, stdout=output, stderr=output
        )
    try:
        url = f"http://127.0.0.1:{port}"
        until_answering(f"{url}/api/health", process=process, log=log)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
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
    modules = set((tmp_path / "modules.txt").read_text().split())
    assert "recommender.services.serving" in modules
    assert [name for name in HEAVY if name in modules] == []
