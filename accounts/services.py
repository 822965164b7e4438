"""Account writes: create a site user, delete one with everything they own."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser


def user_create(*, username: str, email: str, password: str) -> AbstractBaseUser:
    """A new site user with a hashed password (validated by the caller's form)."""
    return get_user_model().objects.create_user(username=username, email=email, password=password)


def account_delete(*, user: AbstractBaseUser) -> None:
    """Delete ``user`` and everything that is theirs: ratings, marks, profile and API tokens go with the account
    (their foreign keys cascade), and the next retrain, which reads the ratings as they are, forgets them."""
    user.delete()
