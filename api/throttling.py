"""Rate limits for writes and authentication: fixed-window counters in Redis, per user and per address.

Each window is one Redis key, ``<prefix>:<scope>:<who>:<window number>``, counted with INCR and dropped by
EXPIRE when the window is over: one round trip per check. When Redis does not answer the limits fail open
(the request goes through and a warning is logged): ratings must still be saved while Redis is down, and
password guessing stays bounded by django-axes, which counts failed logins in the database.
"""

import functools
import logging
import math
import threading
import time
from collections.abc import Callable

import redis
from django.conf import settings
from django.http import HttpRequest
from ninja.errors import Throttled
from ninja.throttling import BaseThrottle

logger = logging.getLogger(__name__)

RATE_LIMITED = "too many requests: retry in {seconds} s"
REDIS_DOWN_FAIL_OPEN = "rate limit %s not checked, Redis does not answer (%s): letting the request through"
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"120/m"`` -> (120, 60): the number of requests allowed per window, and the window in seconds."""
    count, _, period = rate.partition("/")
    return int(count), PERIODS[period.strip()[0]]


@functools.cache
def redis_client(url: str) -> redis.Redis:
    # Short timeouts: a Redis that hangs must cost a request milliseconds, not seconds.
    return redis.Redis.from_url(url, socket_connect_timeout=0.25, socket_timeout=0.25)


def rate_wait(*, scope: str, who: str, rate: str) -> int | None:
    """Count one request of ``who`` in ``scope``: None while within ``rate``, else the seconds until the window ends."""
    limit, window = parse_rate(rate)
    now = time.time()
    number = int(now // window)
    key = f"{settings.API_RATE_KEY_PREFIX}:{scope}:{who}:{number}"
    try:
        pipe = redis_client(settings.REDIS_URL).pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, window + 1)
        count, _ = pipe.execute()
    except redis.RedisError as error:
        logger.warning(REDIS_DOWN_FAIL_OPEN, scope, error)
        return None
    return max(1, math.ceil((number + 1) * window - now)) if count > limit else None


def rate_limit(*, scope: str, who: str, rate: str) -> None:
    """``rate_wait``, raising the 429 (ninja's Throttled) when over the rate; for limits keyed on the request body."""
    wait = rate_wait(scope=scope, who=who, rate=rate)
    if wait is not None:
        raise Throttled(wait=wait)


class RateThrottle(BaseThrottle):
    """A django-ninja throttle over ``rate_wait``, run before the body is parsed; ``who`` picks the counter."""

    def __init__(self, *, scope: str, rate_setting: str, who: Callable[[HttpRequest], str | None]) -> None:
        self.scope = scope
        self.rate_setting = rate_setting
        self.who = who
        # ninja asks wait() right after allow_request() returned False, in the same thread.
        self._last = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        who = self.who(request)
        wait = None if who is None else rate_wait(scope=self.scope, who=who, rate=getattr(settings, self.rate_setting))
        self._last.wait = wait
        return wait is None

    def wait(self) -> float | None:
        return getattr(self._last, "wait", None)


def _address(request: HttpRequest) -> str | None:
    return BaseThrottle().get_ident(request)


def _user(request: HttpRequest) -> str | None:
    user = getattr(request, "auth", None)
    return str(user.pk) if user is not None else None


AUTH_THROTTLE = [RateThrottle(scope="auth-address", rate_setting="API_RATE_AUTH", who=_address)]
WRITE_THROTTLE = [
    RateThrottle(scope="write-user", rate_setting="API_RATE_WRITE_USER", who=_user),
    RateThrottle(scope="write-address", rate_setting="API_RATE_WRITE_ADDRESS", who=_address),
]
