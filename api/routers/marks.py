"""GET/PUT/DELETE /api/me/watchlist and /api/me/hidden: the movies a user wants to watch, and those they do not want
recommended ("not interested"). A movie is on one of the two at most; both leave the recommendations at once."""

from dataclasses import dataclass
from typing import Any

from ninja import Query, Router, Status
from ninja.errors import HttpError

from api.pagination import PageIn, paginate
from api.requests import AuthenticatedRequest
from api.routers.movies import movie_or_404
from api.schemas import ErrorOut, Id, MarkOut, MarkPage, ShownList
from api.throttling import WRITE_THROTTLE
from ratings.models import Mark, MovieMark
from ratings.selectors import user_mark_list
from ratings.services.marks import movie_mark_delete, movie_mark_set

NOT_MARKED = {
    Mark.WATCHLIST: "movie {id} is not on your watchlist",
    Mark.HIDDEN: "movie {id} is not among your hidden movies",
}
AUTH_ERRORS = {401: ErrorOut, 403: ErrorOut}
LIST_RESPONSES = {200: MarkPage, 422: ErrorOut, **AUTH_ERRORS}
PUT_RESPONSES = {200: MarkOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut, **AUTH_ERRORS}
DELETE_RESPONSES = {204: None, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut, **AUTH_ERRORS}


@dataclass(frozen=True)
class MarkList:
    """What tells one list's endpoints from the other's: the mark, the tag (and stem of the operation ids, which
    generated clients name their methods after), and the summaries."""

    mark: Mark
    name: str
    list_summary: str
    put_summary: str
    delete_summary: str


def mark_router(marks: MarkList) -> Router:
    """GET "" (paged), PUT and DELETE "/{movie_id}" for one mark."""
    router = Router(tags=[marks.name])

    def listed(request: AuthenticatedRequest, page: Query[PageIn]) -> dict[str, Any]:
        return paginate(user_mark_list(user=request.auth, mark=marks.mark), page)

    def put(request: AuthenticatedRequest, movie_id: Id, shown_list: ShownList = None) -> MovieMark:
        movie = movie_or_404(movie_id)
        entry = movie_mark_set(user=request.auth, movie=movie, mark=marks.mark, shown_list=shown_list)
        entry.movie = movie
        return entry

    def remove(request: AuthenticatedRequest, movie_id: Id, shown_list: ShownList = None) -> Status:
        movie = movie_or_404(movie_id)
        if not movie_mark_delete(user=request.auth, movie=movie, mark=marks.mark, shown_list=shown_list):
            raise HttpError(404, NOT_MARKED[marks.mark].format(id=movie_id))
        return Status(204, None)

    for view, suffix in ((listed, ""), (put, "_put"), (remove, "_remove")):
        view.__name__ = view.__qualname__ = marks.name + suffix  # the operation id
    router.get("", response=LIST_RESPONSES, summary=marks.list_summary)(listed)
    one = "/{int:movie_id}"
    router.put(one, throttle=WRITE_THROTTLE, response=PUT_RESPONSES, summary=marks.put_summary)(put)
    router.delete(one, throttle=WRITE_THROTTLE, response=DELETE_RESPONSES, summary=marks.delete_summary)(remove)
    return router


# Positional: mark, name, then the summaries of GET, PUT and DELETE.
watchlist_router = mark_router(MarkList(Mark.WATCHLIST, "watchlist", "Your watchlist, last added first",
                                        "Put a movie on your watchlist",
                                        "Take a movie off your watchlist"))  # fmt: skip
hidden_router = mark_router(MarkList(Mark.HIDDEN, "hidden", "The movies you hid (not interested), last hidden first",
                                     "Not interested: never recommend this movie, and count it as a dislike",
                                     "Undo not interested"))  # fmt: skip
