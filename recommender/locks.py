"""Redis locks kept by a heartbeat of their holder: one retrain at a time, one celery beat sending the schedule."""

import logging
import threading
import time

import redis

logger = logging.getLogger(__name__)

LOCK_EXPIRED = "the lock %s expired before its holder released it"
LOCK_LOST = "the lock %s was lost while held (expired, or taken by another): %s"
LOCK_NOT_RENEWED = "the lock %s could not be renewed, Redis does not answer (%s): trying again"


class HeartbeatLock:
    """A Redis lock that expires ``seconds`` after its last renewal, renewed every third of that by a thread of its
    holder: a holder of any length keeps it, and one killed (SIGKILL: no cleanup runs) frees it within ``seconds``
    instead of at some long expiry. One use: ``acquire`` once, ``release`` once.
    """

    def __init__(self, *, client: redis.Redis, key: str, seconds: float) -> None:
        self.key = key
        self.seconds = seconds
        # Not thread-local: the heartbeat thread renews the token that the acquiring thread took.
        self._lock = client.lock(key, timeout=seconds, thread_local=False)
        self._stop = threading.Event()
        self._lost = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self._valid_until = 0.0

    @property
    def held(self) -> bool:
        """Whether this holder can tell that it still holds the lock: acquired, not released, not lost, and
        renewed less than ``seconds`` ago (a holder cut off from Redis cannot know whether it expired there)."""
        return self._heartbeat is not None and not self._lost.is_set() and time.monotonic() < self._valid_until

    def acquire(self) -> bool:
        """Takes the lock if it is free, without waiting, and starts renewing it; whether it was taken. A Redis
        that does not answer raises redis' error."""
        asked = time.monotonic()
        if not self._lock.acquire(blocking=False):
            return False
        self._valid_until = asked + self.seconds
        self._heartbeat = threading.Thread(target=self._renew, name=f"lock {self.key}", daemon=True)
        self._heartbeat.start()
        return True

    def release(self) -> None:
        """Stops renewing and frees the lock (unless it expired or was lost already: then only logged)."""
        if self._heartbeat is None:
            return
        self._stop.set()
        self._heartbeat.join()
        self._heartbeat = None
        try:
            self._lock.release()
        except redis.exceptions.LockError:
            logger.warning(LOCK_EXPIRED, self.key)
        except redis.exceptions.RedisError as error:  # it expires by itself
            logger.warning(LOCK_NOT_RENEWED, self.key, error)

    def _renew(self) -> None:
        """Until released: every third of ``seconds``, the lock's expiry back to its full timeout, while this holder
        still holds it. A Redis that does not answer for a moment is tried again; a lock lost for good is logged."""
        while not self._stop.wait(self.seconds / 3):
            asked = time.monotonic()
            try:
                self._lock.reacquire()
            except redis.exceptions.LockNotOwnedError as error:
                logger.error(LOCK_LOST, self.key, error)
                self._lost.set()
                return
            except redis.exceptions.RedisError as error:
                logger.warning(LOCK_NOT_RENEWED, self.key, error)
            else:
                self._valid_until = asked + self.seconds
