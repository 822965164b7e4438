"""The import's bulk path: ratings read as arrays (ratings.services.movielens.rating_arrays) agree with the line
reader on every layout, and PostgreSQL's load into an empty table (bulk_load) puts back every index, constraint and
trigger, also when the load fails."""

import datetime as dt
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection

from ratings.models import Movie, Rating, Tag
from ratings.services.movielens import MovieLensError, SourceFiles, movielens_import, movielens_read
from tests.factories import UserFactory

RATINGS_FILE = {"100k": "u.data", "1m": "ratings.dat", "10m": "ratings.dat", "csv": "ratings.csv"}
RATINGS_FILE["recbole"] = "ml-tiny.inter"
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the ratings table's indexes are set aside on PostgreSQL only"
)


def both_readers(source: Path, *, chunk_rows: int = 1_000_000) -> tuple[np.ndarray, np.ndarray]:
    """The ratings as (user, movie, score, seconds) rows, read by the array reader and by the line reader."""
    files = SourceFiles(source)
    try:
        data = movielens_read(files=files)
        chunks = [
            np.column_stack([chunk.user_ids, chunk.movie_ids, chunk.scores, chunk.seconds])
            for chunk in data.read_rating_arrays(chunk_rows=chunk_rows)
        ]
        records = [(r.user_id, r.movie_id, r.score, r.timestamp.timestamp()) for r in data.read_ratings()]
        return np.concatenate(chunks), np.array(records, dtype=np.float64)
    finally:
        files.close()


@pytest.mark.parametrize("layout", list(RATINGS_FILE))
def test_the_array_reader_reads_what_the_line_reader_reads_in_every_layout(movielens_files, layout):
    arrays, records = both_readers(movielens_files.write(layout))

    assert len(records) == len(movielens_files.ratings)
    np.testing.assert_array_equal(arrays, records)


@pytest.mark.parametrize("layout", ["10m", "csv"])
def test_thousands_of_lines_read_alike_across_buffers_and_chunks(movielens_files, layout):
    """Enough lines that "::" falls across the reader's buffer boundaries, in chunks that end mid-file."""
    files = movielens_files.lines(layout)
    name = RATINGS_FILE[layout]
    separator = "," if layout == "csv" else "::"
    stars = ["0.5", "1", "2.5", "3.0", "4.5", "5"]
    files[name][-len(movielens_files.ratings) :] = [
        separator.join([str(1 + n % 3), str(1 + n % 4), stars[n % 6], str(874_965_758 + 7 * n)]) for n in range(3_000)
    ]
    arrays, records = both_readers(movielens_files.save(files), chunk_rows=700)

    assert len(records) == 3_000
    np.testing.assert_array_equal(arrays, records)


@pytest.mark.django_db
@pytest.mark.parametrize("odd_line", [" ", "\t\t"], ids=["spaces", "tabs"])
def test_a_line_only_the_line_reader_takes_leaves_the_file_to_it(movielens_files, odd_line):
    """A line of blanks is no rating to the line reader, and the array reader refuses the file for it: the line
    reader reads the file instead, and the import takes every rating."""
    files = movielens_files.lines("100k")
    files["u.data"].insert(3, odd_line)
    source = movielens_files.save(files)
    arrays, records = both_readers(source, chunk_rows=2)
    np.testing.assert_array_equal(arrays, records)

    summary = movielens_import(source=source)

    assert summary.ratings_added == Rating.objects.count() == len(movielens_files.ratings)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("3,4,4.3,880000000", "rating '4.3' is not a half star"),
        ("3,4,4.0,-5", "timestamp '-5' is not a Unix time"),
        ("3,+4,4.0,880000000", "movie id '\\+4' is not a whole number"),
        ("3,99,4.0,880000000", "movie id 99 is not in movies.csv"),
    ],
)
def test_a_bad_line_after_the_first_chunks_is_named_by_the_line_reader(movielens_files, line, reason):
    files = movielens_files.lines("csv")
    files["ratings.csv"][-1] = line
    data = movielens_read(files=SourceFiles(movielens_files.save(files)))

    with pytest.raises(MovieLensError, match=rf"ratings.csv, line {len(files['ratings.csv'])}: {reason}"):
        list(data.read_rating_arrays(chunk_rows=2))


def rating_table_schema() -> dict[str, list[tuple[str, ...]]]:
    """The ratings table's indexes, constraints and triggers (with whether each trigger is enabled)."""
    table = Rating._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY 1", [table])
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass ORDER BY 1",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal ORDER BY 1",
            [table],
        )
        triggers = cursor.fetchall()
    return {"indexes": indexes, "constraints": constraints, "triggers": triggers}


@pytest.mark.django_db
@on_postgresql
def test_loading_an_empty_table_puts_back_every_index_constraint_and_trigger(movielens_files):
    before = rating_table_schema()
    assert len(before["indexes"]) > 2 and before["triggers"]

    movielens_import(source=movielens_files.write("csv"))

    assert rating_table_schema() == before
    # The rating statistics' trigger runs again: a site user's rating counts on the movie at once.
    movie = Movie.objects.get(movielens_id=4)
    count = movie.rating_count
    Rating.objects.create(user=UserFactory(), movie=movie, score=4.5, timestamp=dt.datetime.now(dt.UTC))
    movie.refresh_from_db()
    assert movie.rating_count == count + 1
    with connection.cursor() as cursor:  # the planner has statistics for the freshly loaded table
        cursor.execute("SELECT count(*) FROM pg_stats WHERE tablename = %s", [Rating._meta.db_table])
        assert cursor.fetchone()[0] > 0


@pytest.mark.django_db
@on_postgresql
def test_a_pair_rated_twice_fails_the_rebuilt_constraint_and_changes_nothing(movielens_files):
    before = rating_table_schema()
    files = movielens_files.lines("csv")
    files["ratings.csv"].append("1,1,2.0,900000000")
    source = movielens_files.save(files)

    with pytest.raises(MovieLensError, match=r"line 9: user 1 already rated movie 1 on line 2"):
        movielens_import(source=source)

    assert Rating.objects.count() == Movie.objects.count() == 0
    assert rating_table_schema() == before


@pytest.mark.django_db
def test_each_rating_keeps_its_exact_score_and_second(movielens_files):
    files = movielens_files.lines("csv")
    files["ratings.csv"].append("3,1,0.5,1574327703")
    movielens_import(source=movielens_files.save(files))

    rating = Rating.objects.get(user__profile__movielens_id=3, movie__movielens_id=1)
    assert (rating.score, rating.timestamp) == (0.5, dt.datetime(2019, 11, 21, 9, 15, 3, tzinfo=dt.UTC))


@pytest.mark.django_db
def test_the_import_stores_tags_csv_and_says_how_many(movielens_files):
    files = movielens_files.lines("csv")
    files["tags.csv"] = ["userId,movieId,tag,timestamp", '1,2,"funny, dark",1574327703', "9,1,classic,1574327704"]
    source = movielens_files.save(files)
    out = StringIO()
    call_command("import_movielens", "--source", str(source), stdout=out, verbosity=0)

    assert "Added 2 tags (0 already there; tags.csv)." in out.getvalue()
    assert set(Tag.objects.values_list("user__profile__movielens_id", "movie__movielens_id", "text")) == {
        (1, 2, "funny, dark"),
        (9, 1, "classic"),
    }
    summary = movielens_import(source=source)
    assert (summary.tags_added, summary.tags_present, summary.nothing_added) == (0, 2, True)


@pytest.mark.django_db(transaction=True)
@on_postgresql
def test_an_import_outside_a_transaction_leaves_the_ratings_pages_all_visible(movielens_files):
    """VACUUM after the import's commit marks the loaded pages all-visible, so a movie's score distribution is read
    from the (movie, score) index alone."""
    movielens_import(source=movielens_files.write("csv"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpages, relallvisible FROM pg_class WHERE oid = %s::regclass", [Rating._meta.db_table])
        pages, visible = cursor.fetchone()
    assert pages > 0 and visible == pages
