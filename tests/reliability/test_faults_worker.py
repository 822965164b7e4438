"""A retrain worker killed with SIGKILL in the middle of training, and two retrains asked for at once.

A real Celery worker (prefork) and a private redis-server, shared by this module; the worker runs the test
settings on the test database and this module's MODEL_DIR, with a retrain lock that expires LOCK_S seconds after
its last renewal (production: a minute), renewed by the running retrain every third of that. Data is committed
(transactional). Waits are on conditions, each bounded far above what it needs; no duration is asserted.
"""

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.test import Client
from django.urls import reverse

from recommender.models import ModelVersion
from recommender.services.artifact_cache import artifact_fetch
from recommender.services.registry import STAGING_PREFIX, VERSION_INTERRUPTED
from recommender.services.retrain import (
    RETRAIN_BUSY,
    RETRAIN_LOCK_KEY,
    RETRAIN_QUEUED_KEY,
    retrain_enqueue,
    retrain_lock,
)
from tests.processes import TRAINING_QUEUE, CeleryWorker, RedisServer, database_url
from tests.recommender.training_data import ratings_create
from tests.recsys.arrays import synthetic_ratings

pytestmark = pytest.mark.django_db(transaction=True)

LOCK_S = 10
TASK_S = 240
# Bounds of waits, not expectations: what the test waits for happens long before on any machine.
LOCK_GONE_S = LOCK_S + 60
# Many small batches for many epochs: minutes of training on the small synthetic ratings, to be killed in.
SLOW = {"n_factors": 4, "bs": 8, "epochs": 500, "lr": 0.01}


@pytest.fixture(scope="module")
def module_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("worker-faults")


@pytest.fixture(scope="module")
def redis_server(module_dir: Path) -> Iterator[RedisServer]:
    """This module's redis-server (overrides the per-test one of conftest.py): the worker's broker and lock."""
    server = RedisServer(module_dir / "redis").start()
    yield server
    server.kill()


@pytest.fixture(scope="module")
def worker(django_db_setup: None, django_db_blocker, redis_server: RedisServer, module_dir: Path) -> Iterator:
    with django_db_blocker.unblock():
        url = database_url()
    env = {
        "DATABASE_URL": url,
        "MODEL_DIR": str(module_dir / "models"),
        "REDIS_URL": redis_server.url,
        "CELERY_BROKER_URL": redis_server.url,
        "CELERY_RESULT_BACKEND": redis_server.url,
        "RECOMMENDER_RETRAIN_LOCK_SECONDS": str(LOCK_S),
        "LOG_LEVEL": "INFO",
    }
    process = CeleryWorker(env=env, log=module_dir / "worker.log", broker_url=redis_server.url).start()
    yield process
    process.stop()


@pytest.fixture
def model_dir(settings, module_dir: Path) -> Path:
    """The worker's MODEL_DIR (overrides conftest.py's per-test one)."""
    settings.MODEL_DIR = module_dir / "models"
    settings.MODEL_DIR.mkdir(exist_ok=True)
    return settings.MODEL_DIR


@pytest.fixture
def running(worker: CeleryWorker, site_redis: RedisServer, settings) -> CeleryWorker:
    """The worker, started again if a test killed it; no lock or queued mark left by an earlier test."""
    settings.RECOMMENDER_RETRAIN_LOCK_SECONDS = LOCK_S
    site_redis.client().delete(RETRAIN_LOCK_KEY, RETRAIN_QUEUED_KEY)
    if worker.process is None:
        worker.start()
    return worker


def _wait(condition, *, seconds: float, what: str, worker: CeleryWorker) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}; worker log:\n{worker.log_tail()}"
        time.sleep(0.2)


def _renewal(client: redis.Redis) -> Callable[[], bool]:
    """A condition that holds once the lock's remaining time has gone up between two readings: renewed."""
    readings: list[int] = []

    def renewed() -> bool:
        readings.append(client.pttl(RETRAIN_LOCK_KEY))
        return len(readings) > 1 and readings[-2] > 0 and readings[-1] > readings[-2]

    return renewed


def _training(exclude: set[int]) -> ModelVersion | None:
    return ModelVersion.objects.filter(status=ModelVersion.Status.TRAINING).exclude(pk__in=exclude).first()


def test_a_worker_killed_mid_training_leaves_the_active_model_and_the_next_run_succeeds(
    running: CeleryWorker, site_redis: RedisServer, served_world, model_dir: Path, client_for, manager_token
) -> None:
    """While a version trains, the retrain renews its lock (its expiry goes back up); SIGKILL to the worker and its
    children: the active version stays active and verified, the site keeps serving it; the lock refuses a retrain
    (API 409) until it expires, at most LOCK_S seconds after the kill since nothing renews it; then a fresh worker
    trains and activates a new version, and marks the killed one failed (interrupted) after deleting its partial
    files."""
    ratings_create(synthetic_ratings())
    active = served_world.version
    lock = site_redis.client()
    running.client.send_task("recommender.tasks.retrain", kwargs={"force": True, "hyperparameters": SLOW})
    _wait(lambda: _training(set()) is not None, seconds=TASK_S, what="the training to start", worker=running)
    killed = _training(set())
    staging = list(model_dir.glob(f"{STAGING_PREFIX}v{killed.pk}-*"))
    assert staging, "the version in training has its staging folder"
    _wait(_renewal(lock), seconds=TASK_S, what="the heartbeat to renew the lock", worker=running)
    assert _training(set()) == killed, "still training when the lock was renewed"
    running.kill()

    assert 0 < lock.pttl(RETRAIN_LOCK_KEY) <= LOCK_S * 1000, "nothing renews it now: it expires within LOCK_S"
    active.refresh_from_db()
    assert active.status == ModelVersion.Status.ACTIVE
    artifact_fetch(version=active)
    assert client_for(served_world.action_fan).get("/").context["result"].model_version.pk == active.pk
    assert all(path.exists() for path in staging), "the kill left the partial files (the next run must remove them)"
    refused = Client().post("/api/models/retrain", headers=manager_token)
    assert (refused.status_code, refused.json()) == (409, {"detail": RETRAIN_BUSY})

    _wait(lambda: not lock.exists(RETRAIN_LOCK_KEY), seconds=LOCK_GONE_S, what="the lock to expire", worker=running)
    running.start()
    queued = Client().post("/api/models/retrain", headers=manager_token)
    assert queued.status_code == 202, queued.content

    def finished() -> bool:
        # A finished version is ready for a moment before its promotion makes it active (or rejected).
        unsettled = [ModelVersion.Status.TRAINING, ModelVersion.Status.READY]
        return ModelVersion.objects.exclude(pk__in=[active.pk, killed.pk]).exclude(status__in=unsettled).exists()

    _wait(finished, seconds=TASK_S, what="the next retrain", worker=running)
    new = ModelVersion.objects.exclude(pk__in=[active.pk, killed.pk]).get()
    assert new.status == ModelVersion.Status.ACTIVE, new.error
    artifact_fetch(version=new)
    killed.refresh_from_db()
    assert (killed.status, killed.error, killed.artifact_dir) == (ModelVersion.Status.FAILED, VERSION_INTERRUPTED, "")
    assert list(model_dir.glob(f"{STAGING_PREFIX}*")) == []
    assert list(model_dir.glob(f"v{killed.pk}-*")) == []
    active.refresh_from_db()
    assert active.status == ModelVersion.Status.READY


def test_the_lock_outlives_its_expiry_while_its_holder_runs_and_goes_when_it_ends(
    site_redis: RedisServer, settings
) -> None:
    """Held past its one-second expiry, the lock is renewed by its heartbeat and still refuses another holder; when
    the holder's block ends it is released at once."""
    settings.RECOMMENDER_RETRAIN_LOCK_SECONDS = 1
    client = site_redis.client()
    client.delete(RETRAIN_LOCK_KEY)
    with retrain_lock() as acquired:
        assert acquired
        renewed = _renewal(client)
        for _ in range(3):  # three renewals: it has lived past its expiry
            deadline = time.monotonic() + LOCK_GONE_S
            while not renewed():
                assert time.monotonic() < deadline, "the heartbeat did not renew the lock"
                time.sleep(0.05)
        with retrain_lock() as second:
            assert second is False
    assert not client.exists(RETRAIN_LOCK_KEY)


def _post_at_once(*requests) -> list:
    """Run the request functions in threads released together; each thread closes its database connection."""
    barrier = threading.Barrier(len(requests))
    results: list = [None] * len(requests)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = requests[index]()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_retrains_asked_at_once_from_the_admin_and_the_api_train_once(
    running: CeleryWorker, site_redis: RedisServer, model_dir: Path, manager, manager_token
) -> None:
    """ "Retrain now" in the admin and POST /api/models/retrain at the same moment: one is queued, the other is
    told a retrain is running (the admin's message, or the API's 409); the worker trains exactly one version."""
    ratings_create(synthetic_ratings())
    admin = Client()
    admin.force_login(manager)
    admin_response, api_response = _post_at_once(
        lambda: admin.post(reverse("admin:recommender_modelversion_retrain"), follow=True),
        lambda: Client().post("/api/models/retrain", headers=manager_token),
    )
    admin_busy = RETRAIN_BUSY in [str(m) for m in admin_response.context["messages"]]
    assert api_response.status_code in {202, 409}
    assert admin_busy == (api_response.status_code == 202), (admin_response.context["messages"], api_response)
    if api_response.status_code == 409:
        assert api_response.json() == {"detail": RETRAIN_BUSY}
    assert retrain_enqueue() is None, "a third request is refused too while the first runs"

    def finished() -> bool:
        # A finished version is ready for a moment before its promotion makes it active (or rejected).
        unsettled = [ModelVersion.Status.TRAINING, ModelVersion.Status.READY]
        return ModelVersion.objects.exclude(status__in=unsettled).exists()

    _wait(finished, seconds=TASK_S, what="the retrain", worker=running)
    _wait(lambda: site_redis.client().llen(TRAINING_QUEUE) == 0, seconds=30, what="an empty queue", worker=running)
    assert ModelVersion.objects.count() == 1
    assert ModelVersion.objects.get().status == ModelVersion.Status.ACTIVE
