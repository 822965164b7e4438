"""A movie's poster, at /movies/<pk>/poster: kept a day by browsers and proxies, then revalidated (304)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from ratings.endpoints import MOVIE_NOT_FOUND
from ratings.models import Movie
from ratings.posters.selectors import movie_poster

POSTER_MAX_AGE = 86400
# The poster is an image, never a document: opened on its own, an SVG may run nothing and load nothing (its own
# style attributes aside), whatever the site's policy says elsewhere.
POSTER_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


@require_safe
def poster_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        poster = movie_poster(pk=pk)
    except Movie.DoesNotExist:
        raise Http404(MOVIE_NOT_FOUND) from None
    response = HttpResponse(content_type=poster.content_type)
    response["ETag"] = poster.etag
    last_modified = int(poster.last_modified.timestamp()) if poster.last_modified else None
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    # A day: a poster fetched from TMDB replaces the drawn one at the same address within that time.
    response["Cache-Control"] = f"public, max-age={POSTER_MAX_AGE}"
    response["Content-Security-Policy"] = POSTER_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    conditional = get_conditional_response(request, etag=poster.etag, last_modified=last_modified, response=response)
    if conditional is not None and conditional is not response:
        return conditional
    response.content = poster.read()
    return response
