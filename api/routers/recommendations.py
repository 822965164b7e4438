"""What the recommender says: GET /api/me/recommendations, /api/onboarding/movies and /api/movies/{id}/similar.

Your recommendations leave out what you rated, put on your watchlist or hid (not interested). Each list of them
is recorded as shown (feedback), and its `shown_list` id, sent back with a rating or a mark of one of its movies,
counts that as the list's follow-up.
"""

from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from ninja import Query, Router

from api.requests import AuthenticatedRequest
from api.routers.movies import GENRE_PATTERN, genre_check, movie_or_404
from api.schemas import ErrorOut, Id, MovieOut, RecommendationsOut
from feedback.models import ListKind
from feedback.services import shown_list_record
from ratings.models import Movie
from recommender.services.recommendations import onboarding_movies, recommendations_for_user, similar_movies

N_MAX = 100

router = Router(tags=["recommendations"])

AUTH_ERRORS = {401: ErrorOut, 403: ErrorOut}


@router.get(
    "/me/recommendations",
    response={200: RecommendationsOut, 400: ErrorOut, 422: ErrorOut, **AUTH_ERRORS},
    summary="Your recommendations, best first, each with the rated movie that explains it",
)
def recommendations(
    request: AuthenticatedRequest,
    n: int = Query(20, ge=1, le=N_MAX),
    genre: str | None = Query(None, pattern=GENRE_PATTERN, description="A genre slug, e.g. `sci-fi`"),
) -> dict:
    genre_check(genre)
    page = recommendations_for_user(user=request.auth, limit=n, genre=genre)
    shown_list = shown_list_record(
        user=request.auth,
        kind=ListKind.API_RECOMMENDATIONS,
        movie_ids=[item.movie.pk for item in page.items],
        model_version_id=page.model_version.pk if page.model_version else None,
        teams=page.teams,
    )
    return {
        "shown_list": shown_list,
        "source": "popularity" if page.is_fallback else "model",
        "fallback_reason": page.fallback,
        "model_version": page.model_version,
        "total": page.total,
        "items": page.items,
    }


@router.get(
    "/onboarding/movies",
    response={200: list[MovieOut], 422: ErrorOut, **AUTH_ERRORS},
    summary="Well-known movies to rate first, spread over tastes, that you have not rated",
)
def onboarding(request: AuthenticatedRequest, n: int = Query(20, ge=1, le=N_MAX)) -> list[Movie]:
    return onboarding_movies(user=request.auth, limit=n)


@router.get(
    "/movies/{int:movie_id}/similar",
    auth=None,
    response={200: list[MovieOut], 404: ErrorOut, 422: ErrorOut},
    summary="Movies the active model places nearest to this one (by shared genres without a model)",
)
def similar(request: HttpRequest, movie_id: Id, n: int = Query(10, ge=1, le=N_MAX)) -> list[Movie]:
    found = similar_movies(movie=movie_or_404(movie_id), limit=n)
    prefetch_related_objects(found, "genres")
    return found
