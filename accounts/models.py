"""Accounts' own table: the site's browser sessions, each marked with the user it signs in (accounts/sessions.py)."""

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models


class UserSession(AbstractBaseSession):
    """Django's database session, with the user it signs in (null for a visitor), so that every browser session of
    a person can be found and ended at once: "log out everywhere" (accounts.services.sessions_end)."""

    # No database constraint: a session of a user deleted meanwhile may still be saved by a request in flight, and
    # must not fail it. Django's own cascade still removes a user's sessions with the user.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )
