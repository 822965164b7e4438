"""Bearer tokens for clients that do not use the browser session: sign up, get one (POST /api/auth/signup and
/api/auth/token), revoke the one in use (DELETE /api/auth/token), or log out everywhere: all of them and every
browser session (DELETE /api/auth/tokens)."""

from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.http import HttpRequest
from ninja import Router, Status
from ninja.errors import HttpError

from api.auth import USER_AUTH, BearerAuth
from api.requests import ApiRequest, AuthenticatedRequest, BearerRequest
from api.schemas import CredentialsIn, ErrorOut, TokenOut
from api.services import SignupError, account_signup, logins_end, token_create, token_revoke
from api.throttling import AUTH_THROTTLE, username_rate_limit

INVALID_CREDENTIALS = "invalid username or password"
LOCKED_OUT = "too many failed logins for this username from this address: try again later"

router = Router(tags=["auth"])


def _token(user: User) -> TokenOut:
    key, expires_at = token_create(user=user)
    return TokenOut(token=key, expires_at=expires_at, username=user.get_username())


@router.post(
    "/signup",
    auth=None,
    throttle=AUTH_THROTTLE,
    response={201: TokenOut, 400: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Create an account and get a token",
)
def signup(request: HttpRequest, payload: CredentialsIn) -> Status:
    username_rate_limit(username=payload.username)
    try:
        user = account_signup(username=payload.username, password=payload.password)
    except SignupError as error:
        raise HttpError(409 if error.conflict else 400, str(error)) from None
    return Status(201, _token(user))


@router.post(
    "/token",
    auth=None,
    throttle=AUTH_THROTTLE,
    response={200: TokenOut, 400: ErrorOut, 401: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Get a token for a username and password",
)
def token(request: ApiRequest, payload: CredentialsIn) -> TokenOut:
    username_rate_limit(username=payload.username)
    # With the request, django-axes counts failures and locks out repeated guessing (as on the login page).
    user = authenticate(request, username=payload.username, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        # Answer in the API's JSON shape; axes' middleware would otherwise replace the response with its page.
        request.axes_locked_out = False
        raise HttpError(429, LOCKED_OUT)
    if user is None:
        raise HttpError(401, INVALID_CREDENTIALS)
    return _token(user)


@router.delete(
    "/token",
    auth=BearerAuth(),
    response={204: None, 401: ErrorOut},
    summary="Revoke the token this request carries",
    description="Log this client out: the token in `Authorization: Bearer <token>` stops working at once.",
)
def token_delete(request: BearerRequest) -> Status:
    token_revoke(token=request.api_token)
    return Status(204, None)


@router.delete(
    "/tokens",
    auth=USER_AUTH,
    response={204: None, 401: ErrorOut, 403: ErrorOut},
    summary="Revoke all of your tokens and browser sessions (log out everywhere)",
    description=(
        "Every token of the authenticated user stops working at once, and every browser session of theirs is "
        "signed out, this request's own included. A password change or reset does the same."
    ),
)
def tokens_delete(request: AuthenticatedRequest) -> Status:
    logins_end(user=request.auth)
    return Status(204, None)
