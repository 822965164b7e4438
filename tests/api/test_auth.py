"""Sign-up, tokens, Bearer and session authentication, CSRF on session writes, and the staff boundary."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.middleware.csrf import REASON_CSRF_TOKEN_MISSING
from django.test import Client
from django.utils import timezone

from api.api import AUTH_REQUIRED
from api.auth import CSRF_FAILED, STAFF_ONLY
from api.models import ApiToken
from api.routers.auth import INVALID_CREDENTIALS, LOCKED_OUT
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "a sturdy passphrase 42"


def test_signup_creates_a_user_and_returns_a_working_token(api_client: Client) -> None:
    """POST /api/auth/signup answers 201 with a Bearer token that authenticates the new user at once."""
    response = api_client.post(
        "/api/auth/signup", {"username": "newbie", "password": GOOD_PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "newbie" and body["token_type"] == "bearer" and body["token"]
    assert get_user_model().objects.get(username="newbie").check_password(GOOD_PASSWORD)
    assert api_client.get("/api/me/ratings", headers=bearer(body["token"])).status_code == 200


def test_tokens_are_stored_only_as_hashes(api_client: Client) -> None:
    """The database holds the SHA-256 of a token, never the token itself."""
    token = api_client.post(
        "/api/auth/signup", {"username": "newbie", "password": GOOD_PASSWORD}, content_type="application/json"
    ).json()["token"]
    stored = ApiToken.objects.get()
    assert stored.key_sha256 != token and len(stored.key_sha256) == 64


def test_signup_refuses_a_weak_password_with_400(api_client: Client) -> None:
    """The site's password validators apply: a common password is refused with their message, and no user exists."""
    response = api_client.post(
        "/api/auth/signup", {"username": "newbie", "password": "password"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "too common" in response.json()["detail"]
    assert not get_user_model().objects.filter(username="newbie").exists()


def test_signup_with_a_taken_username_is_a_409(api_client: Client, user: object) -> None:
    """A username that exists (in any case) is a conflict."""
    response = api_client.post(
        "/api/auth/signup", {"username": "ALICE", "password": GOOD_PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [{}, {"username": "x"}, {"username": "", "password": GOOD_PASSWORD}, {"username": "x" * 151, "password": "p"}],
)
def test_signup_with_missing_or_oversized_fields_is_a_422(api_client: Client, body: dict) -> None:
    """Missing, empty or too long fields are refused by the schema with a message naming the field."""
    response = api_client.post("/api/auth/signup", body, content_type="application/json")
    assert response.status_code == 422
    assert "username" in response.json()["detail"] or "password" in response.json()["detail"]


def test_token_for_valid_credentials(api_client: Client, user: object) -> None:
    """POST /api/auth/token returns a new token for the right username and password."""
    response = api_client.post(
        "/api/auth/token",
        {"username": "alice", "password": "correct horse battery staple"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert api_client.get("/api/me/ratings", headers=bearer(response.json()["token"])).status_code == 200


def test_token_for_a_wrong_password_is_a_401(api_client: Client, user: object) -> None:
    """A wrong password gets 401 and the same message as an unknown user."""
    wrong = api_client.post(
        "/api/auth/token", {"username": "alice", "password": "nope"}, content_type="application/json"
    )
    unknown = api_client.post(
        "/api/auth/token", {"username": "nobody", "password": "nope"}, content_type="application/json"
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": INVALID_CREDENTIALS}


def test_repeated_failed_logins_are_locked_out_with_a_json_429(api_client: Client, user: object, settings) -> None:
    """django-axes counts API login failures too; once locked, even the right password gets a JSON 429."""
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api_client.post("/api/auth/token", {"username": "alice", "password": "nope"}, content_type="application/json")
    response = api_client.post(
        "/api/auth/token",
        {"username": "alice", "password": "correct horse battery staple"},
        content_type="application/json",
    )
    assert response.status_code == 429
    assert response.json() == {"detail": LOCKED_OUT}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Token abc"}, {"Authorization": "Bearer"}],
)
def test_missing_or_bad_credentials_are_a_401_with_a_bearer_challenge(api_client: Client, headers: dict) -> None:
    """No token, an unknown token or another scheme: 401, JSON detail, and WWW-Authenticate: Bearer."""
    response = api_client.get("/api/me/ratings", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"detail": AUTH_REQUIRED}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_is_refused(api_client: Client, token: str) -> None:
    """A token past its expiry no longer authenticates."""
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert api_client.get("/api/me/ratings", headers=bearer(token)).status_code == 401


def test_a_deactivated_users_token_is_refused(api_client: Client, user: object, token: str) -> None:
    """Deactivating an account shuts out its tokens."""
    user.is_active = False
    user.save()
    assert api_client.get("/api/me/ratings", headers=bearer(token)).status_code == 401


def test_the_browser_session_authenticates_reads(user: object) -> None:
    """A logged-in browser can read its own data through the API without a token."""
    client = Client()
    client.force_login(user)
    assert client.get("/api/me/ratings").status_code == 200


def test_session_writes_need_the_csrf_token(user: object, catalogue: list) -> None:
    """A session-authenticated PUT without the CSRF token is a 403; with the token from the cookie it succeeds."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    movie = catalogue[0]
    client.get("/api/docs")  # the docs page hands out the CSRF cookie, as the site's pages do
    url = f"/api/me/ratings/{movie.pk}"
    without = client.put(url, {"rating": 4}, content_type="application/json")
    assert without.status_code == 403
    assert without.json() == {"detail": CSRF_FAILED.format(reason=REASON_CSRF_TOKEN_MISSING)}
    with_token = client.put(
        url, {"rating": 4}, content_type="application/json", headers={"X-CSRFToken": client.cookies["csrftoken"].value}
    )
    assert with_token.status_code == 200


def test_bearer_writes_need_no_csrf_token(auth: dict, catalogue: list) -> None:
    """A Bearer token cannot be sent by a third-party page, so token clients are not asked for CSRF."""
    client = Client(enforce_csrf_checks=True)
    response = client.put(
        f"/api/me/ratings/{catalogue[0].pk}", {"rating": 3.5}, content_type="application/json", headers=auth
    )
    assert response.status_code == 200


def test_staff_endpoints_refuse_other_users_with_403_and_anonymous_with_401(api_client: Client, auth: dict) -> None:
    """GET /api/models: 401 without credentials, 403 for a signed-in non-staff user."""
    assert api_client.get("/api/models").status_code == 401
    response = api_client.get("/api/models", headers=auth)
    assert response.status_code == 403
    assert response.json() == {"detail": STAFF_ONLY}
