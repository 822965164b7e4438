"""The request types of the site's views, for the type checker: what the middleware adds, and a signed-in user.

Never instantiated: Django hands every view a plain ``HttpRequest``, which ``HtmxMiddleware`` gives ``htmx``, and a
view behind a login check (``login_required``, ``movie_post_endpoint``) only ever sees a signed-in user.
"""

from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


class SignedInHttpRequest(HtmxHttpRequest):
    user: User
