"""The recommendations home page (and Undo on its cards), a movie's page (with the prediction and similar
movies), and the onboarding page that a new user sees right after signing up.

Each list shown to a signed-in person is recorded (feedback), and its cards' links and forms carry its id, so that
opening, rating or marking one of its movies is counted as the list's follow-up.
"""

import uuid
from collections.abc import Sequence
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from feedback.attribution import SHOWN_LIST_PARAM, shown_list_from
from feedback.models import Action, ListKind
from feedback.services import Teams, follow_up_record, shown_list_record
from ratings.endpoints import back_url, movie_or_404, movie_post_endpoint
from ratings.mark_views import MARK_REMOVED, MARKS_CHANGED_EVENT, mark_or_404
from ratings.models import Movie
from ratings.requests import HtmxHttpRequest, SignedInHttpRequest
from ratings.selectors import (
    genre_list,
    movie_list,
    movie_top_tags,
    movies_with_genres,
    rating_distribution,
    rating_score,
    user_mark,
    user_rating_count,
    user_scores,
)
from ratings.services.marks import LOGIN_REQUIRED, movie_mark_delete
from ratings.views import card_context
from recommender.forms import OnboardingSearchForm, TasteGenresForm
from recommender.models import ModelVersion
from recommender.services.recommendations import (
    Fallback,
    RecommendationPage,
    onboarding_movies,
    popular_movies,
    rating_predict,
    recommendations_for_user,
    served_version,
    similar_movies,
)

RECOMMENDATIONS_PER_PAGE = 20
SIMILAR_MOVIES = 6
# A new user rates at least this many movies before the home page calls their list personal.
ONBOARDING_TARGET = 10
ONBOARDING_SHOWN = 12
# "Haven't seen" choices are kept in the session; past this many the oldest are forgotten.
ONBOARDING_SKIPPED_MAX = 300
SKIPPED_SESSION_KEY = "onboarding_skipped"
GENRES_SESSION_KEY = "onboarding_genres"
# Search results shown inside onboarding, and the recommendations previewed below the movies to rate.
ONBOARDING_SEARCH_SHOWN = 6
ONBOARDING_PREVIEW_SHOWN = 6
GENRES_SAVED = "Showing well-known movies of the genres you picked, from every decade."
POST_REQUIRED = "Send the form (POST): this address changes your onboarding choices."


def _page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1


def _int_or_none(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) < 12 else None


def _shown(
    request: HttpRequest,
    kind: ListKind,
    movies: Sequence[Movie],
    *,
    version: ModelVersion | None,
    first: int = 1,
    teams: Teams | None = None,
) -> uuid.UUID | None:
    """Record the list shown to a signed-in user, its first movie at position ``first``; its id (None: a visitor)."""
    return shown_list_record(
        user=request.user,
        kind=kind,
        movie_ids=[movie.pk for movie in movies],
        model_version_id=version.pk if version else None,
        first_position=first,
        teams=teams,
    )


def _recommendations(request: HttpRequest, *, page_number: int, genre: str | None) -> RecommendationPage:
    offset = (page_number - 1) * RECOMMENDATIONS_PER_PAGE
    if request.user.is_authenticated:
        return recommendations_for_user(user=request.user, limit=RECOMMENDATIONS_PER_PAGE, offset=offset, genre=genre)
    return popular_movies(limit=RECOMMENDATIONS_PER_PAGE, offset=offset, genre=genre)


@require_safe
def home_view(request: HttpRequest) -> HttpResponse:
    genres = list(genre_list())
    genre = request.GET.get("genre") or None
    if genre not in {g.slug for g in genres}:
        genre = None
    number = _page_number(request.GET.get("page"))
    result = _recommendations(request, page_number=number, genre=genre)
    # It counts the whole list; the page holds only the recommendations computed for it.
    paginator: Paginator[object] = Paginator(range(result.total), RECOMMENDATIONS_PER_PAGE)
    if not result.items and number > paginator.num_pages:  # a page past the end: show the last one
        number = paginator.num_pages
        result = _recommendations(request, page_number=number, genre=genre)
    movies = [item.movie for item in result.items]
    movies_with_genres(movies)
    first = (number - 1) * RECOMMENDATIONS_PER_PAGE + 1
    context = {
        SHOWN_LIST_PARAM: _shown(
            request, ListKind.HOME, movies, version=result.model_version, first=first, teams=result.teams
        ),
        "result": result,
        "no_model": result.fallback == Fallback.NO_MODEL,
        "no_taste": result.fallback == Fallback.NO_RATINGS,
        "page": Page(result.items, number, paginator),
        "genres": genres,
        "genre": genre,
        "query_string": urlencode({"genre": genre}) if genre else "",
        "rated": user_rating_count(user=request.user),
        "onboarding_target": ONBOARDING_TARGET,
        "next_url": request.get_full_path(),
    }
    return render(request, "recommender/home.html", context)


@movie_post_endpoint(login_message=LOGIN_REQUIRED)
def recommendation_restore_view(request: SignedInHttpRequest, movie: Movie, mark: str) -> HttpResponse:
    """Undo on a recommendation card that was marked: the mark goes, and (for htmx) the card comes back with the
    prediction; a plain form returns to the list."""
    clean = mark_or_404(mark)
    shown_list = shown_list_from(request.POST)
    movie_mark_delete(user=request.user, movie=movie, mark=clean, shown_list=shown_list)
    if not request.htmx:
        messages.success(request, MARK_REMOVED[clean].format(movie=movie.display_title))
        return redirect(back_url(request, movie))
    context = {
        "movie": movies_with_genres([movie])[0],
        "predicted": rating_predict(user=request.user, movie=movie),
        "next_url": back_url(request, movie),
        SHOWN_LIST_PARAM: shown_list,
    }
    response = render(request, "recommender/_restored_card.html", context)
    response["HX-Trigger"] = MARKS_CHANGED_EVENT
    return response


def _skipped(request: HttpRequest) -> list[int]:
    return list(request.session.get(SKIPPED_SESSION_KEY, []))


def _genres(request: HttpRequest) -> list[str]:
    return list(request.session.get(GENRES_SESSION_KEY, []))


def _candidates(request: HttpRequest, *, exclude: set[int], count: int) -> list[Movie]:
    """The next ``count`` onboarding movies (of the genres picked, if any), leaving out those skipped and
    ``exclude``."""
    leave_out = exclude | set(_skipped(request))
    movies = onboarding_movies(user=request.user, limit=count + len(leave_out), genres=_genres(request) or None)
    chosen = [movie for movie in movies if movie.pk not in leave_out][:count]
    prefetch_related_objects(chosen, "genres")
    return chosen


def _progress_context(request: HttpRequest) -> dict[str, object]:
    rated = user_rating_count(user=request.user)
    return {
        "rated": rated,
        "target": ONBOARDING_TARGET,
        "done": rated >= ONBOARDING_TARGET,
        "percent": min(100, round(100 * rated / ONBOARDING_TARGET)),
    }


@require_safe
@login_required
def onboarding_view(request: HttpRequest) -> HttpResponse:
    movies = _candidates(request, exclude=set(), count=ONBOARDING_SHOWN)
    context = {
        **_progress_context(request),
        SHOWN_LIST_PARAM: _shown(request, ListKind.ONBOARDING, movies, version=served_version()),
        "movies": movies,
        "scores": user_scores(user=request.user, movies=movies),
        "next_url": request.get_full_path(),
        "genres_form": TasteGenresForm(initial={"genres": _genres(request)}),
        **_preview(request),
        **_search_context(request),
    }
    return render(request, "recommender/onboarding.html", context)


@login_required
def onboarding_genres_view(request: HtmxHttpRequest) -> HttpResponse:
    """The genres the newcomer likes: kept in the session, the movies to rate drawn from them (none: any genre)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"], content=POST_REQUIRED, content_type="text/plain; charset=utf-8")
    form = TasteGenresForm(request.POST)
    if form.is_valid():
        request.session[GENRES_SESSION_KEY] = form.cleaned_data["genres"]
        request.session[SKIPPED_SESSION_KEY] = []  # a new choice of movies: what was skipped may come back
    if not request.htmx:
        if form.is_valid():
            messages.info(request, GENRES_SAVED)
        else:
            messages.error(request, " ".join(map(str, form.errors["genres"])))
        return redirect("onboarding")
    movies = _candidates(request, exclude=set(), count=ONBOARDING_SHOWN) if form.is_valid() else []
    context = {
        SHOWN_LIST_PARAM: _shown(request, ListKind.ONBOARDING, movies, version=served_version()),
        "movies": movies,
        "scores": user_scores(user=request.user, movies=movies),
        "next_url": reverse("onboarding"),
        "genres_error": " ".join(map(str, form.errors.get("genres", []))),
    }
    return render(request, "recommender/_onboarding_list.html", context, status=200 if form.is_valid() else 422)


def _search_context(request: HttpRequest) -> dict[str, object]:
    form = OnboardingSearchForm(request.GET or None)
    query = form.query() if form.is_bound else ""
    movies = list(movie_list(query=query)[:ONBOARDING_SEARCH_SHOWN]) if query else []
    return {
        "search_form": form,
        "query": query,
        "found": movies,
        "found_scores": user_scores(user=request.user, movies=movies),
    }


@require_safe
@login_required
def onboarding_search_view(request: HtmxHttpRequest) -> HttpResponse:
    """Movies matching the onboarding page's search (typos forgiven), as cards to rate there; without htmx, the
    onboarding page with them."""
    context = _search_context(request)
    if not request.htmx:
        query = context["query"]
        return redirect(f"{reverse('onboarding')}?{urlencode({'q': query})}" if query else reverse("onboarding"))
    return render(request, "recommender/_onboarding_search.html", {**context, "next_url": reverse("onboarding")})


def _preview(request: HttpRequest) -> dict[str, object]:
    """The top of the newcomer's list, recorded as shown."""
    page = recommendations_for_user(user=request.user, limit=ONBOARDING_PREVIEW_SHOWN)
    movies = [item.movie for item in page.items]
    preview_list = _shown(request, ListKind.ONBOARDING_PREVIEW, movies, version=page.model_version, teams=page.teams)
    return {"preview": page.items, "preview_list": preview_list}


@require_safe
@login_required
def onboarding_preview_view(request: HttpRequest) -> HttpResponse:
    """The top of the newcomer's list, refreshed below the movies to rate after each rating."""
    return render(request, "recommender/_onboarding_preview.html", _preview(request))


@require_safe
@login_required
def onboarding_progress_view(request: HttpRequest) -> HttpResponse:
    return render(request, "recommender/_onboarding_progress.html", _progress_context(request))


@login_required
def onboarding_skip_view(request: HtmxHttpRequest) -> HttpResponse:
    """'Haven't seen it': forget the movie for this session and, for htmx, answer with the card that replaces it."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"], content=POST_REQUIRED, content_type="text/plain; charset=utf-8")
    movie_pk = _int_or_none(request.POST.get("movie"))
    if movie_pk is not None and Movie.objects.filter(pk=movie_pk).exists():
        skipped = [pk for pk in _skipped(request) if pk != movie_pk] + [movie_pk]
        request.session[SKIPPED_SESSION_KEY] = skipped[-ONBOARDING_SKIPPED_MAX:]
    if not request.htmx:
        return redirect("onboarding")
    shown = {pk for pk in map(_int_or_none, request.POST.getlist("shown")) if pk is not None}
    replacement = _candidates(request, exclude=shown, count=1)
    context = {"movie": replacement[0] if replacement else None, "score": None, "next_url": reverse("onboarding")}
    return render(request, "recommender/_onboarding_card.html", context)


@require_safe
def movie_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    movie = movie_or_404(pk)
    similar = movies_with_genres(similar_movies(movie=movie, limit=SIMILAR_MOVIES))
    # Opened from a list: the list's follow-up, and the page's forms stay the list's (an id that is not one of the
    # user's lists holding this movie is dropped, not an error).
    opened_from = shown_list_from(request.GET)
    if not request.user.is_authenticated or not follow_up_record(
        user=request.user, movie_id=movie.pk, shown_list=opened_from, action=Action.OPENED
    ):
        opened_from = None
    context = {
        **card_context(request, similar),
        SHOWN_LIST_PARAM: opened_from,
        "similar_list": _shown(request, ListKind.SIMILAR, similar, version=served_version(movie=movie)),
        "movie": movie,
        "distribution": rating_distribution(movie=movie),
        "tags": movie_top_tags(movie=movie),
        "score": rating_score(user=request.user, movie=movie),
        "mark": user_mark(user=request.user, movie=movie),
        # Computed even when the movie is rated: removing the rating in place shows it again.
        "predicted": rating_predict(user=request.user, movie=movie),
        "similar": similar,
    }
    return render(request, "ratings/movie_detail.html", context)
