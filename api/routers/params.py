"""Query parameters an endpoint does not take are refused (422, naming them), not silently ignored: a client that
sends `q` where the parameter is `search`, or `limit` where it is `n`, learns so at once."""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest
from ninja import Schema
from ninja.errors import HttpError

UNKNOWN_QUERY_PARAMETERS = "unknown query parameter{s}: {names}; this endpoint takes {allowed}"


def query_parameters(*known: str | type[Schema]) -> Callable[[Callable], Callable]:
    """Decorate a view (under the router's decorator) that takes these query parameters only: names, or the
    fields of the Schema classes it reads with Query[...]."""
    names: set[str] = set()
    for item in known:
        names |= (
            {field.alias or name for name, field in item.model_fields.items()} if isinstance(item, type) else {item}
        )
    allowed = ", ".join(f"`{name}`" for name in sorted(names)) or "none"

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> object:
            unknown = sorted(set(request.GET) - names)
            if unknown:
                listed = ", ".join(f"`{name[:40]}`" for name in unknown[:10])
                message = UNKNOWN_QUERY_PARAMETERS.format(
                    s="s" if len(unknown) > 1 else "", names=listed, allowed=allowed
                )
                raise HttpError(422, message)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
