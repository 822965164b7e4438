"""How a follow-up names the list it came from: the list's id in a query parameter or form field, read leniently.

A link of a list's card carries ``?shown_list=<id>``, its forms a hidden field of that name; the id is the list's
UUID. What the web reads here is never an error: an id that is malformed, expired or someone else's only means
that the action is not attributed (the rating or mark itself is saved all the same).
"""

import uuid
from collections.abc import Mapping

SHOWN_LIST_PARAM = "shown_list"
# The hyphenated form is 36 characters; longer text is not an id, and is not parsed.
_ID_MAX_CHARS = 36


def shown_list_parse(value: object) -> uuid.UUID | None:
    """The list id that ``value`` spells, else None."""
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str) or len(value) > _ID_MAX_CHARS:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def shown_list_from(data: Mapping[str, object]) -> uuid.UUID | None:
    """The list id in a request's query or form data (``request.GET``, ``request.POST``), else None."""
    return shown_list_parse(data.get(SHOWN_LIST_PARAM))
