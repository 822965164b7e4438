"""GET/PUT/DELETE /api/me/watchlist and /api/me/hidden: the movies a user wants to watch, and those they do not want
recommended ("not interested"). A movie is on one of the two at most; both leave the recommendations at once."""

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.errors import HttpError

from api.pagination import PageIn, paginate
from api.routers.movies import movie_or_404
from api.routers.params import query_parameters
from api.schemas import ErrorOut, Id, MarkOut, MarkPage
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

watchlist_router = Router(tags=["watchlist"])
hidden_router = Router(tags=["hidden"])


def _put(request: HttpRequest, movie_id: int, mark: Mark) -> MovieMark:
    movie = movie_or_404(movie_id)
    entry = movie_mark_set(user=request.auth, movie=movie, mark=mark)
    entry.movie = movie
    return entry


def _delete(request: HttpRequest, movie_id: int, mark: Mark) -> Status:
    if not movie_mark_delete(user=request.auth, movie=movie_or_404(movie_id), mark=mark):
        raise HttpError(404, NOT_MARKED[mark].format(id=movie_id))
    return Status(204, None)


@watchlist_router.get("", response=LIST_RESPONSES, summary="Your watchlist, last added first")
@query_parameters(PageIn)
def watchlist(request: HttpRequest, page: Query[PageIn]) -> dict:
    return paginate(user_mark_list(user=request.auth, mark=Mark.WATCHLIST), page)


@watchlist_router.put(
    "/{int:movie_id}", throttle=WRITE_THROTTLE, response=PUT_RESPONSES, summary="Put a movie on your watchlist"
)
@query_parameters()
def watchlist_put(request: HttpRequest, movie_id: Id) -> MovieMark:
    return _put(request, movie_id, Mark.WATCHLIST)


@watchlist_router.delete(
    "/{int:movie_id}", throttle=WRITE_THROTTLE, response=DELETE_RESPONSES, summary="Take a movie off your watchlist"
)
@query_parameters()
def watchlist_remove(request: HttpRequest, movie_id: Id) -> Status:
    return _delete(request, movie_id, Mark.WATCHLIST)


@hidden_router.get("", response=LIST_RESPONSES, summary="The movies you hid (not interested), last hidden first")
@query_parameters(PageIn)
def hidden(request: HttpRequest, page: Query[PageIn]) -> dict:
    return paginate(user_mark_list(user=request.auth, mark=Mark.HIDDEN), page)


@hidden_router.put(
    "/{int:movie_id}",
    throttle=WRITE_THROTTLE,
    response=PUT_RESPONSES,
    summary="Not interested: never recommend this movie, and count it as a dislike",
)
@query_parameters()
def hidden_put(request: HttpRequest, movie_id: Id) -> MovieMark:
    return _put(request, movie_id, Mark.HIDDEN)


@hidden_router.delete(
    "/{int:movie_id}", throttle=WRITE_THROTTLE, response=DELETE_RESPONSES, summary="Undo not interested"
)
@query_parameters()
def hidden_remove(request: HttpRequest, movie_id: Id) -> Status:
    return _delete(request, movie_id, Mark.HIDDEN)
