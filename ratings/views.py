"""Catalogue pages (the movie list) and the rating endpoints, for htmx and for plain forms.

A movie's page, which shows the model's prediction and similar movies, is the recommender's (``recommender.views``).
"""

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_safe

from ratings.forms import MovieFilterForm, RatingForm
from ratings.models import Movie
from ratings.selectors import (
    movie_get,
    movie_list,
    rating_score,
    user_scores,
)
from ratings.services.ratings import LOGIN_REQUIRED, rating_delete, rating_set

MOVIES_PER_PAGE = 24
MOVIE_NOT_FOUND = "There is no movie with this number in the catalogue."
POST_REQUIRED = "This address only changes ratings: send the form (POST), not a plain visit."
RATING_SAVED = "Saved: you rated {movie} {score:g} stars."
RATING_REMOVED = "Removed your rating of {movie}."
RATING_NOT_SAVED = "Your rating was not saved."
# htmx listens for this event name in the HX-Trigger header; the onboarding progress bar refreshes on it.
RATING_CHANGED_EVENT = "rating-changed"
RESULTS_TARGET = "movie-results"


def movie_or_404(pk: int) -> Movie:
    try:
        return movie_get(pk=pk)
    except Movie.DoesNotExist:
        raise Http404(MOVIE_NOT_FOUND) from None


@require_safe
def movie_list_view(request: HttpRequest) -> HttpResponse:
    form = MovieFilterForm(request.GET or None)
    movies = movie_list(**form.filters())
    page = Paginator(movies, MOVIES_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "scores": user_scores(user=request.user, movies=list(page.object_list)),
        "query_string": query.urlencode(),
    }
    if request.htmx and request.htmx.target == RESULTS_TARGET:
        return render(request, "ratings/_movie_results.html", context)
    return render(request, "ratings/movie_list.html", context)


def _rating_endpoint(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """POST only, signed in only, for a movie that exists; a refusal says why and changes nothing."""

    @wraps(view)
    def wrapper(request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"], content=POST_REQUIRED, content_type="text/plain; charset=utf-8")
        if not request.user.is_authenticated:
            return _login_required(request, pk)
        return view(request, movie_or_404(pk))

    return wrapper


def _back_url(request: HttpRequest, movie: Movie) -> str:
    """Where a plain form post returns to: the page it came from, if it is on this site, else the movie's page."""
    candidate = request.POST.get("next") or ""
    # A path from the site's root only: redirect() would take any other relative text for a view name to reverse.
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("movie-detail", args=[movie.pk])


def _login_required(request: HttpRequest, pk: int) -> HttpResponse:
    back = request.htmx.current_url_abs_path if request.htmx else request.POST.get("next")
    if not back or not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("movie-detail", args=[pk])
    login_url = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': back})}"
    if request.htmx:
        # htmx does not swap a 401, but follows HX-Redirect with a full page load.
        response = HttpResponse(LOGIN_REQUIRED, status=401, content_type="text/plain; charset=utf-8")
        response["HX-Redirect"] = login_url
        return response
    messages.info(request, LOGIN_REQUIRED)
    return redirect(login_url)


def _widget(
    request: HttpRequest, movie: Movie, *, score: float | None, error: str = "", status: int = 200
) -> HttpResponse:
    context = {"movie": movie, "score": score, "error": error, "next_url": _back_url(request, movie)}
    response = render(request, "ratings/_rating_widget.html", context, status=status)
    if status == 200:
        response["HX-Trigger"] = RATING_CHANGED_EVENT
    return response


def _refused(request: HttpRequest, movie: Movie, form: RatingForm) -> HttpResponse:
    error = " ".join(form.errors.get("score", [RATING_NOT_SAVED]))
    if request.htmx:
        return _widget(request, movie, score=rating_score(user=request.user, movie=movie), error=error, status=422)
    context = {"movie": movie, "error": error, "back_url": _back_url(request, movie)}
    return render(request, "ratings/rating_refused.html", context, status=422)


@_rating_endpoint
def rating_set_view(request: HttpRequest, movie: Movie) -> HttpResponse:
    form = RatingForm(request.POST)
    if not form.is_valid():
        return _refused(request, movie, form)
    rating = rating_set(user=request.user, movie=movie, score=form.cleaned_data["score"])
    if request.htmx:
        return _widget(request, movie, score=rating.score)
    messages.success(request, RATING_SAVED.format(movie=movie.title, score=rating.score))
    return redirect(_back_url(request, movie))


@_rating_endpoint
def rating_delete_view(request: HttpRequest, movie: Movie) -> HttpResponse:
    rating_delete(user=request.user, movie=movie)
    if request.htmx:
        return _widget(request, movie, score=None)
    messages.success(request, RATING_REMOVED.format(movie=movie.title))
    return redirect(_back_url(request, movie))
