"""The heartbeat lock (recommender.locks) tells its holder when it can no longer count on holding it: beat stops
sending the schedule then. A private redis-server, killed or emptied by the tests; waits are bounded conditions."""

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from recommender.locks import HeartbeatLock
from tests.processes import RedisServer

KEY = "tests:locks:lock"
LOCK_S = 1
WAIT_S = 60


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.kill()


def _wait(condition: Callable[[], bool], *, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"waited {WAIT_S} s for {what}"
        time.sleep(0.05)


def test_a_holder_cut_off_from_redis_stops_counting_itself_the_holder(redis_server: RedisServer) -> None:
    """Redis gone, the renewals fail: once the lock may have expired there, ``held`` is false, and releasing it
    later raises nothing."""
    lock = HeartbeatLock(client=redis_server.client(), key=KEY, seconds=LOCK_S)
    assert lock.acquire()
    assert lock.held
    redis_server.kill()
    _wait(lambda: not lock.held, what="the holder to stop counting on the lock")
    lock.release()


def test_a_lock_taken_over_by_another_is_lost_to_its_first_holder(redis_server: RedisServer) -> None:
    """Its key gone (expired while its holder was cut off, or Redis restarted empty) and taken by another holder:
    the first holder's next renewal finds it lost, and only the new holder holds it."""
    client = redis_server.client()
    first = HeartbeatLock(client=client, key=KEY, seconds=LOCK_S)
    assert first.acquire()
    client.delete(KEY)
    second = HeartbeatLock(client=client, key=KEY, seconds=LOCK_S)
    assert second.acquire()
    _wait(lambda: not first.held, what="the first holder to find the lock lost")
    assert second.held
    first.release()
    assert client.exists(KEY), "releasing a lost lock leaves the new holder's alone"
    second.release()
    assert not client.exists(KEY)
