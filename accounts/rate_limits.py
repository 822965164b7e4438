"""Rate limits of the site's account forms and of the API: fixed-window counters in Redis, per address and account.

Each window is one Redis key, ``<prefix>:<scope>:<who>:<window number>``, counted with INCR and dropped by
EXPIRE when the window is over: one round trip per check. When Redis does not answer the limits fail open
(the request goes through and a warning is logged): ratings must still be saved while Redis is down, and
password guessing stays bounded by django-axes, which counts failed logins in the database.

The API's throttles (api/throttling.py) and the site's sign-up, log-in and password-reset forms count here, in
the same scopes: one budget per address and per account, however the attempts arrive.
"""

import functools
import logging
import math
import time

import redis
from django.conf import settings
from django.http import HttpRequest

logger = logging.getLogger(__name__)

REDIS_DOWN_FAIL_OPEN = "rate limit %s not checked, Redis does not answer (%s): letting the request through"
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# The scopes of authentication attempts, each counted at API_RATE_AUTH: per client address, and per account named
# in the attempt (a username, an email address; lowercased).
AUTH_ADDRESS_SCOPE = "auth-address"
AUTH_ACCOUNT_SCOPES = {"username": "auth-username", "email": "auth-email"}


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


def client_address(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or with NINJA_NUM_PROXIES proxies in front the address the outermost
    of them put in X-Forwarded-For (the rule of django-ninja's throttles, so that a client cannot pick its own)."""
    forwarded, remote = request.META.get("HTTP_X_FORWARDED_FOR"), request.META.get("REMOTE_ADDR")
    proxies = settings.NINJA_NUM_PROXIES
    if not proxies or not forwarded:
        return remote
    addresses = forwarded.split(",")
    return addresses[-min(proxies, len(addresses))].strip()


def auth_attempt_wait(*, request: HttpRequest, accounts: dict[str, str]) -> int | None:
    """Count one authentication attempt from the request's address and for each account it names (``{"username":
    ..., "email": ...}``, empty values skipped): None while all are within API_RATE_AUTH, else the longest wait."""
    counted = [(AUTH_ADDRESS_SCOPE, client_address(request) or "unknown")]
    counted += [(AUTH_ACCOUNT_SCOPES[kind], value.strip().lower()) for kind, value in accounts.items() if value.strip()]
    waits = [rate_wait(scope=scope, who=who, rate=settings.API_RATE_AUTH) for scope, who in counted]
    return max((wait for wait in waits if wait is not None), default=None)
