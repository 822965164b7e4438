"""GET/PUT/DELETE /api/me/ratings: the signed-in user's own ratings; their watchlist, hidden movies, export and
account deletion are the routers mounted here (``marks``, ``account``)."""

from typing import Any

from django.core.exceptions import ValidationError
from ninja import Query, Router, Status
from ninja.errors import HttpError

from api.pagination import PageIn, paginate
from api.requests import AuthenticatedRequest
from api.routers import account, marks
from api.routers.movies import movie_or_404
from api.schemas import ErrorOut, Id, RatingIn, RatingOut, RatingPage, ShownList
from api.throttling import WRITE_THROTTLE
from ratings.models import Rating
from ratings.selectors import user_rating_list
from ratings.services.ratings import rating_delete, rating_set

RATING_NOT_FOUND = "you have not rated movie {id}"

router = Router(tags=["me"])
router.add_router("/watchlist", marks.watchlist_router)
router.add_router("/hidden", marks.hidden_router)
router.add_router("", account.router)

AUTH_ERRORS = {401: ErrorOut, 403: ErrorOut}


@router.get("/ratings", response={200: RatingPage, 422: ErrorOut, **AUTH_ERRORS}, summary="Your ratings, newest first")
def ratings(request: AuthenticatedRequest, page: Query[PageIn]) -> dict[str, Any]:
    return paginate(user_rating_list(user=request.auth), page)


@router.put(
    "/ratings/{int:movie_id}",
    throttle=WRITE_THROTTLE,
    response={200: RatingOut, 400: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut, **AUTH_ERRORS},
    summary="Rate a movie, or change your rating",
)
def rating_put(request: AuthenticatedRequest, movie_id: Id, payload: RatingIn, shown_list: ShownList = None) -> Rating:
    movie = movie_or_404(movie_id)
    try:
        rating = rating_set(user=request.auth, movie=movie, score=payload.rating, shown_list=shown_list)
    except ValidationError as error:
        raise HttpError(422, " ".join(error.messages)) from None
    rating.movie = movie
    return rating


@router.delete(
    "/ratings/{int:movie_id}",
    throttle=WRITE_THROTTLE,
    response={204: None, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut, **AUTH_ERRORS},
    summary="Remove your rating of a movie",
)
def rating_remove(request: AuthenticatedRequest, movie_id: Id, shown_list: ShownList = None) -> Status:
    if not rating_delete(user=request.auth, movie=movie_or_404(movie_id), shown_list=shown_list):
        raise HttpError(404, RATING_NOT_FOUND.format(id=movie_id))
    return Status(204, None)
