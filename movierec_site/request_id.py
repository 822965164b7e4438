"""A request id for every request: the client's X-Request-ID when it is a sane one (a proxy's), else a new one; in
every log line of the request (movierec_site.logs), in the tasks it queues, and in the response's X-Request-ID.

The id is set when Django starts on a request and cleared when the response is closed, not in the middleware alone:
Django logs a 4xx after the middleware has returned, and that line belongs to the request too.
"""

import re
import uuid
from collections.abc import Callable
from typing import Any

from django.core.signals import request_finished, request_started
from django.http import HttpRequest, HttpResponse

from movierec_site import logs

HEADER = "X-Request-ID"
# Letters, digits and a few separators, as proxies and uuid4 write them: nothing that could forge a log line.
VALID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id_from(incoming: str) -> str:
    return incoming if VALID.fullmatch(incoming) else uuid.uuid4().hex


def _request_started(*, environ: dict[str, Any], **_: Any) -> None:
    logs.request_id.set(request_id_from(environ.get("HTTP_X_REQUEST_ID", "")))


def _request_finished(**_: Any) -> None:
    logs.request_id.set("")


request_started.connect(_request_started, dispatch_uid="movierec_site.request_id.started")
request_finished.connect(_request_finished, dispatch_uid="movierec_site.request_id.finished")


class RequestIdMiddleware:
    """Answers with the request's id; sets one when the request did not come through Django's handler signals."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not logs.request_id.get():
            logs.request_id.set(request_id_from(request.headers.get(HEADER, "")))
        value = logs.request_id.get()
        response = self.get_response(request)
        response[HEADER] = value
        return response
