"""The API's rate limits: django-ninja throttles over the site's Redis counters (accounts/rate_limits.py), per user
and per address for writes, per address (before the body is read) and per username for sign-up and tokens."""

import threading
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import Throttled
from ninja.throttling import BaseThrottle

from accounts.rate_limits import AUTH_ACCOUNT_SCOPES, AUTH_ADDRESS_SCOPE, client_address, rate_wait

RATE_LIMITED = "too many requests: retry in {seconds} s"


def username_rate_limit(*, username: str) -> None:
    """Count a sign-up or token request for ``username`` (as the site's forms count theirs): the 429 (ninja's
    Throttled) when over API_RATE_AUTH; for the limit keyed on the request body."""
    wait = rate_wait(scope=AUTH_ACCOUNT_SCOPES["username"], who=username.strip().lower(), rate=settings.API_RATE_AUTH)
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


def _user(request: HttpRequest) -> str | None:
    user = getattr(request, "auth", None)
    return str(user.pk) if user is not None else None


WRITE_THROTTLE: list[BaseThrottle] = [
    RateThrottle(scope="write-user", rate_setting="API_RATE_WRITE_USER", who=_user),
    RateThrottle(scope="write-address", rate_setting="API_RATE_WRITE_ADDRESS", who=client_address),
]
AUTH_THROTTLE: list[BaseThrottle] = [
    RateThrottle(scope=AUTH_ADDRESS_SCOPE, rate_setting="API_RATE_AUTH", who=client_address)
]
