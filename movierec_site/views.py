"""Site-wide error handler: a database that does not answer is a 503 (HTML, or JSON under /api/), never a traceback."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

from api.api import DATABASE_UNAVAILABLE, INTERNAL_ERROR, RETRY_AFTER_SECONDS

API_PREFIX = "/api/"


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500. Django calls it while handling the exception (also one raised in a middleware, such as the
    session's), so ``sys.exc_info()`` names it. A lost or refused database connection is a 503 with Retry-After;
    anything else is the plain 500 page. Neither template touches the database or shows the error."""
    unavailable = isinstance(sys.exc_info()[1], OperationalError | InterfaceError)
    status = 503 if unavailable else 500
    response: HttpResponse
    if request.path.startswith(API_PREFIX):
        response = JsonResponse({"detail": DATABASE_UNAVAILABLE if unavailable else INTERNAL_ERROR}, status=status)
    else:
        template = loader.get_template("503.html" if unavailable else "500.html")
        response = HttpResponse(template.render(), status=status)
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
