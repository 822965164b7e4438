"""Tests of the retrain task on a real Celery worker: a separate process fed by the real Redis, no eager mode.

The worker runs the test settings on the test database (on SQLite a file, see tests/conftest.py) and the same
MODEL_DIR; its broker, results and the retrain lock live in Redis database 13. The tests commit their data
(transactional), send the task by name, and read what the worker wrote.
"""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from celery.result import AsyncResult
from django.conf import settings
from django.urls import reverse

from recommender.models import ModelVersion
from recommender.services.artifact_cache import artifact_fetch
from recommender.services.registry import STAGING_PREFIX
from recommender.services.retrain import RETRAIN_BUSY
from tests.processes import CeleryWorker, celery_app_broker, database_url
from tests.recommender.training_data import ratings_create, redis_test_url
from tests.recsys.arrays import SMALL, synthetic_ratings

TASK_S = 240

pytestmark = pytest.mark.django_db(transaction=True)


class Worker(CeleryWorker):
    """The shared worker, with the retrain task and its outcome at hand."""

    def result(self, result: AsyncResult) -> dict:
        try:
            return result.get(timeout=TASK_S)
        except Exception as error:
            raise AssertionError(f"{error!r}; worker log:\n{self.log_tail()}") from error

    def retrain(self, **kwargs: object) -> AsyncResult:
        return self.client.send_task("recommender.tasks.retrain", kwargs={"hyperparameters": SMALL, **kwargs})


@pytest.fixture(scope="module")
def worker(django_db_setup: None, django_db_blocker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    """A Celery worker (prefork, two processes) on the test database, MODEL_DIR and Redis database 13."""
    url = redis_test_url()
    redis.Redis.from_url(url).flushdb()  # tasks left by an interrupted run would be taken first
    with django_db_blocker.unblock():
        worker_database_url = database_url()
    env = {
        "DATABASE_URL": worker_database_url,
        "MODEL_DIR": str(settings.MODEL_DIR),
        "REDIS_URL": url,
        "CELERY_BROKER_URL": url,
        "CELERY_RESULT_BACKEND": url,
        "LOG_LEVEL": "INFO",
    }
    worker = Worker(env=env, log=tmp_path_factory.mktemp("worker") / "worker.log", broker_url=url).start()
    yield worker
    worker.stop()


@pytest.fixture
def on_worker_redis(settings, worker: Worker) -> str:
    """This process keeps the lock and the queued mark where the worker looks for them."""
    settings.REDIS_URL = redis_test_url()
    return settings.REDIS_URL


def _leftovers(version: ModelVersion) -> list[Path]:
    model_dir = Path(settings.MODEL_DIR)
    return [*model_dir.glob(f"v{version.pk}-*"), *model_dir.glob(f"{STAGING_PREFIX}v{version.pk}-*")]


def test_retrain_on_a_real_worker_trains_and_activates(worker: Worker) -> None:
    """The worker reads the committed ratings, trains, exports and activates a version with its metrics."""
    ratings = ratings_create(synthetic_ratings())
    outcome = worker.result(worker.retrain())
    assert outcome["status"] == "activated", outcome
    version = ModelVersion.objects.get(pk=outcome["version"])
    assert version.status == ModelVersion.Status.ACTIVE
    assert version.n_ratings == len(ratings)
    assert {"rmse", "mae", "ndcg@10"} <= set(version.metrics)
    assert len(version.epoch_losses) == SMALL["epochs"]
    artifact_fetch(version=version)


def test_two_triggers_at_once_train_once(worker: Worker, on_worker_redis: str) -> None:
    """Two retrains sent together reach two worker processes: one trains, the other answers "already running"."""
    ratings_create(synthetic_ratings())
    # More epochs than elsewhere: the first holds the lock for a while after the second has arrived.
    longer = {**SMALL, "epochs": 20}
    first, second = (
        worker.retrain(force=True, hyperparameters=longer),
        worker.retrain(force=True, hyperparameters=longer),
    )
    outcomes = [worker.result(result) for result in (first, second)]
    assert sorted(outcome["status"] for outcome in outcomes) == ["activated", "busy"], outcomes
    assert ModelVersion.objects.count() == 1


def test_retrain_skips_when_the_ratings_are_unchanged(worker: Worker) -> None:
    """Scheduled (not forced), a retrain after one on the same ratings trains nothing."""
    ratings_create(synthetic_ratings())
    trained = worker.result(worker.retrain())
    skipped = worker.result(worker.retrain())
    assert skipped["status"] == "skipped"
    assert skipped["version"] == trained["version"]
    assert ModelVersion.objects.count() == 1


def test_a_failing_training_leaves_the_active_model_and_no_files(worker: Worker) -> None:
    """A forced retrain that fails mid-training: the task fails, the version is failed with the reason, its files
    are gone, and the active version is the one it was."""
    ratings_create(synthetic_ratings())
    active = ModelVersion.objects.get(pk=worker.result(worker.retrain())["version"])
    failing = worker.retrain(force=True, hyperparameters={**SMALL, "n_factors": -1})
    failing.get(timeout=TASK_S, propagate=False)
    assert failing.state == "FAILURE", worker.log_tail()
    failed = ModelVersion.objects.exclude(pk=active.pk).get()
    assert failed.status == ModelVersion.Status.FAILED
    assert failed.error.startswith("RuntimeError:")
    assert _leftovers(failed) == []
    active.refresh_from_db()
    assert active.status == ModelVersion.Status.ACTIVE
    artifact_fetch(version=active)


@pytest.fixture
def site_app_on_worker_redis(on_worker_redis: str) -> Iterator[None]:
    """The site's Celery app (what the admin enqueues with) publishes to the worker's Redis during the test."""
    with celery_app_broker(on_worker_redis):
        yield


def test_retrain_now_in_the_admin_produces_one_new_version(
    worker: Worker, site_app_on_worker_redis: None, admin_client
) -> None:
    """Two clicks on "Retrain now": the second is refused while the first is queued or running; the worker
    trains one new version, which the admin lists with its metrics."""
    ratings_create(synthetic_ratings())
    url = reverse("admin:recommender_modelversion_retrain")
    admin_client.post(url)
    second = admin_client.post(url, follow=True)
    assert RETRAIN_BUSY in [str(message) for message in second.context["messages"]]
    deadline = time.monotonic() + TASK_S
    # A finished version is ready for a moment before its promotion makes it active (or rejected).
    unsettled = [ModelVersion.Status.TRAINING, ModelVersion.Status.READY]
    while not ModelVersion.objects.exclude(status__in=unsettled).exists():
        assert time.monotonic() < deadline, worker.log_tail()
        time.sleep(0.5)
    version = ModelVersion.objects.get()
    assert version.status == ModelVersion.Status.ACTIVE, version.error
    page = admin_client.get(reverse("admin:recommender_modelversion_changelist"))
    assert f"{version.metrics['rmse']:.4f}" in page.content.decode()
