"""Reads for the API: which user a Bearer token belongs to, and a user's ratings."""

import hashlib

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import timezone

from api.models import ApiToken
from ratings.models import Rating


def token_sha256(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_user(*, key: str) -> AbstractBaseUser | None:
    """The active user holding this unexpired token, or None."""
    try:
        token = ApiToken.objects.select_related("user").get(
            key_sha256=token_sha256(key), expires_at__gt=timezone.now(), user__is_active=True
        )
    except ApiToken.DoesNotExist:
        return None
    return token.user


def user_rating_list(*, user: AbstractBaseUser) -> QuerySet[Rating]:
    """The user's ratings, newest first, with each movie and its genres."""
    return (
        Rating.objects.filter(user=user)
        .select_related("movie")
        .prefetch_related("movie__genres")
        .order_by("-timestamp", "-pk")
    )
