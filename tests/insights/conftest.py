"""A model version written by the test: known biases and factors, saved as a real serving artifact."""

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pytest
from django.core.cache import cache
from django.utils import timezone

from ratings.models import Movie, Rating
from recommender.models import ModelVersion
from recommender.services.artifacts import artifact_path, file_sha256
from recsys.rating_model import FactorModel
from tests.factories import MovieFactory, UserFactory
from tests.recsys.arrays import with_mirror_ranking

N_MOVIES = 55  # more than the 50 of the factor map, so the map has to choose
N_FACTORS = 6


@dataclass
class WrittenModel:
    version: ModelVersion
    model: FactorModel
    movies: list[Movie]  # movies[i] has i + 1 ratings


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    # Version pages are cached by pk and artifact hash; tests reuse pks.
    cache.clear()


@pytest.fixture
def model_dir(settings, tmp_path):
    settings.MODEL_DIR = tmp_path / "models"
    settings.MODEL_DIR.mkdir()
    return settings.MODEL_DIR


def write_model_version(*, model: FactorModel, status: str = ModelVersion.Status.ACTIVE, **fields) -> ModelVersion:
    version = ModelVersion.objects.create(status=status, algorithm="dot", **fields)
    version.artifact_dir = f"v{version.pk}"
    directory = artifact_path(version=version)
    directory.mkdir(parents=True)
    written = with_mirror_ranking(model).save(directory)
    version.artifact_sha256 = {path.name: file_sha256(path) for path in written}
    version.save()
    return version


@pytest.fixture
def written_model(model_dir) -> WrittenModel:
    """55 movies rated 1..55 times by 55 users, and a model over them whose biases are a known permutation."""
    rng = np.random.default_rng(7)
    users = [UserFactory() for _ in range(N_MOVIES)]
    movies = [MovieFactory(title=f"Film {i:02d} of the test") for i in range(N_MOVIES)]
    when = dt.datetime(1998, 3, 1, tzinfo=dt.UTC)
    Rating.objects.bulk_create(
        Rating(user=users[u], movie=movie, score=float(1 + (u + i) % 5), timestamp=when + dt.timedelta(days=u % 3))
        for i, movie in enumerate(movies)
        for u in range(i + 1)
    )
    order = rng.permutation(N_MOVIES)  # rows of the model are not in the order of the pks
    model = FactorModel(
        user_ids=np.array([u.pk for u in users], dtype=np.int64),
        movie_ids=np.array([movies[i].pk for i in order], dtype=np.int64),
        user_factors=rng.normal(0, 0.3, (N_MOVIES, N_FACTORS)).astype(np.float32),
        user_bias=rng.normal(0, 0.1, N_MOVIES).astype(np.float32),
        movie_factors=rng.normal(0, 0.5, (N_MOVIES, N_FACTORS)).astype(np.float32),
        movie_bias=np.linspace(-1.5, 1.5, N_MOVIES)[rng.permutation(N_MOVIES)].astype(np.float32),
        y_range=(0.0, 5.5),
    )
    version = write_model_version(
        model=model,
        metrics={"rmse": 0.9123, "mae": 0.7188, "ndcg@10": 0.0815},
        epoch_losses=[
            {"epoch": 1, "train_loss": 1.31, "valid_loss": 0.98},
            {"epoch": 2, "train_loss": 0.85, "valid_loss": 0.87},
            {"epoch": 3, "train_loss": 0.64, "valid_loss": 0.83},
        ],
        training_seconds=2.5,
        n_ratings=Rating.objects.count(),
        n_users=N_MOVIES,
        n_movies=N_MOVIES,
        finished_at=timezone.now() - dt.timedelta(hours=1),
    )
    return WrittenModel(version=version, model=model, movies=movies)
