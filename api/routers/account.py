"""GET /api/me/export and POST /api/me/delete: a user takes their data away, or deletes their account with it."""

from django.contrib.auth import authenticate
from ninja import Router, Status
from ninja.errors import HttpError

from accounts.services import account_delete
from api.requests import AuthenticatedRequest
from api.routers.auth import LOCKED_OUT
from api.schemas import AccountDeleteIn, ErrorOut, ExportOut
from api.throttling import WRITE_THROTTLE
from ratings.export import user_data_export

WRONG_PASSWORD = "wrong password: the account was not deleted"  # noqa: S105 (a message, not a secret)

router = Router(tags=["account"])

AUTH_ERRORS = {401: ErrorOut, 403: ErrorOut}


@router.get(
    "/export",
    response={200: ExportOut, 422: ErrorOut, **AUTH_ERRORS},
    summary="Everything you rated, your watchlist and your hidden movies, oldest first",
)
def export(request: AuthenticatedRequest) -> dict[str, list[dict[str, object]]]:
    return user_data_export(user=request.auth)


@router.post(
    "/delete",
    throttle=WRITE_THROTTLE,
    response={204: None, 400: ErrorOut, 422: ErrorOut, 429: ErrorOut, **AUTH_ERRORS},
    summary="Delete your account and everything it holds (ratings, watchlist, hidden movies, tokens)",
)
def account_remove(request: AuthenticatedRequest, payload: AccountDeleteIn) -> Status:
    user = request.auth
    # With the request, django-axes counts a wrong password as a failed login (a stolen token cannot guess it).
    confirmed = authenticate(request, username=user.get_username(), password=payload.password)
    if getattr(request, "axes_locked_out", False):
        request.axes_locked_out = False
        raise HttpError(429, LOCKED_OUT)
    if confirmed != user:
        raise HttpError(403, WRONG_PASSWORD)
    account_delete(user=user)
    return Status(204, None)
