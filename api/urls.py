"""URLs of the API, included under /api/ by the root URL configuration; every refusal here is JSON too."""

import functools
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, re_path
from django.views.decorators.csrf import csrf_exempt

from api.api import NOT_FOUND, api

app_name = "api"

METHOD_NOT_ALLOWED = "method {method} not allowed here; allowed: {allowed}"


@csrf_exempt  # a 404 changes nothing; without this Django's middleware would answer an unknown PUT with its HTML 403
def not_found(request: HttpRequest, rest: str) -> JsonResponse:
    return JsonResponse({"detail": NOT_FOUND}, status=404)


def json_405(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """django-ninja answers a wrong method with a plain-text 405; clients of the API get the JSON shape."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code != 405:
            return response
        allowed = response["Allow"]
        answer = JsonResponse({"detail": METHOD_NOT_ALLOWED.format(method=request.method, allowed=allowed)}, status=405)
        answer["Allow"] = allowed
        return answer

    return wrapper


urlpatterns = [*api.urls[0], re_path(r"^(?P<rest>[\s\S]*)$", not_found)]
for pattern in urlpatterns:
    if isinstance(pattern, URLPattern):  # all of them: django-ninja's operations are patterns, not resolvers
        pattern.callback = json_405(pattern.callback)
