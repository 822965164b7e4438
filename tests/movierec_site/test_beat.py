"""Two real celery beats on one database and one Redis: only the holder of the beat lock sends the schedule, each
task once per interval, and when the holder is killed the other takes over (movierec_site.beat).

A private redis-server is broker and lock; the schedule is a task every INTERVAL_S seconds in the test database
(committed: transactional). Nothing consumes the queue, so every message a beat sent stays there, with the
sender's process id in its ``origin`` header. Waits are on conditions with generous bounds. The count per interval
is an upper bound that a slow machine only makes easier to meet: a beat sends a task when its interval has passed
since its last send, never sooner, however late it ticks.
"""

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from movierec_site.beat import BEAT_LOCK_KEY, BEAT_STANDBY
from tests.processes import CeleryBeat, RedisServer, database_url

pytestmark = pytest.mark.django_db(transaction=True)

INTERVAL_S = 1
LOCK_S = 3
SENDS = 10  # two beats sending would have sent about twice as many over the same time
WAIT_S = 120
SCHEDULE_NAME = "tests: every second"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.kill()


@pytest.fixture
def beat_env(redis_server: RedisServer) -> dict[str, str]:
    url = redis_server.url
    return {
        "DATABASE_URL": database_url(),
        "REDIS_URL": url,
        "CELERY_BROKER_URL": url,
        "CELERY_RESULT_BACKEND": url,
        "BEAT_LOCK_SECONDS": str(LOCK_S),
        "LOG_LEVEL": "INFO",
    }


@pytest.fixture
def schedule(transactional_db: None) -> PeriodicTask:
    """A light task (Celery's own result cleanup, on the default queue) every INTERVAL_S seconds."""
    every = IntervalSchedule.objects.create(every=INTERVAL_S, period=IntervalSchedule.SECONDS)
    return PeriodicTask.objects.create(name=SCHEDULE_NAME, task="celery.backend_cleanup", interval=every)


def _senders(client: redis.Redis) -> list[int]:
    """The process id of the sender of each message of the schedule on the default queue, oldest first."""
    messages = [json.loads(raw)["headers"] for raw in reversed(client.lrange("celery", 0, -1))]  # LPUSH: newest first
    return [int(h["origin"].split("@")[0].removeprefix("gen")) for h in messages if h.get("periodic_task_name")]


def _wait(condition: Callable[[], bool], *, what: str, beats: list[CeleryBeat]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        logs = "\n".join(beat.log_tail() for beat in beats)
        assert time.monotonic() < deadline, f"waited {WAIT_S} s for {what}; the beats' logs:\n{logs}"
        time.sleep(0.1)


def _sends_counted(client: redis.Redis, *, sender: int, count: int, beats: list[CeleryBeat]) -> tuple[int, float]:
    """Waits until ``sender`` has sent ``count`` more messages; (how many it sent, the seconds that took at most)."""
    started, before = time.monotonic(), _senders(client).count(sender)
    _wait(lambda: _senders(client).count(sender) >= before + count, what=f"{count} sends", beats=beats)
    return _senders(client).count(sender) - before, time.monotonic() - started


def test_two_beats_send_each_task_once_per_interval_and_the_second_takes_over_when_the_first_dies(
    beat_env: dict[str, str], schedule: PeriodicTask, redis_server: RedisServer, tmp_path: Path
) -> None:
    """A second beat started beside the first finds the lock held and sends nothing, while the first sends the task
    at most once per interval; killed (SIGKILL, nothing released), the first is replaced by the second within the
    lock's expiry, which then sends the task once per interval too."""
    client = redis_server.client()
    first = CeleryBeat(env=beat_env, workdir=tmp_path / "first").start()
    beats = [first]
    try:
        _wait(lambda: first.pid in _senders(client), what="the first beat to send", beats=beats)
        second = CeleryBeat(env=beat_env, workdir=tmp_path / "second").start()
        beats.append(second)
        standby = BEAT_STANDBY % BEAT_LOCK_KEY
        _wait(lambda: standby in second.log.read_text(), what="the second beat to stand by", beats=beats)

        sent, seconds = _sends_counted(client, sender=first.pid, count=SENDS, beats=beats)
        assert set(_senders(client)) == {first.pid}, "the second beat sent nothing"
        assert sent <= seconds / INTERVAL_S + 2, f"{sent} sends in {seconds:.1f} s: more than one per interval"

        first.kill()
        _wait(lambda: second.pid in _senders(client), what="the second beat to take over", beats=beats)
        sent, seconds = _sends_counted(client, sender=second.pid, count=SENDS, beats=beats)
        assert sent <= seconds / INTERVAL_S + 2, f"{sent} sends in {seconds:.1f} s: more than one per interval"
    finally:
        for beat in beats:
            beat.stop()


def test_a_beat_that_stops_frees_the_lock(
    beat_env: dict[str, str], schedule: PeriodicTask, redis_server: RedisServer, tmp_path: Path
) -> None:
    """A beat stopped cleanly (SIGTERM, as a deploy stops it) releases the lock instead of leaving it to expire."""
    client = redis_server.client()
    beat = CeleryBeat(env=beat_env, workdir=tmp_path / "beat").start()
    try:
        _wait(lambda: beat.pid in _senders(client), what="the beat to send", beats=[beat])
        assert client.exists(BEAT_LOCK_KEY)
    finally:
        beat.stop()
    assert not client.exists(BEAT_LOCK_KEY)
