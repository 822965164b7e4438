"""API tokens: only a SHA-256 of each token is stored, so a leaked table does not let anyone in; a token lives only as
long as the password it was issued under."""

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    # The token is 32 random bytes: a plain SHA-256 is enough (no slow hash needed against guessing).
    key_sha256 = models.CharField(max_length=64, unique=True)
    # The user's session auth hash when the token was issued (AbstractBaseUser.get_session_auth_hash, an HMAC of the
    # password hash): any change of password, by the user, a reset link, the admin or `changepassword`, makes it
    # differ, which ends the token as Django ends the user's other sessions. Tokens issued before this column
    # existed hold "" and match nothing.
    password_mark = models.CharField(max_length=128, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"API token of {self.user} (expires {self.expires_at:%Y-%m-%d})"
