"""Which picture a movie's poster address serves (TMDB's stored image, else the drawn SVG), with the validators
that let a browser revalidate it for nothing (ETag, Last-Modified)."""

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from ratings.models import Movie, natural_title_parts

from .drawn import poster_svg
from .files import KINDS, poster_file_path

SVG = "image/svg+xml"


@dataclass(frozen=True)
class Poster:
    content_type: str
    etag: str  # quoted, as the header carries it
    last_modified: dt.datetime | None
    read: Callable[[], bytes]  # called only when the body is sent (not for a 304)


def movie_poster(*, pk: int) -> Poster:
    """The stored poster of movie ``pk`` when posters_fetch kept one and it is still on disk, else the drawn one;
    Movie.DoesNotExist when there is no such movie. Two small queries: no rating statistics are needed here."""
    movie = Movie.objects.only("title", "year", "poster_file").prefetch_related("genres").get(pk=pk)
    path = poster_file_path(movie.poster_file)
    if path is not None:
        stat = path.stat()
        tag = hashlib.sha256(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:32]
        return Poster(
            content_type=KINDS[path.suffix[1:]].content_type,
            etag=f'"{tag}"',
            last_modified=dt.datetime.fromtimestamp(int(stat.st_mtime), tz=dt.UTC),
            read=path.read_bytes,
        )
    main, alternate = natural_title_parts(movie.title)
    genres = [genre.name for genre in movie.genres.all()]
    body = poster_svg(title=main, alternate=alternate, year=movie.year, genres=genres).encode()
    # From the bytes themselves: a new title, a genre more or a change to the drawing is a new tag.
    tag = hashlib.sha256(body).hexdigest()[:32]
    return Poster(content_type=SVG, etag=f'"{tag}"', last_modified=None, read=lambda: body)
