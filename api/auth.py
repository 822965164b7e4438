"""How a request proves who it is: a Bearer token, or the browser's session (with its CSRF token on writes)."""

from typing import cast

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer

from api.requests import BearerRequest
from api.selectors import token_get

CSRF_FAILED = "CSRF check failed ({reason}): send the csrftoken cookie's value in the X-CSRFToken header"
STAFF_ONLY = "this endpoint is for staff only"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class _CsrfCheck(CsrfViewMiddleware):
    """Django's CSRF check, answering the reason instead of rendering the site's HTML failure page."""

    def _reject(self, request: HttpRequest, reason: str) -> str:
        return reason


def csrf_failure(request: HttpRequest) -> str | None:
    """Why the request fails Django's CSRF check, or None when it passes."""
    check = _CsrfCheck(_no_view)
    # The middleware skipped the API's views (they are csrf_exempt). The stubs do not declare the flag it reads.
    request.csrf_processing_done = False  # type: ignore[attr-defined]
    check.process_request(request)
    # cast: _reject above answers the reason, where Django's answers a 403 response.
    return cast(str | None, check.process_view(request, _no_view, (), {}))


def _no_view(request: HttpRequest) -> HttpResponse:
    """What the CSRF check is handed for a view: one that is not csrf_exempt."""
    return HttpResponse()


def _admit(user: User, *, staff: bool) -> User:
    # Raising here answers 403 at once: a known but unprivileged user must not be told to log in again (401).
    if staff and not user.is_staff:
        raise HttpError(403, STAFF_ONLY)
    return user


class BearerAuth(HttpBearer):
    """``Authorization: Bearer <token>``, a token from /api/auth/signup or /api/auth/token."""

    def __init__(self, *, staff: bool = False) -> None:
        self.staff = staff
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        found = token_get(key=token)
        if found is None:
            return None
        request.user = found.user
        cast(BearerRequest, request).api_token = found  # what DELETE /api/auth/token revokes
        return _admit(found.user, staff=self.staff)


class SessionAuth(APIKeyCookie):
    """The browser's Django session; writes must carry the CSRF token, as the site's forms do."""

    param_name = "sessionid"

    def __init__(self, *, staff: bool = False) -> None:
        self.staff = staff
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest) -> User | None:
        # Only a request that the session authenticates needs the CSRF check: an anonymous write is a 401, not a 403.
        if not request.user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and (reason := csrf_failure(request)) is not None:
            raise HttpError(403, CSRF_FAILED.format(reason=reason))
        return _admit(request.user, staff=self.staff)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        return None  # unused: __call__ reads request.user, which Django's session middleware has set


USER_AUTH = [BearerAuth(), SessionAuth()]
STAFF_AUTH = [BearerAuth(staff=True), SessionAuth(staff=True)]
