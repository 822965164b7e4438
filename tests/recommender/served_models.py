"""Small hand-made models for the serving tests: a FactorModel written to MODEL_DIR and registered with its SHA-256.

The world: four action and four romance movies, two factors (action, romance), and two MovieLens raters in
the model, one who loves action and one who loves romance. No fastai needed.
"""

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from ratings.models import Genre, Movie
from recommender.models import ModelVersion
from recommender.services.artifacts import file_sha256
from recommender.services.onboarding import cold_start_setting
from recsys.cold_start import artifact_form
from recsys.ranking_model import RankingModel
from recsys.rating_model import SERVING_ARRAYS, SERVING_META, DenseLayer, FactorModel
from tests.factories import GenreFactory, MovieFactory, ProfileFactory, RatingFactory, UserFactory
from tests.recsys.arrays import legacy_save, signals_of, with_mirror_ranking

ACTION_FACTORS = [(1.0, 0.1), (0.9, 0.2), (1.0, 0.0), (0.8, -0.1)]
ROMANCE_FACTORS = [(0.1, 1.0), (0.0, 1.0), (0.2, 0.9), (-0.1, 0.8)]
Y_RANGE = (0.0, 5.5)


@dataclass
class World:
    action: Genre
    romance: Genre
    action_movies: list[Movie]
    romance_movies: list[Movie]
    action_fan: AbstractBaseUser  # a MovieLens rater in the model
    romance_fan: AbstractBaseUser

    @property
    def movies(self) -> list[Movie]:
        return self.action_movies + self.romance_movies


def model_version_create(
    *,
    name: str,
    user_ids: list[int],
    user_factors: np.ndarray,
    movie_ids: list[int],
    movie_factors: np.ndarray,
    movie_bias: np.ndarray | None = None,
    training_ratings: tuple[list[int], list[int], list[float]] | None = None,
    status: str = ModelVersion.Status.ACTIVE,
    mlp: tuple[DenseLayer, ...] = (),
    ranking: RankingModel | None = None,
    without_ranking: bool = False,
    earlier_layout: bool = False,
) -> ModelVersion:
    """Write a FactorModel under MODEL_DIR/<name> and register it with the SHA-256 of its files. Its ranking model
    is ``ranking`` (rows in the order of ``user_ids`` and ``movie_ids``), by default the rating model's own
    factors, so that the list's order is the order of the predicted ratings; ``without_ranking``, none (an artifact
    that the site refuses to serve). Of the ``training_ratings``, the artifact carries what the export would for
    the configured cold start (the fingerprints; the ratings where they are read), or with ``earlier_layout``
    the ratings as triples and no fingerprints, as artifacts were written before fingerprints."""
    model = FactorModel(
        user_ids=np.asarray(user_ids, dtype=np.int64),
        movie_ids=np.asarray(movie_ids, dtype=np.int64),
        user_factors=np.asarray(user_factors, dtype=np.float32),
        user_bias=np.zeros(len(user_ids), dtype=np.float32),
        movie_factors=np.asarray(movie_factors, dtype=np.float32),
        movie_bias=np.zeros(len(movie_ids), dtype=np.float32) if movie_bias is None else movie_bias,
        y_range=Y_RANGE,
        meta={"name": name},
        mlp=mlp,
    )
    if without_ranking:
        model = replace(model, signals=signals_of(model))
    else:
        model = (
            with_mirror_ranking(model)
            if ranking is None
            else replace(model, ranking=ranking, signals=signals_of(model))
        )
    if training_ratings is not None:
        users, movies, scores = training_ratings
        model = model.with_training_ratings(user_ids=users, movie_ids=movies, scores=scores)
    directory = Path(settings.MODEL_DIR) / name
    directory.mkdir(parents=True)
    if earlier_layout:
        legacy_save(model, directory)
        files = [directory / SERVING_ARRAYS, directory / SERVING_META]
    else:
        files = artifact_form(model=model, method=cold_start_setting()).save(directory)
    return ModelVersion.objects.create(
        status=status,
        artifact_dir=name,
        artifact_sha256={path.name: file_sha256(path) for path in files},
        n_users=len(user_ids),
        n_movies=len(movie_ids),
        activated_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC) if status == ModelVersion.Status.ACTIVE else None,
    )


def world_create() -> World:
    """Genres, movies and two model raters with their ratings in the database (the model is separate)."""
    action = GenreFactory(name="Action", slug="action")
    romance = GenreFactory(name="Romance", slug="romance")
    action_movies = [MovieFactory(title=f"Action {i}", genres=[action]) for i in range(4)]
    romance_movies = [MovieFactory(title=f"Romance {i}", genres=[romance]) for i in range(4)]
    action_fan = ProfileFactory(user=UserFactory(username="action_fan"), movielens_id=1).user
    romance_fan = ProfileFactory(user=UserFactory(username="romance_fan"), movielens_id=2).user
    for movie in action_movies[:2]:
        RatingFactory(user=action_fan, movie=movie, score=5.0)
        RatingFactory(user=romance_fan, movie=movie, score=2.0)
    for movie in romance_movies[:2]:
        RatingFactory(user=romance_fan, movie=movie, score=5.0)
        RatingFactory(user=action_fan, movie=movie, score=2.0)
    return World(action, romance, action_movies, romance_movies, action_fan, romance_fan)


# An nn head that likes a movie when the user's and the movie's strong factor agree: one hidden unit per genre
# (user_i + movie_i - 1, through ReLU), summed.
GENRE_AGREEMENT_HEAD = (
    DenseLayer(
        weight=np.array([[1, 0, 1, 0], [0, 1, 0, 1]], dtype=np.float32),
        bias=np.array([-1, -1], dtype=np.float32),
        scale=np.ones(2, dtype=np.float32),
        shift=np.zeros(2, dtype=np.float32),
    ),
    DenseLayer(weight=np.array([[1, 1]], dtype=np.float32), bias=np.array([-0.5], dtype=np.float32)),
)


def world_model_create(
    world: World,
    *,
    name: str = "v1",
    status: str = ModelVersion.Status.ACTIVE,
    mlp: tuple[DenseLayer, ...] = (),
    earlier_layout: bool = False,
) -> ModelVersion:
    """The hand-made model of ``world``: movie factors along the two genres, each fan along their genre."""
    movies = world.movies
    ratings = [(r.user_id, r.movie_id, r.score) for movie in movies for r in movie.ratings.all()]
    return model_version_create(
        name=name,
        user_ids=[world.action_fan.pk, world.romance_fan.pk],
        user_factors=np.array([[2.0, -1.0], [-1.0, 2.0]]),
        movie_ids=[m.pk for m in movies],
        movie_factors=np.array(ACTION_FACTORS + ROMANCE_FACTORS),
        training_ratings=tuple(map(list, zip(*ratings, strict=True))),
        status=status,
        mlp=mlp,
        earlier_layout=earlier_layout,
    )
