"""What every form that changes something about one movie shares (rating, watchlist, not interested): POST only,
signed in only, a movie that exists, and where a plain form post returns to afterwards."""

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from ratings.models import Movie
from ratings.requests import HtmxHttpRequest
from ratings.selectors import movie_get

MOVIE_NOT_FOUND = "There is no movie with this number in the catalogue."
POST_REQUIRED = "This address only changes your ratings and lists: send the form (POST), not a plain visit."


def movie_or_404(pk: int) -> Movie:
    try:
        return movie_get(pk=pk)
    except Movie.DoesNotExist:
        raise Http404(MOVIE_NOT_FOUND) from None


def back_url(request: HttpRequest, movie: Movie) -> str:
    """Where a plain form post returns to: the page it came from, if it is on this site, else the movie's page."""
    candidate = request.POST.get("next") or ""
    # A path from the site's root only: redirect() would take any other relative text for a view name to reverse.
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("movie-detail", args=[movie.pk])


def login_required_answer(request: HtmxHttpRequest, pk: int, message: str) -> HttpResponse:
    back = request.htmx.current_url_abs_path if request.htmx else request.POST.get("next")
    if not back or not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("movie-detail", args=[pk])
    login_url = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': back})}"
    if request.htmx:
        # htmx does not swap a 401, but follows HX-Redirect with a full page load.
        response = HttpResponse(message, status=401, content_type="text/plain; charset=utf-8")
        response["HX-Redirect"] = login_url
        return response
    messages.info(request, message)
    return redirect(login_url)


def movie_post_endpoint(*, login_message: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """POST only, signed in only (else ``login_message``), for a movie that exists; a refusal says why and changes
    nothing. The view is called with the request, the movie and the address's other arguments."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HtmxHttpRequest, pk: int, **kwargs: object) -> HttpResponse:
            if request.method != "POST":
                return HttpResponseNotAllowed(["POST"], content=POST_REQUIRED, content_type="text/plain; charset=utf-8")
            if not request.user.is_authenticated:
                return login_required_answer(request, pk, login_message)
            return view(request, movie_or_404(pk), **kwargs)

        return wrapper

    return decorate
