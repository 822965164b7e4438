"""Fixtures of the API tests: users with Bearer tokens, private rate-limit counters, a served model."""

import uuid

import numpy as np
import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.test import Client

from api.services import token_create
from ratings.models import Movie
from recommender.models import ModelVersion
from recommender.services.artifacts import file_sha256
from recommender.services.serving import serving_reset
from recsys.rating_model import FactorModel
from tests.factories import GenreFactory, MovieFactory, RatingFactory, UserFactory
from tests.recsys.arrays import with_mirror_ranking

# A port where nothing listens: Redis "down" without stopping the Redis that other tests use.
DEAD_REDIS_URL = "redis://127.0.0.1:1/0"


@pytest.fixture(autouse=True)
def _own_rate_limit_counters(settings: object) -> None:
    """Each test counts in its own Redis keys, so tests (and parallel runs) do not throttle one another."""
    settings.API_RATE_KEY_PREFIX = f"test:api:rate:{uuid.uuid4().hex}"


@pytest.fixture(autouse=True)
def _fresh_serving() -> None:
    serving_reset()
    yield
    serving_reset()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api_client() -> Client:
    return Client()


@pytest.fixture
def user(db: None) -> object:
    return UserFactory(username="alice")


@pytest.fixture
def token(user: object) -> str:
    return token_create(user=user)[0]


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return bearer(token)


@pytest.fixture
def staff(db: None) -> object:
    """A staff member allowed to change model versions (the permission the registry's admin asks for)."""
    user = UserFactory(username="admin", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="manage_modelversion"))
    return user


@pytest.fixture
def staff_auth(staff: object) -> dict[str, str]:
    return bearer(token_create(user=staff)[0])


@pytest.fixture
def catalogue(db: None) -> list[Movie]:
    """Twelve movies in two genres, rated by eight users so that popularity and the model have something to say."""
    drama, comedy = GenreFactory(name="Drama", slug="drama"), GenreFactory(name="Comedy", slug="comedy")
    movies = [
        MovieFactory(title=f"Film {i:02d}", year=1990 + i, genres=[drama if i % 2 else comedy]) for i in range(12)
    ]
    raters = UserFactory.create_batch(8)
    for u, rater in enumerate(raters):
        for m, movie in enumerate(movies):
            if (u + m) % 3:
                RatingFactory(user=rater, movie=movie, score=float(1 + (u * m) % 5))
    return movies


def model_activate(
    *, users: list, movies: list[Movie], n_factors: int = 4, seed: int = 0, status: str = ModelVersion.Status.ACTIVE
) -> ModelVersion:
    """Write a small random FactorModel as an artifact and register it as a version, active by default."""
    rng = np.random.default_rng(seed)
    model = FactorModel(
        user_ids=np.array([u.pk for u in users], dtype=np.int64),
        movie_ids=np.array([m.pk for m in movies], dtype=np.int64),
        user_factors=rng.normal(size=(len(users), n_factors)).astype(np.float32),
        user_bias=rng.normal(size=len(users)).astype(np.float32),
        movie_factors=rng.normal(size=(len(movies), n_factors)).astype(np.float32),
        movie_bias=rng.normal(size=len(movies)).astype(np.float32),
        y_range=(0.0, 5.5),
        meta={},
    )
    folder = f"test-{uuid.uuid4().hex}"
    directory = settings.MODEL_DIR / folder
    directory.mkdir(parents=True)
    files = with_mirror_ranking(model).save(directory)
    if status == ModelVersion.Status.ACTIVE:
        ModelVersion.objects.active().update(status=ModelVersion.Status.READY)
    version = ModelVersion.objects.create(
        status=status,
        metrics={"rmse": 0.9},
        n_users=len(users),
        n_movies=len(movies),
        artifact_dir=folder,
        artifact_sha256={path.name: file_sha256(path) for path in files},
    )
    serving_reset()
    return version


@pytest.fixture
def active_model(catalogue: list[Movie], user: object) -> ModelVersion:
    from django.contrib.auth import get_user_model

    return model_activate(users=list(get_user_model().objects.all()), movies=catalogue)
