"""The rating statistics behind the popularity list and the catalogue's "best rated" order are aggregated by the
first process that needs them and shared through the cache (Redis, as the site runs it): another process reads them
without touching the ratings table, and with Redis down every process still answers, aggregating for itself."""

import uuid
from collections.abc import Iterator

import pytest

from ratings.selectors import rating_global_mean
from recommender.selectors import movie_stats, movie_stats_reset
from scripts.ensure_redis import free_port
from tests.factories import MovieFactory, RatingFactory
from tests.movierec_site.test_cache import CACHE_TEST_DB
from tests.processes import redis_database_url


def redis_cache(url: str) -> dict[str, dict[str, object]]:
    return {
        "default": {
            "BACKEND": "movierec_site.cache.FailOpenRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


@pytest.fixture
def shared_cache(settings) -> Iterator[None]:
    settings.CACHES = redis_cache(redis_database_url(CACHE_TEST_DB))
    settings.RECOMMENDER_STATS_SECONDS = 300
    movie_stats_reset()
    yield
    movie_stats_reset()


@pytest.fixture
def cache_down(settings) -> Iterator[None]:
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{free_port()}/1")
    settings.RECOMMENDER_STATS_SECONDS = 300
    movie_stats_reset()
    yield
    movie_stats_reset()


@pytest.mark.django_db
def test_another_process_reads_the_shared_statistics_without_a_query(shared_cache, django_assert_num_queries) -> None:
    movie = MovieFactory()
    RatingFactory.create_batch(3, movie=movie, score=4.0)
    first = movie_stats()
    assert first.count_of() == {movie.pk: 3}

    movie_stats_reset(shared=False)  # a process that has no copy of its own yet
    with django_assert_num_queries(0):
        again = movie_stats()
    assert again.count_of() == {movie.pk: 3}
    assert again.by_rating.tolist() == first.by_rating.tolist()


@pytest.mark.django_db
def test_a_reset_drops_the_shared_copy_too(shared_cache) -> None:
    movie = MovieFactory()
    RatingFactory(movie=movie)
    assert movie_stats().count_of() == {movie.pk: 1}
    RatingFactory(movie=movie)

    movie_stats_reset()
    assert movie_stats().count_of() == {movie.pk: 2}


@pytest.mark.django_db
def test_with_redis_down_each_process_aggregates_for_itself(cache_down) -> None:
    movie = MovieFactory()
    RatingFactory(movie=movie)
    assert movie_stats().count_of() == {movie.pk: 1}

    RatingFactory(movie=movie)
    movie_stats_reset(shared=False)
    assert movie_stats().count_of() == {movie.pk: 2}


@pytest.mark.django_db
def test_the_global_mean_is_shared_too(shared_cache, django_assert_num_queries) -> None:
    RatingFactory(score=2.0)
    RatingFactory(score=4.0)
    assert rating_global_mean() == pytest.approx(3.0)
    with django_assert_num_queries(0):
        assert rating_global_mean() == pytest.approx(3.0)


@pytest.mark.django_db
def test_the_global_mean_with_redis_down_is_computed(cache_down) -> None:
    RatingFactory(score=1.0)
    RatingFactory(score=5.0)
    assert rating_global_mean() == pytest.approx(3.0)
