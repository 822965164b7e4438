"""Writes of the API's own data: accounts created through the API, the tokens handed out and revoked, and log out
everywhere (every token and every browser session)."""

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.utils import timezone

from accounts.services import sessions_end, user_create
from api.models import ApiToken
from api.selectors import token_sha256


class SignupError(ValueError):
    """The username or password was refused; ``conflict`` when the username is taken."""

    def __init__(self, message: str, *, conflict: bool) -> None:
        super().__init__(message)
        self.conflict = conflict


def token_create(*, user: User) -> tuple[str, dt.datetime]:
    """A new random token for ``user`` and its expiry; only its SHA-256 is stored, the token is shown once."""
    key = secrets.token_urlsafe(32)
    expires_at = timezone.now() + dt.timedelta(days=settings.API_TOKEN_TTL_DAYS)
    ApiToken.objects.create(
        user=user, key_sha256=token_sha256(key), password_mark=user.get_session_auth_hash(), expires_at=expires_at
    )
    return key, expires_at


def token_revoke(*, token: ApiToken) -> None:
    """End one token now (DELETE /api/auth/token: the caller's own)."""
    token.delete()


def tokens_revoke(*, user: User) -> int:
    """End every token of ``user`` now; how many there were."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted


def logins_end(*, user: User) -> None:
    """Log ``user`` out everywhere: every API token and every browser session ends now, the caller's own included."""
    tokens_revoke(user=user)
    sessions_end(user=user)


def account_signup(*, username: str, password: str) -> User:
    """A new site user, checked by the rules of Django's sign-up form (username, uniqueness, password validators).

    The site's own form also asks for an email address (for password resets); API clients may not have one.
    """
    form: UserCreationForm[User] = UserCreationForm(
        {"username": username, "password1": password, "password2": password}
    )
    if not form.is_valid():
        errors = form.errors.as_data()
        conflict = any(error.code == "unique" for error in errors.get("username", []))
        messages = [message for field_errors in errors.values() for error in field_errors for message in error.messages]
        raise SignupError(" ".join(messages), conflict=conflict)
    return user_create(username=form.cleaned_data["username"], email="", password=password)
