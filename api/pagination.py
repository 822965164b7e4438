"""Page-number pagination with bounded parameters, shared by the list endpoints."""

from django.db.models import QuerySet
from ninja import Schema
from pydantic import Field

PAGE_MAX = 10_000
PAGE_SIZE_MAX = 100


class PageIn(Schema):
    page: int = Field(1, ge=1, le=PAGE_MAX)
    page_size: int = Field(20, ge=1, le=PAGE_SIZE_MAX)


def paginate(queryset: QuerySet, page: PageIn) -> dict:
    """The fields of a ``*Page`` schema: count, page, page_size and the items of that page (empty past the end)."""
    start = (page.page - 1) * page.page_size
    return {
        "count": queryset.count(),
        "page": page.page,
        "page_size": page.page_size,
        "items": list(queryset[start : start + page.page_size]),
    }
