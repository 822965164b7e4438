"""Catalogue pages (the movie list) and the rating endpoints, for htmx and for plain forms.

A movie's page, which shows the model's prediction and similar movies, is the recommender's (``recommender.views``).
"""

from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.staticfiles import finders
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from feedback.attribution import SHOWN_LIST_PARAM, shown_list_from
from ratings.endpoints import MOVIE_NOT_FOUND, POST_REQUIRED, back_url, movie_or_404, movie_post_endpoint
from ratings.forms import MovieFilterForm, RatingForm
from ratings.models import Movie
from ratings.requests import HtmxHttpRequest
from ratings.search import search_hints
from ratings.selectors import (
    movie_list,
    movie_recounted,
    rating_distribution,
    rating_score,
    user_marks,
    user_scores,
)
from ratings.services.ratings import LOGIN_REQUIRED, rating_delete, rating_set

__all__ = ["MOVIE_NOT_FOUND", "POST_REQUIRED", "movie_or_404"]

MOVIES_PER_PAGE = 24
RATING_SAVED = "Saved: you rated {movie} {score:g} stars."
RATING_REMOVED = "Removed your rating of {movie}."
RATING_NOT_SAVED = "Your rating was not saved."
# htmx listens for this event name in the HX-Trigger header; the onboarding progress bar refreshes on it.
RATING_CHANGED_EVENT = "rating-changed"
RESULTS_TARGET = "movie-results"
FAVICON = "img/favicon.ico"


def card_context(request: HttpRequest, movies: list[Movie]) -> dict[str, object]:
    """What the movie cards of a page need besides each movie: the user's scores and marks, and where forms return."""
    return {
        "scores": user_scores(user=request.user, movies=movies),
        "marks": user_marks(user=request.user, movies=movies),
        "next_url": request.get_full_path(),
    }


@require_safe
def movie_list_view(request: HtmxHttpRequest) -> HttpResponse:
    form = MovieFilterForm(request.GET or None)
    filters = form.filters()
    page = Paginator(movie_list(**filters), MOVIES_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "hints": search_hints(query=filters["query"]),
        "query_string": query.urlencode(),
        **card_context(request, list(page.object_list)),
    }
    if request.htmx and request.htmx.target == RESULTS_TARGET:
        return render(request, "ratings/_movie_results.html", context)
    return render(request, "ratings/movie_list.html", context)


def _on_movie_page(request: HtmxHttpRequest, movie: Movie) -> bool:
    # The path alone: a page opened from a list has the list's id in its query.
    page = urlsplit(request.htmx.current_url_abs_path or "").path if request.htmx else None
    return page == reverse("movie-detail", args=[movie.pk])


def _widget(
    request: HtmxHttpRequest, movie: Movie, *, score: float | None, error: str = "", status: int = 200
) -> HttpResponse:
    context: dict[str, object] = {
        "movie": movie,
        "score": score,
        "error": error,
        "next_url": back_url(request, movie),
        # The widget swapped in stays the list's: its next rating is the list's follow-up too.
        SHOWN_LIST_PARAM: shown_list_from(request.POST),
    }
    if status == 200 and _on_movie_page(request, movie):
        # The movie's page shows everyone's ratings beside the widget: swapped out of band, with this one counted.
        context["everyone"] = {"movie": movie_recounted(movie=movie), "distribution": rating_distribution(movie=movie)}
    response = render(request, "ratings/_rating_widget.html", context, status=status)
    if status == 200:
        response["HX-Trigger"] = RATING_CHANGED_EVENT
    return response


def _refused(request: HtmxHttpRequest, movie: Movie, form: RatingForm) -> HttpResponse:
    error = " ".join(map(str, form.errors.get("score", [RATING_NOT_SAVED])))
    if request.htmx:
        return _widget(request, movie, score=rating_score(user=request.user, movie=movie), error=error, status=422)
    context = {"movie": movie, "error": error, "back_url": back_url(request, movie)}
    return render(request, "ratings/rating_refused.html", context, status=422)


@movie_post_endpoint(login_message=LOGIN_REQUIRED)
def rating_set_view(request: HtmxHttpRequest, movie: Movie) -> HttpResponse:
    form = RatingForm(request.POST)
    if not form.is_valid():
        return _refused(request, movie, form)
    rating = rating_set(
        user=request.user, movie=movie, score=form.cleaned_data["score"], shown_list=shown_list_from(request.POST)
    )
    if request.htmx:
        return _widget(request, movie, score=rating.score)
    messages.success(request, RATING_SAVED.format(movie=movie.display_title, score=rating.score))
    return redirect(back_url(request, movie))


@movie_post_endpoint(login_message=LOGIN_REQUIRED)
def rating_delete_view(request: HtmxHttpRequest, movie: Movie) -> HttpResponse:
    rating_delete(user=request.user, movie=movie, shown_list=shown_list_from(request.POST))
    if request.htmx:
        return _widget(request, movie, score=None)
    messages.success(request, RATING_REMOVED.format(movie=movie.display_title))
    return redirect(back_url(request, movie))


@cache
def _favicon() -> bytes:
    found = finders.find(FAVICON)
    assert isinstance(found, str), f"{FAVICON} is one of the site's own static files"
    return Path(found).read_bytes()


@require_safe
def favicon_view(request: HttpRequest) -> HttpResponse:
    """Browsers and feed readers ask for /favicon.ico whatever the page links to: the site's icon, from its static
    files, kept a day by the browser."""
    response = HttpResponse(_favicon(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response
