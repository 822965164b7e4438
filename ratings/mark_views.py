"""Watchlist and "not interested": the toggles on cards and movie pages (htmx and plain forms), and the two lists.

A mark set from a recommendation card (htmx target ``card-<pk>``) answers with the card's placeholder, whose Undo
is the recommender's (it puts the card back with its prediction); anywhere else it answers with the toggles.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from feedback.attribution import SHOWN_LIST_PARAM, shown_list_from
from ratings.endpoints import back_url, movie_post_endpoint
from ratings.models import Mark, Movie
from ratings.requests import HtmxHttpRequest, SignedInHttpRequest
from ratings.selectors import movies_with_genres, user_mark, user_mark_list, user_scores
from ratings.services.marks import LOGIN_REQUIRED, mark_clean, movie_mark_delete, movie_mark_set

MARK_NOT_FOUND = "There is no such list: a movie can be on your watchlist or hidden (not interested)."
MARK_SAVED = {
    Mark.WATCHLIST: "Added {movie} to your watchlist.",
    Mark.HIDDEN: "{movie} will not be recommended again. Undo it from your list of hidden movies.",
}
MARK_REMOVED = {
    Mark.WATCHLIST: "Removed {movie} from your watchlist.",
    Mark.HIDDEN: "{movie} can be recommended again.",
}
# htmx listens for this event name in the HX-Trigger header: the recommendations page offers to refresh.
MARKS_CHANGED_EVENT = "marks-changed"
MARKS_PER_PAGE = 48
LIST_TITLES = {Mark.WATCHLIST: "Your watchlist", Mark.HIDDEN: "Not interested"}


def mark_or_404(value: str) -> Mark:
    try:
        return mark_clean(value)
    except ValidationError:
        raise Http404(MARK_NOT_FOUND) from None


def _toggles(request: HttpRequest, movie: Movie, *, mark: Mark | None, focus: Mark) -> HttpResponse:
    context = {
        "movie": movie,
        "mark": mark,
        "focus_mark": focus,
        "next_url": back_url(request, movie),
        SHOWN_LIST_PARAM: shown_list_from(request.POST),
    }
    response = render(request, "ratings/_mark_buttons.html", context)
    response["HX-Trigger"] = MARKS_CHANGED_EVENT
    return response


@movie_post_endpoint(login_message=LOGIN_REQUIRED)
def mark_set_view(request: HtmxHttpRequest, movie: Movie, mark: str) -> HttpResponse:
    clean = mark_or_404(mark)
    shown_list = shown_list_from(request.POST)
    movie_mark_set(user=request.user, movie=movie, mark=clean, shown_list=shown_list)
    if request.htmx and request.htmx.target == f"card-{movie.pk}":
        context = {"movie": movie, "mark": clean, "next_url": back_url(request, movie), SHOWN_LIST_PARAM: shown_list}
        response = render(request, "ratings/_card_marked.html", context)
        response["HX-Trigger"] = MARKS_CHANGED_EVENT
        return response
    if request.htmx:
        return _toggles(request, movie, mark=clean, focus=clean)
    messages.success(request, MARK_SAVED[clean].format(movie=movie.display_title))
    return redirect(back_url(request, movie))


@movie_post_endpoint(login_message=LOGIN_REQUIRED)
def mark_delete_view(request: HtmxHttpRequest, movie: Movie, mark: str) -> HttpResponse:
    clean = mark_or_404(mark)
    movie_mark_delete(user=request.user, movie=movie, mark=clean, shown_list=shown_list_from(request.POST))
    if request.htmx:
        return _toggles(request, movie, mark=user_mark(user=request.user, movie=movie), focus=clean)
    messages.success(request, MARK_REMOVED[clean].format(movie=movie.display_title))
    return redirect(back_url(request, movie))


def _mark_list(request: SignedInHttpRequest, mark: Mark) -> HttpResponse:
    page = Paginator(user_mark_list(user=request.user, mark=mark), MARKS_PER_PAGE).get_page(request.GET.get("page"))
    movies = movies_with_genres([entry.movie for entry in page.object_list])
    context = {
        "mark": mark,
        "title": LIST_TITLES[mark],
        "page": page,
        "scores": user_scores(user=request.user, movies=movies),
        "next_url": request.get_full_path(),
        "query_string": "",
    }
    return render(request, "ratings/mark_list.html", context)


@require_safe
@login_required
def watchlist_view(request: SignedInHttpRequest) -> HttpResponse:
    return _mark_list(request, Mark.WATCHLIST)


@require_safe
@login_required
def hidden_view(request: SignedInHttpRequest) -> HttpResponse:
    return _mark_list(request, Mark.HIDDEN)
