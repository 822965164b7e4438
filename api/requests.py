"""The request types of the API's operations, for the type checker: what django-ninja's authentication and
django-axes leave on a request. Never instantiated: every operation gets Django's plain ``HttpRequest``."""

from django.contrib.auth.models import User
from django.http import HttpRequest

from api.models import ApiToken


class ApiRequest(HttpRequest):
    # Set by django-axes' authenticate() when it refuses an attempt; the operation answers 429 and clears it.
    axes_locked_out: bool


class AuthenticatedRequest(ApiRequest):
    # The user whom USER_AUTH or STAFF_AUTH admitted (api.auth).
    auth: User


class BearerRequest(AuthenticatedRequest):
    # The token that admitted the request (api.auth.BearerAuth).
    api_token: ApiToken
