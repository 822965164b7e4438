"""Account writes: create a site user."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser


def user_create(*, username: str, email: str, password: str) -> AbstractBaseUser:
    """A new site user with a hashed password (validated by the caller's form)."""
    return get_user_model().objects.create_user(username=username, email=email, password=password)
