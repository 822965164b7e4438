"""The session engine (SESSION_ENGINE): Django's database sessions, each row marked with the user it signs in.

https://docs.djangoproject.com/en/5.2/topics/http/sessions/#extending-database-backed-session-engines. The mark is
written on every save, so it follows the session through log-in, log-out and the new key that a log-in or a
password change gives it.
"""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

from accounts.models import UserSession


class SessionStore(DatabaseSessionStore):
    @classmethod
    def get_model_class(cls) -> type[UserSession]:
        return UserSession

    def create_model_instance(self, data: dict) -> UserSession:
        session = super().create_model_instance(data)
        try:
            session.user_id = int(data.get(SESSION_KEY))
        except (TypeError, ValueError):  # a visitor, signed in by no one
            session.user_id = None
        return session
