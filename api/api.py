"""The NinjaAPI instance: its routers, the JSON error shape {"detail": message}, and the docs with local assets."""

import logging
import math
from typing import Any

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.operation import Operation

from api.auth import USER_AUTH
from api.routers import auth, comparisons, health, me, models, movies, recommendations
from api.routers.params import unknown_query_parameters_refused
from api.throttling import RATE_LIMITED

logger = logging.getLogger(__name__)

AUTH_REQUIRED = "authentication required: send `Authorization: Bearer <token>` or log in"
NOT_FOUND = "not found"
BAD_REQUEST = "malformed request: send a JSON body with Content-Type: application/json"
FORBIDDEN = "forbidden"
DATABASE_UNAVAILABLE = "the database is unavailable: try again shortly"
INTERNAL_ERROR = "internal error: it has been logged"
# How long a client should wait before retrying a 503, in seconds: about what a database restart takes. Every 503
# of the API says so (the database, Redis or the model unavailable), and so does the site's 503 page.
RETRY_AFTER_SECONDS = 30


class MovieRecAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        # "recommendations" rather than "api_routers_recommendations_recommendations" in generated clients.
        return operation.view_func.__name__

    def create_response(self, request: HttpRequest, data: object, **kwargs: Any) -> HttpResponse:
        # Every answer goes through here: the endpoints' own (health, a retrain that cannot be queued) and the
        # exception handlers' (the database down) alike.
        response = super().create_response(request, data, **kwargs)
        if response.status_code == 503 and not response.has_header("Retry-After"):
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


api = MovieRecAPI(
    title="MovieRec API",
    version="1",
    description=(
        "Movie recommendations from collaborative filtering on MovieLens 100k. Authenticate with "
        "`Authorization: Bearer <token>` (from `/api/auth/signup` or `/api/auth/token`; revoked by "
        "`DELETE /api/auth/token`, all of them by `DELETE /api/auth/tokens` or a change of password) or the site's "
        'session (writes then need the `X-CSRFToken` header). Errors are `{"detail": message}`.'
    ),
    urls_namespace="api",
    auth=USER_AUTH,
    # validatorUrl None: Swagger UI would otherwise fetch a badge from validator.swagger.io.
    docs=Swagger(settings={"persistAuthorization": True, "validatorUrl": None}),
)
api.add_router("/auth", auth.router)
api.add_router("/health", health.router)
api.add_router("/movies", movies.router)
api.add_router("/me", me.router)
api.add_router("", recommendations.router)
api.add_router("/models", models.router)
api.add_router("/comparisons", comparisons.router)
# Every operation of every router, present and future: none can forget to refuse what it does not take.
api.add_decorator(unknown_query_parameters_refused)


def _error(request: HttpRequest, status: int, detail: str) -> HttpResponse:
    return api.create_response(request, {"detail": detail}, status=status)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _error(request, 401, AUTH_REQUIRED)
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(Throttled)
def _rate_limited(request: HttpRequest, exc: Throttled) -> HttpResponse:
    seconds = math.ceil(exc.wait or 1)
    response = _error(request, 429, RATE_LIMITED.format(seconds=seconds))
    response["Retry-After"] = str(seconds)
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, exc.message)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    # "query.n: Input should be less than or equal to 100"; the location without ninja's wrapper names.
    messages = []
    for error in exc.errors:
        where = ".".join(str(part) for part in error.get("loc", ()) if part not in {"payload", "filters"})
        messages.append(f"{where}: {error.get('msg', 'invalid')}" if where else error.get("msg", "invalid"))
    return _error(request, 422, "; ".join(messages))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, NOT_FOUND)


@api.exception_handler(SuspiciousOperation)
@api.exception_handler(MultiPartParserError)
def _bad_request(request: HttpRequest, exc: Exception) -> HttpResponse:
    # What Django's own handler answers for these (a malformed multipart body, a too large one), in JSON.
    return _error(request, 400, BAD_REQUEST)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, str(exc) or FORBIDDEN)


# A lost or refused connection only (as the site's handler500): any other DatabaseError is a bug, a 500.
@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def _database_unavailable(request: HttpRequest, exc: DatabaseError) -> HttpResponse:
    logger.error("API request %s %s failed on the database", request.method, request.path, exc_info=exc)
    return _error(request, 503, DATABASE_UNAVAILABLE)


@api.exception_handler(Exception)
def _internal_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.error("API request %s %s failed", request.method, request.path, exc_info=exc)
    return _error(request, 500, INTERNAL_ERROR)
