"""GET /api/movies and /api/movies/{id}: the catalogue, readable without logging in.

The search forgives typos and spells numbers either way (``ratings.search``); `q` is the same parameter as
`search`, as most search APIs call it.
"""

from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from api.pagination import PageIn, paginate
from api.schemas import ErrorOut, Id, MovieDetailOut, MoviePage
from ratings.forms import SEARCH_MAX_CHARS, YEAR_MAX, YEAR_MIN
from ratings.models import Movie
from ratings.selectors import DEFAULT_ORDERING, ORDERINGS, genre_list, movie_get, movie_list

MOVIE_NOT_FOUND = "there is no movie {id}"
UNKNOWN_GENRE = "unknown genre {slug!r}: see the slugs in the genres of any movie"
SEARCH_TWICE = "give the search once: `search` or its alias `q`, not both"
GENRE_PATTERN = r"^[a-z0-9-]{1,50}$"

router = Router(tags=["movies"])

# The schema's enum, made from ORDERINGS at run time so that the orderings are listed once; mypy wants a Literal's
# values written out, hence the two ignores.
Ordering = Literal[tuple(ORDERINGS)]  # type: ignore[valid-type]


class MovieFiltersIn(Schema):
    search: str = Field(
        "", max_length=SEARCH_MAX_CHARS, description="Words of the title, any order and accents, typos forgiven"
    )
    q: str = Field("", max_length=SEARCH_MAX_CHARS, description="The same as `search`")
    genre: str | None = Field(None, pattern=GENRE_PATTERN, description="A genre slug, e.g. `sci-fi`")
    year: int | None = Field(None, ge=YEAR_MIN, le=YEAR_MAX)
    ordering: Ordering = DEFAULT_ORDERING  # type: ignore[valid-type]


def genre_check(slug: str | None) -> None:
    """400 for a genre that does not exist, rather than an empty list that looks like no matches."""
    if slug is not None and not genre_list().filter(slug=slug).exists():
        raise HttpError(400, UNKNOWN_GENRE.format(slug=slug))


def movie_or_404(pk: int) -> Movie:
    try:
        return movie_get(pk=pk)
    except Movie.DoesNotExist:
        raise HttpError(404, MOVIE_NOT_FOUND.format(id=pk)) from None


@router.get("", auth=None, response={200: MoviePage, 400: ErrorOut, 422: ErrorOut}, summary="Search the catalogue")
def movies(request: HttpRequest, filters: Query[MovieFiltersIn], page: Query[PageIn]) -> dict:
    if filters.search and filters.q:
        raise HttpError(422, SEARCH_TWICE)
    genre_check(filters.genre)
    query = filters.search or filters.q
    movies = movie_list(query=query, genre=filters.genre, year=filters.year, ordering=filters.ordering)
    return paginate(movies, page)


@router.get(
    "/{int:movie_id}", auth=None, response={200: MovieDetailOut, 404: ErrorOut, 422: ErrorOut}, summary="One movie"
)
def movie(request: HttpRequest, movie_id: Id) -> Movie:
    return movie_or_404(movie_id)
