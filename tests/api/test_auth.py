"""Sign-up, tokens (issued, revoked, ended by a password change or reset), Bearer and session authentication, CSRF
on session writes, and the staff boundary."""

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.middleware.csrf import REASON_CSRF_TOKEN_MISSING
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.api import AUTH_REQUIRED
from api.auth import CSRF_FAILED, STAFF_ONLY
from api.models import ApiToken
from api.routers.auth import INVALID_CREDENTIALS, LOCKED_OUT
from api.services import token_create
from tests.api.conftest import bearer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "a sturdy passphrase 42"
PASSWORD = "correct horse battery staple"  # the factories' password


def answers(token: str) -> int:
    """The status of an authenticated read with ``token``: 200 while it works, 401 once it does not."""
    return Client().get("/api/me/ratings", headers=bearer(token)).status_code


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


def test_delete_token_revokes_the_token_of_the_request_only(api_client: Client, user: object, token: str) -> None:
    """DELETE /api/auth/token answers 204 and the token it carried stops working at once; the user's other tokens
    and other users' tokens keep working."""
    other_device = token_create(user=user)[0]
    someone_else = token_create(user=UserFactory(username="bob"))[0]

    response = api_client.delete("/api/auth/token", headers=bearer(token))

    assert response.status_code == 204
    assert (answers(token), answers(other_device), answers(someone_else)) == (401, 200, 200)
    assert api_client.delete("/api/auth/token", headers=bearer(token)).status_code == 401


def test_delete_token_needs_a_bearer_token(user: object) -> None:
    """A browser session has no token to revoke: DELETE /api/auth/token with the session alone is a 401."""
    client = Client()
    client.force_login(user)
    response = client.delete("/api/auth/token")
    assert response.status_code == 401
    assert response.json() == {"detail": AUTH_REQUIRED}


def test_delete_tokens_logs_the_user_out_everywhere(api_client: Client, user: object, token: str) -> None:
    """DELETE /api/auth/tokens answers 204 and every token of the user stops working, this one included; another
    user's tokens keep working, and a new token can be had with the password."""
    other_device = token_create(user=user)[0]
    someone_else = token_create(user=UserFactory(username="bob"))[0]

    response = api_client.delete("/api/auth/tokens", headers=bearer(token))

    assert response.status_code == 204
    assert (answers(token), answers(other_device), answers(someone_else)) == (401, 401, 200)
    assert ApiToken.objects.filter(user=user).count() == 0
    fresh = api_client.post(
        "/api/auth/token", {"username": "alice", "password": PASSWORD}, content_type="application/json"
    )
    assert answers(fresh.json()["token"]) == 200


def test_delete_tokens_with_the_session_needs_the_csrf_header(user: object, token: str) -> None:
    """From the browser session, log out everywhere is a write: without X-CSRFToken it is a 403 and the tokens keep
    working; with it, 204 and they stop."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/api/docs")  # hands out the CSRF cookie

    refused = client.delete("/api/auth/tokens")
    assert refused.status_code == 403
    assert answers(token) == 200
    done = client.delete("/api/auth/tokens", headers={"X-CSRFToken": client.cookies["csrftoken"].value})
    assert done.status_code == 204
    assert answers(token) == 401


def test_a_password_change_on_the_site_ends_every_token(user: object, token: str) -> None:
    """After the user changes their password on the site, the tokens issued before stop working (401); a token
    asked for with the new password works."""
    client = Client()
    client.force_login(user)
    data = {"old_password": PASSWORD, "new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD}
    assert client.post(reverse("password_change"), data).status_code == 302

    assert answers(token) == 401
    fresh = Client().post(
        "/api/auth/token", {"username": "alice", "password": GOOD_PASSWORD}, content_type="application/json"
    )
    assert answers(fresh.json()["token"]) == 200


def test_a_password_reset_ends_every_token(user: object, token: str) -> None:
    """Following the emailed reset link and setting a new password ends the tokens issued before it."""
    user.email = "alice@example.com"
    user.save()
    client = Client()
    client.post(reverse("password_reset"), {"email": "alice@example.com"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]
    assert client.post(form_url, {"new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD}).status_code == 302

    assert answers(token) == 401


def test_a_password_set_by_an_administrator_ends_every_token(user: object, token: str) -> None:
    """Any change of password ends the tokens, however it is made (here set_password and save, as the admin and
    `manage.py changepassword` do); saving the user otherwise does not."""
    user.first_name = "Alice"
    user.save()
    assert answers(token) == 200
    user.set_password(GOOD_PASSWORD)
    user.save()
    assert answers(token) == 401


def test_the_revoking_endpoints_are_in_the_openapi_schema(api_client: Client) -> None:
    """The schema lists DELETE /api/auth/token (Bearer only) and DELETE /api/auth/tokens, each answering 204."""
    paths = api_client.get("/api/openapi.json").json()["paths"]
    one, every = paths["/api/auth/token"]["delete"], paths["/api/auth/tokens"]["delete"]
    assert "204" in one["responses"] and "204" in every["responses"]
    assert [list(scheme) for scheme in one["security"]] == [["BearerAuth"]]
    assert "log out everywhere" in every["summary"]
