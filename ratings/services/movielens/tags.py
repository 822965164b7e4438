"""Import the CSV layout's tags.csv (ml-latest, ml-20m, ml-25m, ml-32m): the free-text tags raters gave movies.

Each line is checked like every MovieLens line, and the first bad one raises ``MovieLensError`` naming the file,
the line and the reason: a movie the import does not know, a tag over TAG_MAX_LENGTH characters or holding a null
character (PostgreSQL cannot store one), a bad timestamp, malformed CSV. The caller's transaction keeps the import
all or nothing.

A tag's user need not be a rater of the copy's ratings.csv: GroupLens samples users by their ratings and then
writes the tags of those users, but nothing in the layout promises it, and refusing would refuse a whole 25M copy
over one user who tagged without rating. Such a user is created as the ratings-only layouts create raters (by the
importer's ``add_raters``: an account under the MovieLens id, with a profile), so that a tag always names the same
account as that user's ratings, in this copy or a later one, and the tags table never holds a bare id.

Tags are stored as given, trimmed of surrounding blanks: "Funny" and "funny" are two tags, as MovieLens shows
them. A line whose tag is blank says nothing and is skipped (ml-25m has a few). A tag stored already, or repeated
in the file, is counted present: a re-import adds only what is missing, as it does for ratings.
"""

import datetime as dt
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice

from django.db import connection, transaction
from tqdm import tqdm

from ratings.models import TAG_MAX_LENGTH, Tag

from .layouts import (
    UNKNOWN_MOVIE,
    RaterRecord,
    _id,
    _Invalid,
    _invalid,
    _line_error,
    _rows,
    _text,
    _timestamp,
)
from .sources import SourceFiles
from .tables import TableFormat

TAGS = TableFormat("tags.csv", "utf-8", ",", ("userId", "movieId", "tag", "timestamp"), header=True, quoted=True)
NULL_IN_TAG = "the tag {value!r} holds a null character"
# Lines parsed, checked and written at a time: the raters they name are created together, and a chunk's rows stay
# a few megabytes at ml-25m's million lines.
CHUNK_LINES = 50_000
STAGING_TABLE = "movielens_tags_staging"


@dataclass(frozen=True, slots=True)
class TagsSummary:
    added: int
    present: int  # stored already, or repeated in the file
    users_added: int  # users who tagged but were not raters yet


@dataclass(frozen=True, slots=True)
class _TagRow:
    user_id: int  # MovieLens ids, until the chunk is written
    movie_id: int
    text: str
    timestamp: dt.datetime


def movielens_tags_import(
    *,
    files: SourceFiles,
    movie_pks: dict[int, int],
    rater_pks: dict[int, int],
    add_raters: Callable[[list[RaterRecord]], dict[int, int]],
    progress: bool = False,
) -> TagsSummary:
    """Add the tags of ``files``'s tags.csv that are missing (none when there is no tags.csv).

    ``movie_pks`` and ``rater_pks`` map MovieLens ids to Movie and User pks (the import's, after its movies and
    raters are written); ``add_raters`` creates raters for users who tagged without rating and returns their pks.
    """
    member = files.find(TAGS.name)
    if member is None:
        return TagsSummary(added=0, present=0, users_added=0)
    known = dict(rater_pks)
    added = lines = users_added = 0
    total = files.count_lines(member) - 1
    bar = tqdm(total=total, desc="tags", unit=" rows", file=sys.stderr, disable=not progress)
    with bar, transaction.atomic():
        write = _PostgresWriter() if connection.vendor == "postgresql" else _BulkWriter()
        rows = _tag_rows(files, movie_pks)
        while chunk := list(islice(rows, CHUNK_LINES)):
            if missing := sorted({row.user_id for row in chunk} - known.keys()):
                known |= add_raters([RaterRecord(movielens_id) for movielens_id in missing])
                users_added += len(missing)
            added += write(chunk, known, movie_pks)
            lines += len(chunk)
            bar.update(len(chunk))
        write.close()
    return TagsSummary(added=added, present=lines - added, users_added=users_added)


def _tag_rows(files: SourceFiles, movie_pks: dict[int, int]) -> Iterator[_TagRow]:
    for line, (user_id, movie_id, tag, timestamp) in _rows(files, TAGS):
        try:
            text = _text(tag.strip(), "tag", TAG_MAX_LENGTH)
            row = _TagRow(_id(user_id, "user id"), _id(movie_id, "movie id"), text, _timestamp(timestamp))
            if row.movie_id not in movie_pks:
                raise _invalid(UNKNOWN_MOVIE, value=row.movie_id, items="movies.csv")
            if "\x00" in text:
                raise _invalid(NULL_IN_TAG, value=text)
        except _Invalid as exc:
            raise _line_error(files, TAGS, line, exc) from None
        if text:
            yield row


class _PostgresWriter:
    """COPY each chunk into a temporary table, then insert what is missing from it in one statement: COPY itself
    cannot skip a row already stored, and INSERTs of a million rows take minutes."""

    def __init__(self) -> None:
        self.table = connection.ops.quote_name(Tag._meta.db_table)
        column_of = {field.name: field.column for field in Tag._meta.concrete_fields if field.column}
        self.columns = ", ".join(
            connection.ops.quote_name(column_of[name]) for name in ("user", "movie", "text", "timestamp")
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {STAGING_TABLE} (user_id int8, movie_id int8, text text, at timestamptz)"
                " ON COMMIT DROP"
            )

    def __call__(self, chunk: list[_TagRow], rater_pks: dict[int, int], movie_pks: dict[int, int]) -> int:
        with connection.cursor() as cursor, connection.wrap_database_errors:
            with cursor.cursor.copy(f"COPY {STAGING_TABLE} FROM STDIN") as copy:
                for row in chunk:
                    copy.write_row((rater_pks[row.user_id], movie_pks[row.movie_id], row.text, row.timestamp))
            cursor.execute(
                f"INSERT INTO {self.table} ({self.columns}) "  # noqa: S608 (the model's names and ours)
                f"SELECT user_id, movie_id, text, at FROM {STAGING_TABLE} "
                "ON CONFLICT DO NOTHING"
            )
            added = cursor.rowcount
            cursor.execute(f"TRUNCATE {STAGING_TABLE}")
        return added

    def close(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {STAGING_TABLE}")


class _BulkWriter:
    """bulk_create skipping the rows stored already; what it added is the table's growth (bulk_create with
    ignore_conflicts does not say)."""

    def __call__(self, chunk: list[_TagRow], rater_pks: dict[int, int], movie_pks: dict[int, int]) -> int:
        before = Tag.objects.count()
        Tag.objects.bulk_create(
            (
                Tag(
                    user_id=rater_pks[row.user_id],
                    movie_id=movie_pks[row.movie_id],
                    text=row.text,
                    timestamp=row.timestamp,
                )
                for row in chunk
            ),
            batch_size=5000,
            ignore_conflicts=True,
        )
        return Tag.objects.count() - before

    def close(self) -> None:
        pass
