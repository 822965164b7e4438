"""The session engine (SESSION_ENGINE): Django's database sessions, each row marked with the user it signs in.

https://docs.djangoproject.com/en/5.2/topics/http/sessions/#extending-database-backed-session-engines. The mark is
written on every save, so it follows the session through log-in, log-out and the new key that a log-in or a
password change gives it.
"""

from typing import Any, cast

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

from accounts.models import UserSession


class SessionStore(DatabaseSessionStore):
    @classmethod
    def get_model_class(cls) -> type[UserSession]:
        return UserSession

    def create_model_instance(self, data: dict[str, Any]) -> UserSession:
        # The stubs type the parent's answer by its own model class, not by get_model_class() above.
        session = cast(UserSession, super().create_model_instance(data))
        try:
            session.user_id = int(data[SESSION_KEY])
        except (KeyError, TypeError, ValueError):  # a visitor, signed in by no one
            session.user_id = None
        return session
