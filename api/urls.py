"""URLs of the API, included under /api/ by the root URL configuration; unknown API paths answer JSON 404."""

from django.http import HttpRequest, JsonResponse
from django.urls import re_path

from api.api import NOT_FOUND, api

app_name = "api"


def not_found(request: HttpRequest, rest: str) -> JsonResponse:
    return JsonResponse({"detail": NOT_FOUND}, status=404)


urlpatterns = [*api.urls[0], re_path(r"^(?P<rest>.*)$", not_found)]
