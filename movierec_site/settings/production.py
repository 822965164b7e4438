"""Production settings: secure by default, secrets and a mail server required from the environment."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import EMAIL_CONFIG, env

DEBUG = env.bool("DEBUG", default=False)
# Required: env() raises ImproperlyConfigured naming SECRET_KEY when it is missing.
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])

# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-email-url. Password-reset links go by
# mail: a backend that delivers nothing would write them to the web log (console), to disk (file) or nowhere.
# EMAIL_URL must name a real mail server, unless EMAIL_UNDELIVERED_ALLOWED says, on purpose, that none is wanted.
UNDELIVERING_EMAIL_BACKENDS = frozenset(
    f"django.core.mail.backends.{name}.EmailBackend" for name in ("console", "filebased", "locmem", "dummy")
)
EMAIL_NOT_CONFIGURED = (
    "EMAIL_URL names no mail server ({backend}): production mails password-reset links, which this backend would "
    "write to the log or drop. Set EMAIL_URL (e.g. smtp+tls://user:password@host:587), or "
    "EMAIL_UNDELIVERED_ALLOWED=true to run without mail on purpose."
)
# base.py sets EMAIL_BACKEND from EMAIL_CONFIG, out of the type checker's sight (vars().update).
_email_backend = EMAIL_CONFIG["EMAIL_BACKEND"]
if _email_backend in UNDELIVERING_EMAIL_BACKENDS and not env.bool("EMAIL_UNDELIVERED_ALLOWED", default=False):
    raise ImproperlyConfigured(EMAIL_NOT_CONFIGURED.format(backend=_email_backend))

# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^api/health$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# No script needs to read the CSRF cookie: every form carries the token in its csrfmiddlewaretoken field ({% csrf_token
# %}), htmx's posts included, since they send their form; the API docs (Swagger UI) read it from their page
# (data-csrf-token). Out of reach of scripts, an injected script cannot lift it to forge requests elsewhere.
CSRF_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy (sent by
# movierec_site.middleware). Every asset is local: scripts only from the site's own files, never inline, never
# eval (htmx needs neither: no hx-on or js: attributes here). Styles may be inline: the staff charts are
# matplotlib SVG with style elements and attributes, and the rating bars' widths are style attributes; a style
# cannot run code. data: images are Swagger UI's icons.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
