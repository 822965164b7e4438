"""celery beat's scheduler: django-celery-beat's schedule in the database, sent by one beat at a time.

Every beat ticks; only the one that holds a Redis lock kept by its heartbeat (recommender.locks) sends what is
due. A second beat, started by mistake or kept as a standby on another host, sends nothing while the first lives,
and takes over within BEAT_LOCK_SECONDS when it dies. The schedule alone (django-celery-beat) guarantees nothing
of the kind: two beats on one database each send every task.

On taking over, a beat reads each task's last run from the database, which its holder writes after every send
(CELERY_BEAT_SYNC_EVERY = 1), so a task that the last holder sent is not sent again before its interval is up.
A holder killed between sending a task and writing it down leaves that one send unrecorded, and its successor
sends the task once more.
"""

import logging
from typing import Any

import redis
from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler

from recommender.locks import HeartbeatLock

logger = logging.getLogger(__name__)

BEAT_LOCK_KEY = "movierec:beat:lock"
REDIS_TIMEOUT_S = 2.0

BEAT_SENDING = "beat: this beat holds the scheduling lock %s and sends the schedule"
BEAT_STANDBY = "beat: another beat holds the scheduling lock %s; this one stands by and sends nothing"
BEAT_LOCK_LOST = "beat: the scheduling lock %s was lost; sending nothing until it is held again"
BEAT_REDIS_DOWN = "beat: the scheduling lock %s cannot be asked for, Redis does not answer (%s); sending nothing"


class SingleBeatScheduler(DatabaseScheduler):
    """django-celery-beat's DatabaseScheduler that sends only while it holds the beat lock."""

    _lock: HeartbeatLock | None = None
    _standing_by = False
    _client: redis.Redis | None = None

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if not self._lock_hold():
            return float(min(settings.BEAT_LOCK_SECONDS / 3, self.max_interval))
        return float(super().tick(*args, **kwargs))

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._lock is not None:
                self._lock.release()  # a standby takes over at its next tick, not after the expiry
                self._lock = None

    def _lock_hold(self) -> bool:
        """Whether this beat holds the lock now, taking it when it is free."""
        if self._lock is not None:
            if self._lock.held:
                return True
            logger.warning(BEAT_LOCK_LOST, BEAT_LOCK_KEY)
            self._lock.release()
            self._lock = None
        if self._client is None:
            self._client = redis.Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S
            )
        lock = HeartbeatLock(client=self._client, key=BEAT_LOCK_KEY, seconds=settings.BEAT_LOCK_SECONDS)
        try:
            acquired = lock.acquire()
        except redis.exceptions.RedisError as error:
            logger.warning(BEAT_REDIS_DOWN, BEAT_LOCK_KEY, error)
            return False
        if not acquired:
            if not self._standing_by:
                logger.info(BEAT_STANDBY, BEAT_LOCK_KEY)
                self._standing_by = True
            return False
        self._lock, self._standing_by = lock, False
        logger.info(BEAT_SENDING, BEAT_LOCK_KEY)
        # What the previous holder sent is in the database, not in what this beat read when it started: read the
        # schedule again (django-celery-beat's first read) and rebuild the heap of due times from it.
        self._initial_read = True
        self._heap = None
        return True
