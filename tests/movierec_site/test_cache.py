"""The shared cache (movierec_site.cache): what one process writes another reads, through Redis; and when Redis does
not answer, reads are misses and writes are forgotten with a warning, never an error for the page."""

import logging
import uuid

import pytest
from django.conf import settings

from movierec_site.cache import CACHE_DOWN, FailOpenRedisCache
from scripts.ensure_redis import free_port
from tests.processes import redis_database_url

CACHE_TEST_DB = 14


def cache_on(url: str, prefix: str) -> FailOpenRedisCache:
    options = {"KEY_PREFIX": prefix, "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}
    return FailOpenRedisCache(url, options)


def test_what_one_process_caches_another_reads() -> None:
    """Two caches on the same Redis (two processes of the site) see one another's entries."""
    prefix = f"test-{uuid.uuid4().hex}"
    web, worker = (
        cache_on(redis_database_url(CACHE_TEST_DB), prefix),
        cache_on(redis_database_url(CACHE_TEST_DB), prefix),
    )
    try:
        web.set("popular", [3, 1, 2], timeout=30)
        assert worker.get("popular") == [3, 1, 2]
    finally:
        web.delete("popular")


def test_a_redis_that_does_not_answer_is_a_miss(caplog: pytest.LogCaptureFixture) -> None:
    """With nothing listening, every read answers as a miss and every write is dropped, each with a warning."""
    cache = cache_on(f"redis://127.0.0.1:{free_port()}/1", "test")
    with caplog.at_level(logging.WARNING, logger="movierec_site.cache"):
        assert cache.get("popular", "recompute") == "recompute"
        assert cache.get_many(["a", "b"]) == {}
        cache.set("popular", [1])
        assert cache.add("popular", [1]) is False
        assert cache.delete("popular") is False
        assert cache.get_or_set("popular", lambda: "computed") == "computed"
    assert caplog.records
    assert all(record.msg == CACHE_DOWN for record in caplog.records)


def test_the_tests_cache_is_local() -> None:
    """Tests use a cache of their own process, so that no test reads a running site's entries."""
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
