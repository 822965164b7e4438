"""Reads for the API: which user a Bearer token belongs to."""

import hashlib

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from api.models import ApiToken


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
