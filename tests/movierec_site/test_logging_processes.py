"""LOG_FORMAT=json in the real processes: every line that web (gunicorn), worker and beat write is one JSON object,
the web's with the request's id, the worker's with the task's id and the id of the request that queued it.

A private redis-server; web, worker and beat on the test database (committed: transactional), as the Procfile runs
them, with CELERY_QUIET=1, which keeps Celery's start-up banner (not a log line) out of the output.
"""

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from movierec_site import logs
from recommender.services.retrain import retrain_enqueue
from tests.processes import CeleryBeat, CeleryWorker, RedisServer, WebServer, celery_app_broker, database_url

pytestmark = pytest.mark.django_db(transaction=True)

JSON_ENV = {"LOG_FORMAT": "json", "CELERY_QUIET": "1", "LOG_LEVEL": "INFO"}
GUNICORN_CONFIG = Path(__file__).resolve().parents[2] / "movierec_site" / "gunicorn.conf.py"  # the Procfile's
TASK_S = 120


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.kill()


@pytest.fixture
def site_env(redis_server: RedisServer, settings, tmp_path: Path) -> Iterator[dict[str, str]]:
    """What web, worker and beat are started with; the site in this process enqueues to the same Redis."""
    settings.REDIS_URL = redis_server.url
    settings.MODEL_DIR = tmp_path / "models"
    env = {
        **JSON_ENV,
        "DATABASE_URL": database_url(),
        "MODEL_DIR": str(settings.MODEL_DIR),
        "REDIS_URL": redis_server.url,
        "CELERY_BROKER_URL": redis_server.url,
        "CELERY_RESULT_BACKEND": redis_server.url,
    }
    with celery_app_broker(redis_server.url):
        yield env


def json_lines(log: Path) -> list[dict]:
    """Every line of the log as an object; a line that is not one JSON object fails the test, quoted."""
    lines = []
    for line in log.read_text().splitlines():
        if line.strip():
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                pytest.fail(f"not a JSON line in {log.name}: {line!r}")
    return lines


def _read(log: Path) -> list[dict]:
    """The lines written so far that parse (the last may be half written)."""
    lines = []
    for line in log.read_text().splitlines():
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return lines


def test_the_web_writes_json_lines_with_the_request_id(site_env: dict[str, str], tmp_path: Path) -> None:
    """gunicorn's lines and the site's are JSON; a request's line has the id its X-Request-ID gave, also returned."""
    log = tmp_path / "web.log"
    web = WebServer(redis_url=site_env["REDIS_URL"], log=log, env=site_env, config=GUNICORN_CONFIG).start()
    try:
        response = requests.get(f"{web.url}/no-such-page/", headers={"X-Request-ID": "lb-7f3e"}, timeout=10)
        assert response.headers["X-Request-ID"] == "lb-7f3e"
    finally:
        web.stop()
    lines = json_lines(log)
    assert {"gunicorn.error", "gunicorn.access", "django.request"} <= {line["logger"] for line in lines}
    (not_found,) = [line for line in lines if line["message"] == "Not Found: /no-such-page/"]
    assert not_found["request_id"] == "lb-7f3e"


def test_the_worker_writes_json_lines_with_the_task_and_request_ids(site_env: dict[str, str], tmp_path: Path) -> None:
    """A retrain queued while a request is served runs in the worker with lines that carry its task id and that
    request's id; every line the worker writes is JSON."""
    log = tmp_path / "worker.log"
    worker = CeleryWorker(env=site_env, log=log, broker_url=site_env["REDIS_URL"], concurrency=1).start()
    try:
        token = logs.request_id.set("page-click-42")
        try:
            task_id = retrain_enqueue(force=True)
        finally:
            logs.request_id.reset(token)
        assert task_id is not None
        # Until the trace's closing line of the task ("succeeded" or "raised"; no ratings here, so it raises).
        deadline = time.monotonic() + TASK_S
        while not any(line.get("task_id") == task_id and line["logger"] == "celery.app.trace" for line in _read(log)):
            assert time.monotonic() < deadline, log.read_text()[-4000:]
            time.sleep(0.5)
    finally:
        worker.stop()
    lines = json_lines(log)
    of_task = [line for line in lines if line["task_id"] == task_id]
    assert of_task, log.read_text()[-4000:]
    assert {line["request_id"] for line in of_task} == {"page-click-42"}


def test_beat_writes_json_lines(site_env: dict[str, str], tmp_path: Path) -> None:
    """celery beat, as the Procfile starts it, writes only JSON lines."""
    beat = CeleryBeat(env=site_env, workdir=tmp_path / "beat").start()  # returns once it logged its start
    beat.stop()
    assert any(line["logger"] == "celery.beat" for line in json_lines(beat.log))
