"""Write a parsed MovieLens source to the database: in one transaction, in bulk, adding only what is missing."""

import datetime as dt
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, connection, transaction
from django.utils.text import slugify
from tqdm import tqdm

from ratings.folding import text_fold
from ratings.models import Genre, Movie, Profile, Rating
from ratings.pg_copy import copy_arrays_in
from ratings.services.rating_stats import rating_stats_paused
from recsys.vocabulary import IdRows

from .bulk_load import indexes_deferred, table_vacuum
from .layouts import MovieLensData, MovieRecord, RaterRecord, movielens_read
from .sources import MovieLensError, SourceFiles, movielens_fetch
from .tags import movielens_tags_import

T = TypeVar("T")

USERNAME_PREFIX = "ml_"
# Rows handed to one bulk_create; Django splits them further where the backend limits query parameters (SQLite).
BATCH_SIZE = 5000

USERNAME_TAKEN = "cannot create MovieLens rater {movielens_id}: the username {username!r} belongs to another account"


@dataclass(frozen=True, slots=True)
class ImportSummary:
    source: str
    layout: str
    movies_added: int
    genres_added: int
    users_added: int
    ratings_added: int
    movies_present: int
    users_present: int
    ratings_present: int
    movies_linked: int = 0  # movies already there that links.csv gave their first IMDb and TMDB ids
    tags_added: int = 0  # tags.csv's tags (ml-latest, ml-20m and later)
    tags_present: int = 0

    @property
    def nothing_added(self) -> bool:
        return not (
            self.movies_added
            or self.genres_added
            or self.users_added
            or self.ratings_added
            or self.movies_linked
            or self.tags_added
        )


def movielens_username(movielens_id: int) -> str:
    return f"{USERNAME_PREFIX}{movielens_id}"


def movielens_import(*, source: str | Path | None = None, progress: bool = False) -> ImportSummary:
    """Import a MovieLens folder, zip or URL (default: ml-100k), adding only the movies, raters and ratings missing.

    All or nothing: any bad line or conflict raises ``MovieLensError`` and leaves the database as it was.
    """
    if source is None:
        path = movielens_fetch()
    elif str(source).startswith(("http://", "https://")):
        path = movielens_fetch(url=str(source))
    else:
        path = Path(source)
    files = SourceFiles(path)
    try:
        data = movielens_read(files=files)
        try:
            # The movies' rating counts are recounted once at the end, not updated by a trigger per rating.
            with transaction.atomic(), rating_stats_paused():
                summary = _write(data, files=files, source=str(path), progress=progress)
        except IntegrityError as exc:
            # Only a pair rated twice in the file gets here (everything else is checked first); find its lines.
            duplicate = data.duplicate_rating()
            if duplicate is None:
                raise
            raise duplicate from exc
    finally:
        files.close()
    if summary.ratings_added:
        # The ratings just loaded, and every movie row whose statistics the import recounted.
        for table in (Rating._meta.db_table, Movie._meta.db_table):
            table_vacuum(table=table)
    return summary


def _write(data: MovieLensData, *, files: SourceFiles, source: str, progress: bool) -> ImportSummary:
    # cast: the filters leave no movie or rater without a MovieLens id.
    movie_pks = cast(
        dict[int, int], dict(Movie.objects.filter(movielens_id__isnull=False).values_list("movielens_id", "pk"))
    )
    new_movies = [movie for movie in data.movies if movie.movielens_id not in movie_pks]
    genre_pks, genres_added = _add_genres(new_movies)
    movies_linked = _add_links([movie for movie in data.movies if movie.movielens_id in movie_pks])
    movie_pks |= _add_movies(new_movies, genre_pks, progress=progress)

    rater_pks = cast(
        dict[int, int], dict(Profile.objects.filter(movielens_id__isnull=False).values_list("movielens_id", "user_id"))
    )
    known_raters = set(rater_pks)
    users_added = 0
    if data.raters is not None:
        new_raters = [rater for rater in data.raters if rater.movielens_id not in rater_pks]
        rater_pks |= _add_raters(new_raters, progress=progress)
        users_added = len(new_raters)

    # Only raters that existed before can already have ratings; checking pairs for new raters would be wasted work.
    present_pairs = np.empty(0, dtype=np.int64)
    if known_raters:
        pairs = Rating.objects.from_movielens().values_list("user_id", "movie_id")
        present_pairs = np.unique(np.array([_pair_key(*pair) for pair in pairs], dtype=np.int64))
    raters_seen: set[int] = set()
    ratings_added = ratings_present = 0
    bar = tqdm(total=data.rating_rows, desc="ratings", unit=" rows", file=sys.stderr, disable=not progress)
    movie_lookup, rater_lookup = _PkLookup.of(movie_pks), _PkLookup.of(rater_pks)
    with bar, indexes_deferred(table=Rating._meta.db_table):
        for chunk in data.read_rating_arrays():
            raters = np.unique(chunk.user_ids)
            raters_seen.update(raters.tolist())
            if data.raters is None and (missing := set(raters.tolist()) - rater_pks.keys()):
                rater_pks |= _add_raters([RaterRecord(movielens_id) for movielens_id in sorted(missing)])
                users_added += len(missing)
                rater_lookup = _PkLookup.of(rater_pks)  # only a layout without a user file meets raters here
            user_pks, movie_pks_of = rater_lookup.pks_of(chunk.user_ids), movie_lookup.pks_of(chunk.movie_ids)
            new = ~np.isin(_pair_key(user_pks, movie_pks_of), present_pairs) if len(present_pairs) else slice(None)
            added = _ratings_insert(user_pks[new], movie_pks_of[new], chunk.scores[new], chunk.seconds[new])
            ratings_added += added
            ratings_present += len(chunk) - added
            bar.update(len(chunk))

    tags = movielens_tags_import(
        files=files, movie_pks=movie_pks, rater_pks=rater_pks, add_raters=_add_raters, progress=progress
    )
    users_added += tags.users_added
    source_raters = raters_seen if data.raters is None else {rater.movielens_id for rater in data.raters}
    return ImportSummary(
        source=source,
        layout=data.layout,
        movies_added=len(new_movies),
        genres_added=genres_added,
        users_added=users_added,
        ratings_added=ratings_added,
        movies_present=len(data.movies) - len(new_movies),
        users_present=len(source_raters & known_raters),
        ratings_present=ratings_present,
        movies_linked=movies_linked,
        tags_added=tags.added,
        tags_present=tags.present,
    )


def _pair_key(user_pk: Any, movie_pk: Any) -> Any:
    """One int64 for a (user pk, movie pk) pair, for scalars and arrays alike: both pks are below 2**31."""
    return (np.asarray(user_pk, dtype=np.int64) << 32) | np.asarray(movie_pk, dtype=np.int64)


@dataclass(frozen=True)
class _PkLookup:
    """{MovieLens id: pk} as arrays, built once per import (not per chunk of ratings, of which ml-25m has 25): a
    chunk's ids then cost one binary search each."""

    rows: IdRows  # of the MovieLens ids
    pks: np.ndarray  # int64, the pk of each of those ids, row by row

    @classmethod
    def of(cls, pks: dict[int, int]) -> "_PkLookup":
        ids = np.fromiter(pks.keys(), dtype=np.int64, count=len(pks))
        return cls(rows=IdRows.of(ids), pks=np.fromiter(pks.values(), dtype=np.int64, count=len(pks)))

    def pks_of(self, movielens_ids: np.ndarray) -> np.ndarray:
        """The pks of ``movielens_ids``, each one known (the reader checked them)."""
        return self.pks[self.rows.rows(movielens_ids)]


def _ratings_insert(user_pks: np.ndarray, movie_pks: np.ndarray, scores: np.ndarray, seconds: np.ndarray) -> int:
    """Insert ratings: on PostgreSQL a binary COPY of the arrays, many times faster than INSERTs at millions of
    rows; elsewhere bulk_create. Inside the import's transaction either way, so all or nothing holds, and the
    table's constraints check every row (at once, where ``indexes_deferred`` set them aside). Returns how many."""
    if connection.vendor == "postgresql":
        column_of = {field.name: field.column for field in Rating._meta.concrete_fields if field.column}
        columns = [column_of[name] for name in ("user", "movie", "score", "timestamp")]
        # Django's error wrapper, so that a violated constraint is the IntegrityError the import explains.
        with connection.wrap_database_errors:
            copy_arrays_in(table=Rating._meta.db_table, columns=columns, values=[user_pks, movie_pks, scores, seconds])
        return len(user_pks)
    for start in range(0, len(user_pks), BATCH_SIZE):
        window = slice(start, start + BATCH_SIZE)
        Rating.objects.bulk_create(
            Rating(user_id=user_pk, movie_id=movie_pk, score=score, timestamp=dt.datetime.fromtimestamp(when, dt.UTC))
            for user_pk, movie_pk, score, when in zip(
                user_pks[window].tolist(),
                movie_pks[window].tolist(),
                scores[window].tolist(),
                seconds[window].tolist(),
                strict=True,
            )
        )
    return len(user_pks)


def _add_genres(movies: list[MovieRecord]) -> tuple[dict[str, int], int]:
    """Map each genre name of ``movies`` to a Genre pk, creating the missing ones; return the map and how many."""
    by_name, by_slug = {}, {}
    for pk, name, slug in Genre.objects.values_list("pk", "name", "slug"):
        by_name[name], by_slug[slug] = pk, pk
    # A genre under another spelling with the same slug ("Sci-Fi", "Sci Fi") is the same genre.
    missing: dict[str, Genre] = {}
    for name in dict.fromkeys(name for movie in movies for name in movie.genres):
        if name not in by_name and slugify(name) not in by_slug:
            missing.setdefault(slugify(name), Genre(name=name, slug=slugify(name)))
    Genre.objects.bulk_create(missing.values())
    by_slug |= {genre.slug: genre.pk for genre in missing.values()}
    names = {name for movie in movies for name in movie.genres}
    return {name: by_name[name] if name in by_name else by_slug[slugify(name)] for name in names}, len(missing)


def _add_movies(movies: list[MovieRecord], genre_pks: dict[str, int], *, progress: bool) -> dict[int, int]:
    rows = [
        Movie(
            movielens_id=movie.movielens_id,
            title=movie.title,
            title_folded=text_fold(movie.title),
            year=movie.year,
            release_date=movie.release_date,
            imdb_url=movie.imdb_url,
            imdb_id=movie.imdb_id,
            tmdb_id=movie.tmdb_id,
        )
        for movie in tqdm(movies, desc="movies", unit=" movies", file=sys.stderr, disable=not progress)
    ]
    Movie.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    links = [
        Movie.genres.through(movie_id=row.pk, genre_id=genre_pk)
        for row, movie in zip(rows, movies, strict=True)
        for genre_pk in dict.fromkeys(genre_pks[name] for name in movie.genres)
    ]
    Movie.genres.through.objects.bulk_create(links, batch_size=BATCH_SIZE)
    return {movie.movielens_id: row.pk for row, movie in zip(rows, movies, strict=True)}


def _add_links(present: list[MovieRecord]) -> int:
    """Give the movies already there, imported before links.csv was read, the ids it has for them; a movie that has
    ids keeps them. Returns how many were given ids."""
    linked = {movie.movielens_id: movie for movie in present if movie.imdb_id or movie.tmdb_id is not None}
    if not linked:
        return 0
    rows = list(Movie.objects.filter(movielens_id__in=linked, imdb_id="", tmdb_id__isnull=True))
    for row in rows:
        found = linked[cast(int, row.movielens_id)]  # one of linked's, by the filter
        row.imdb_id, row.tmdb_id = found.imdb_id, found.tmdb_id
    Movie.objects.bulk_update(rows, ["imdb_id", "tmdb_id"], batch_size=BATCH_SIZE)
    return len(rows)


def _add_raters(raters: list[RaterRecord], *, progress: bool = False) -> dict[int, int]:
    user_model = get_user_model()
    usernames = {movielens_username(rater.movielens_id): rater for rater in raters}
    for chunk in _batches(usernames, 500):
        if taken := sorted(user_model.objects.filter(username__in=chunk).values_list("username", flat=True)):
            username = taken[0]
            raise MovieLensError(
                USERNAME_TAKEN.format(movielens_id=usernames[username].movielens_id, username=username)
            )
    # make_password(None) is what set_unusable_password stores: a marked random string, so no hashing per rater.
    users = [
        user_model(username=username, password=make_password(None))
        for username in tqdm(usernames, desc="raters", unit=" users", file=sys.stderr, disable=not progress)
    ]
    user_model.objects.bulk_create(users, batch_size=BATCH_SIZE)
    profiles = [
        Profile(
            user_id=user.pk,
            movielens_id=rater.movielens_id,
            age=rater.age,
            gender=rater.gender,
            occupation=rater.occupation,
            zip_code=rater.zip_code,
        )
        for user, rater in zip(users, raters, strict=True)
    ]
    Profile.objects.bulk_create(profiles, batch_size=BATCH_SIZE)
    return {rater.movielens_id: user.pk for user, rater in zip(users, raters, strict=True)}


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
