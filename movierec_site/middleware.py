"""Site-wide middleware: a 405 always says which methods the address takes; the Content-Security-Policy header."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

METHOD_NOT_ALLOWED = "This address does not take {method} requests; it takes: {allowed}."


class MethodNotAllowedMessageMiddleware:
    """Django's require_http_methods, class-based views and the auth views answer a wrong method with an empty
    405; give it a sentence (the API's JSON 405s and the rating endpoints' own messages are kept)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 405 and not response.content and not response.streaming:
            response.content = METHOD_NOT_ALLOWED.format(method=request.method, allowed=response.get("Allow", ""))
            response["Content-Type"] = "text/plain; charset=utf-8"
        return response


class ContentSecurityPolicyMiddleware:
    """Sends settings.CONTENT_SECURITY_POLICY, when set, on every response that has none of its own (Django 5.2 has
    no CSP of its own; 6.0's SECURE_CSP will replace this)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        if policy:
            response.headers.setdefault("Content-Security-Policy", policy)
        return response
