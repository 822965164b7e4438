"""The retrain on the `training` queue, everything light on Celery's default one (settings.CELERY_TASK_ROUTES): two
real workers, one a queue, as a training host and a light host run them; the Procfile's single-host worker on both.

A private redis-server is the broker; the workers run the test settings on the test database (committed:
transactional) and its MODEL_DIR. Waits are bounded; which worker ran a task is read from the workers' logs.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import current_app
from django.conf import settings as django_settings

from recommender.models import ModelVersion
from recommender.services.retrain import RETRAIN_TASK, retrain_enqueue
from tests.processes import (
    TRAINING_QUEUE,
    CeleryWorker,
    RedisServer,
    celery_app_broker,
    database_url,
    procfile_command,
)
from tests.recommender.training_data import ratings_create
from tests.recsys.arrays import synthetic_ratings

TASK_S = 240
DEFAULT_QUEUE = "celery"


def test_the_procfile_worker_listens_on_every_queue_a_task_is_routed_to() -> None:
    """The single-host worker of `make run` consumes the default queue and each routed one, the retrain's among
    them: a queue no worker listens on would keep its tasks forever."""
    words = procfile_command("worker").split()
    queues = set(words[words.index("-Q") + 1].split(","))
    routed = {route["queue"] for route in django_settings.CELERY_TASK_ROUTES.values()}
    assert queues == {django_settings.CELERY_TASK_DEFAULT_QUEUE, *routed}
    assert {DEFAULT_QUEUE, TRAINING_QUEUE} <= queues


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.kill()


@pytest.fixture
def workers(transactional_db: None, redis_server: RedisServer, settings, tmp_path: Path) -> Iterator[dict]:
    """A training worker (-Q training --concurrency 1, as a training host runs it) and a default one (-Q celery),
    on one broker, which the site in this process enqueues to."""
    url = redis_server.url
    env = {
        "DATABASE_URL": database_url(),
        "MODEL_DIR": str(settings.MODEL_DIR),
        "REDIS_URL": url,
        "CELERY_BROKER_URL": url,
        "CELERY_RESULT_BACKEND": url,
        "LOG_LEVEL": "INFO",
    }
    settings.REDIS_URL = url
    started = {}
    try:
        for queue in (TRAINING_QUEUE, DEFAULT_QUEUE):
            worker = CeleryWorker(
                env=env, log=tmp_path / f"{queue}.log", broker_url=url, concurrency=1, queues=(queue,)
            )
            started[queue] = worker.start()
        with celery_app_broker(url):
            yield started
    finally:
        for worker in started.values():
            worker.stop()


def test_the_retrain_runs_on_the_training_worker_and_a_light_task_on_the_default_one(workers: dict) -> None:
    """A retrain queued as the admin, the Model pages and the API queue it is received and run by the training
    worker alone; a light task (Celery's result cleanup) by the default worker alone."""
    ratings_create(synthetic_ratings())
    task_id = retrain_enqueue(force=True)
    assert task_id is not None
    light = current_app.send_task("celery.backend_cleanup")
    light.get(timeout=TASK_S)
    current_app.AsyncResult(task_id).get(timeout=TASK_S)

    training, default = workers[TRAINING_QUEUE].log.read_text(), workers[DEFAULT_QUEUE].log.read_text()
    assert f"{RETRAIN_TASK}[{task_id}] received" in training, training[-4000:]
    assert task_id not in default
    assert f"celery.backend_cleanup[{light.id}] received" in default, default[-4000:]
    assert light.id not in training
    assert ModelVersion.objects.active().exists()
