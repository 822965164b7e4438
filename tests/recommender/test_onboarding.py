"""Placing users the model never saw (fold-in, classic) and choosing the movies a newcomer is asked to rate."""

import pytest
from django.contrib.auth.models import AnonymousUser

from recommender.services.onboarding import (
    UNKNOWN_COLD_START_METHOD,
    cold_start_method,
    onboarding_movies,
)
from tests.factories import GenreFactory, MovieFactory, RatingFactory, UserFactory
from tests.recommender.served_models import world_model_create
from tests.recsys.arrays import random_model

pytestmark = pytest.mark.usefixtures("fresh_serving")


def test_unknown_method_is_refused(settings):
    """A misspelt RECOMMENDER_COLD_START fails loudly with a message naming the choices."""
    settings.RECOMMENDER_COLD_START = "magic"
    with pytest.raises(ValueError) as error:
        cold_start_method(model=random_model())
    assert str(error.value) == UNKNOWN_COLD_START_METHOD.format(method="magic", choices="fold_in, classic")


@pytest.mark.django_db
def test_onboarding_movies_exclude_rated_and_spread_over_factors(world):
    """With a model, the picks skip what the user rated and cover both tastes even when asking for two."""
    world_model_create(world)
    newcomer = UserFactory()
    RatingFactory(user=newcomer, movie=world.action_movies[0], score=4.0)
    picks = onboarding_movies(user=newcomer, limit=2)
    assert len(picks) == 2
    assert world.action_movies[0] not in picks
    assert {m.genres.get() for m in picks} == {world.action, world.romance}


@pytest.mark.django_db
def test_onboarding_movies_prefer_well_known_movies():
    """The picks come from the most rated movies, most rated first."""
    genre = GenreFactory(name="Drama", slug="drama")
    movies = [MovieFactory(genres=[genre]) for _ in range(6)]
    for count, movie in enumerate(movies):
        for _ in range(count):
            RatingFactory(movie=movie)
    picks = onboarding_movies(user=AnonymousUser(), limit=3)
    assert picks == [movies[5], movies[4], movies[3]]


@pytest.mark.django_db
def test_onboarding_movies_without_model_round_robin_genres():
    """Without a model, each genre's most rated movie comes before any genre's second."""
    comedy = GenreFactory(name="Comedy", slug="comedy")
    horror = GenreFactory(name="Horror", slug="horror")
    comedies = [MovieFactory(genres=[comedy]) for _ in range(3)]
    horror_movie = MovieFactory(genres=[horror])
    for movie in comedies:
        for _ in range(5):
            RatingFactory(movie=movie)
    RatingFactory(movie=horror_movie)
    picks = onboarding_movies(user=AnonymousUser(), limit=2)
    assert set(picks) == {comedies[0], horror_movie}
