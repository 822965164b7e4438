"""The admin site: Django's, with its log-in counted per address and per account like the site's (accounts/views.py).

django-axes alone counts only failed passwords, per username and address together; these limits count every
attempt from an address and for a username from any address, in the budget the site's log-in and the API share.
"""

import copy
from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse

from accounts.rate_limits import auth_attempt_wait
from accounts.views import TOO_MANY_ATTEMPTS


class AttemptsLimitedAdminSite(admin.AdminSite):
    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """Over the rate, a POST is not read at all (no password checked): the log-in page comes back empty, as at
        first sight, with TOO_MANY_ATTEMPTS, 429 and Retry-After."""
        if request.method != "POST":
            return super().login(request, extra_context)
        wait = auth_attempt_wait(request=request, accounts={"username": request.POST.get("username", "")})
        if wait is None:
            return super().login(request, extra_context)
        messages.error(request, TOO_MANY_ATTEMPTS.format(seconds=wait))
        first_sight = copy.copy(request)
        first_sight.method = "GET"
        response = super().login(first_sight, extra_context)
        if response.status_code != 200:  # staff already signed in: sent to the index, as on any visit
            return response
        response.status_code = 429
        response["Retry-After"] = str(wait)
        return response
