"""Helpers of the training, registry and task tests: small synthetic ratings, and their own Redis database.

``synthetic_ratings`` gives a u.data-like frame (user, movie, rating, timestamp) from users of two tastes, so that
a model has something to learn; ``ratings_create`` writes one into the database (users, movies and ratings in
bulk) and returns the ratings as the database sees them (pks). ``redis_test_url`` is REDIS_URL on database 13,
where these tests keep the retrain lock, the Celery broker of their worker and its results.
"""

import datetime as dt

import pandas as pd
from django.contrib.auth import get_user_model

from ratings.models import Movie, Rating
from tests.processes import redis_database_url

REDIS_TEST_DB = 13
EPOCH = dt.datetime(1998, 1, 1, tzinfo=dt.UTC)


def ratings_create(frame: pd.DataFrame) -> pd.DataFrame:
    """Users, movies and ratings for ``frame`` in the database; the frame again, with User and Movie pks."""
    users = get_user_model().objects.bulk_create(
        [get_user_model()(username=f"synthetic-{user}", password="!") for user in sorted(frame["user"].unique())]
    )
    movies = Movie.objects.bulk_create([Movie(title=f"Synthetic {movie}") for movie in sorted(frame["movie"].unique())])
    user_pk = dict(zip(sorted(frame["user"].unique()), (u.pk for u in users), strict=True))
    movie_pk = dict(zip(sorted(frame["movie"].unique()), (m.pk for m in movies), strict=True))
    Rating.objects.bulk_create(
        Rating(
            user_id=user_pk[row.user],
            movie_id=movie_pk[row.movie],
            score=row.rating,
            timestamp=EPOCH + dt.timedelta(seconds=int(row.timestamp) - 880_000_000),
        )
        for row in frame.itertuples()
    )
    return frame.assign(user=frame["user"].map(user_pk), movie=frame["movie"].map(movie_pk))


def redis_test_url() -> str:
    return redis_database_url(REDIS_TEST_DB)
