"""Fixtures of the recommender tests: a fresh model holder, the hand-made world, an isolated registry, and an
S3-compatible server for the model store."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from recommender.selectors import movie_stats_reset
from recommender.services.comparison_serving import comparison_serving_reset
from recommender.services.retrain import RETRAIN_LOCK_KEY, RETRAIN_QUEUED_KEY
from recommender.services.serving import serving_reset
from tests.processes import S3Server
from tests.recommender.served_models import World, world_create
from tests.recommender.training_data import redis_test_url


@pytest.fixture
def fresh_serving(settings, tmp_path: Path) -> Iterator[None]:
    """No model and no rating statistics held in memory before or after the test; MODEL_DIR is the test's own, and
    the active version and the statistics are looked up again on every request."""
    settings.MODEL_DIR = tmp_path
    settings.RECOMMENDER_ACTIVE_CHECK_SECONDS = 0
    settings.RECOMMENDER_STATS_SECONDS = 0
    serving_reset()
    comparison_serving_reset()
    movie_stats_reset()
    yield
    serving_reset()
    comparison_serving_reset()
    movie_stats_reset()


@pytest.fixture
def world(db: None) -> World:
    """Two genres of four movies and two model raters, one fan of each (tests/recommender/served_models.py)."""
    return world_create()


@pytest.fixture
def isolated(settings, tmp_path: Path) -> Path:
    """A model folder per test, and the registry tests' own Redis database, emptied of the retrain's keys."""
    settings.MODEL_DIR = tmp_path / "models"
    settings.REDIS_URL = redis_test_url()
    redis.Redis.from_url(settings.REDIS_URL).delete(RETRAIN_LOCK_KEY, RETRAIN_QUEUED_KEY)
    return settings.MODEL_DIR


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """moto's S3 server, one process for the session; each test keeps its versions in a bucket of its own."""
    server = S3Server(log=tmp_path_factory.mktemp("s3") / "moto.log").start()
    yield server
    server.kill()
