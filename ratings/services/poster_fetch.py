"""Fetch posters and overviews from TMDB for the movies with an IMDb or TMDB id (links.csv), one movie at a time:
each is saved as soon as it is fetched, so a run that stops keeps what it got, and the next run goes on from there
(a movie TMDB answered for, found or not, is not asked about again, unless its poster file has gone since)."""

import logging
import sys
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from tqdm import tqdm

from ratings.models import Movie
from ratings.posters.files import PosterFileError, poster_file_path, poster_file_write

from .tmdb import TmdbClient, TmdbError, TmdbNotFound

logger = logging.getLogger(__name__)

STOPPED = "{reason} Stopped after {fetched} posters; what was fetched is kept, and the next run goes on from there."
BAD_IMAGE = "movie %s: TMDB's image %s was refused (%s); the movie is asked about again next run"


@dataclass(frozen=True, slots=True)
class PosterFetchSummary:
    posters: int  # posters stored
    overviews: int  # overviews stored
    no_poster: int  # TMDB knows the movie but has no poster for it
    not_found: int  # TMDB does not know the movie (404, or no result for its IMDb id)
    bad_images: int  # an image that was not a JPEG, PNG or WebP, or too large: asked again next run
    no_id: int  # movies without an IMDb or TMDB id, which TMDB cannot be asked about
    already: int  # movies an earlier run fetched


class PosterFetchStopped(TmdbError):
    """TMDB cannot be used now (a bad key, a long wait, a timeout); ``summary`` says what was fetched before."""

    def __init__(self, message: str, summary: PosterFetchSummary) -> None:
        super().__init__(message)
        self.summary = summary


def posters_fetch(*, client: TmdbClient, limit: int | None = None, progress: bool = False) -> PosterFetchSummary:
    """Ask TMDB about each movie with an id that no run has fetched yet, or whose poster file is gone (a restore
    without POSTER_DIR), the first ``limit`` of them by pk; store its poster under POSTER_DIR and its overview.
    PosterFetchStopped when TMDB cannot be used."""
    has_id = ~Q(imdb_id="") | Q(tmdb_id__isnull=False)
    with_id = (
        Movie.objects.filter(has_id).order_by("pk").only("pk", "imdb_id", "tmdb_id", "poster_file", "tmdb_fetched_at")
    )
    counts = dict.fromkeys(("posters", "overviews", "no_poster", "not_found", "bad_images", "already"), 0)
    counts["no_id"] = Movie.objects.exclude(has_id).count()
    movies: list[Movie] = []
    for movie in with_id.iterator(chunk_size=2000):
        if movie.tmdb_fetched_at is not None and (not movie.poster_file or poster_file_path(movie.poster_file)):
            counts["already"] += 1
        elif limit is None or len(movies) < limit:
            movies.append(movie)
    bar = tqdm(movies, desc="posters", unit=" movies", file=sys.stderr, disable=not progress)
    with bar:
        for movie in bar:
            try:
                outcome = _movie_fetch(client, movie)
            except TmdbError as exc:
                summary = PosterFetchSummary(**counts)
                raise PosterFetchStopped(STOPPED.format(reason=exc, fetched=summary.posters), summary) from exc
            for name in outcome:
                counts[name] += 1
    return PosterFetchSummary(**counts)


def _movie_fetch(client: TmdbClient, movie: Movie) -> list[str]:
    """Fetch one movie and save what TMDB has; the names of the counts it adds to."""
    try:
        found = client.movie(tmdb_id=movie.tmdb_id, imdb_id=movie.imdb_id)
    except TmdbNotFound:
        Movie.objects.filter(pk=movie.pk).update(tmdb_fetched_at=timezone.now())
        return ["not_found"]
    poster_file = ""
    if found.poster_path:
        try:
            poster_file = poster_file_write(stem=str(movie.pk), content=client.image(found.poster_path))
        except TmdbNotFound:
            pass
        except PosterFileError as exc:
            logger.warning(BAD_IMAGE, movie.pk, found.poster_path, exc)
            return ["bad_images"]
    # The file is in place before the row names it: a run killed in between leaves a file that the next run replaces.
    Movie.objects.filter(pk=movie.pk).update(
        tmdb_id=found.tmdb_id,
        overview=found.overview,
        poster_file=poster_file,
        tmdb_fetched_at=timezone.now(),
    )
    return ["posters" if poster_file else "no_poster"] + (["overviews"] if found.overview else [])
