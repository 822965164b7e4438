"""Query parameters an endpoint does not take are refused (422, naming them), not silently ignored: a client that
sends `limit` where the parameter is `n` learns so at once.

One decorator for the whole API (``api.add_decorator``): each operation's known parameters are those of its own
query models, which django-ninja builds from the view's signature, so no endpoint can forget the check and no list
of names is written beside the signature.
"""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.operation import Operation
from ninja.params.models import QueryModel

UNKNOWN_QUERY_PARAMETERS = "unknown query parameter{s}: {names}; this endpoint takes {allowed}"
# A hostile request may send thousands of long names; the message names a few, cut short.
NAMES_SHOWN, NAME_CHARS = 10, 40


def query_parameter_names(operation: Operation) -> frozenset[str]:
    """The names the operation reads from the query string: its query models' flattened fields, by alias, so a
    ``Query[PageIn]`` contributes `page` and `page_size`."""
    return frozenset(
        name for model in operation.models if issubclass(model, QueryModel) for name in model.__ninja_flatten_map__
    )


def unknown_query_parameters_refused(view: Callable) -> Callable:
    """The API's decorator (mode "operation": after authentication, throttling and the parameters' validation,
    as a check in the view itself would be)."""
    # django-ninja sets _ninja_operation on every view it registers.
    known = query_parameter_names(view._ninja_operation)  # type: ignore[attr-defined]
    allowed = ", ".join(f"`{name}`" for name in sorted(known)) or "none"

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> object:
        unknown = sorted(set(request.GET) - known)
        if unknown:
            listed = ", ".join(f"`{name[:NAME_CHARS]}`" for name in unknown[:NAMES_SHOWN])
            message = UNKNOWN_QUERY_PARAMETERS.format(s="s" if len(unknown) > 1 else "", names=listed, allowed=allowed)
            raise HttpError(422, message)
        return view(request, *args, **kwargs)

    return wrapper
