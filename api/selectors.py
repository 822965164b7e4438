"""Reads for the API: the token a Bearer key stands for, and its user."""

import hashlib

from django.utils import timezone
from django.utils.crypto import constant_time_compare

from api.models import ApiToken


def token_sha256(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_get(*, key: str) -> ApiToken | None:
    """The unexpired token of an active user for this key, issued under the user's present password; else None."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_sha256=token_sha256(key), expires_at__gt=timezone.now(), user__is_active=True)
        .first()
    )
    if token is None or not constant_time_compare(token.password_mark, token.user.get_session_auth_hash()):
        return None
    return token
