"""The import_movielens command: the three layouts, idempotency, all-or-nothing, strict errors, the real ml-100k."""

import contextlib
import dataclasses
import datetime as dt
import functools
import http.server
import threading
import zipfile
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from ratings.management.commands.import_movielens import NOTHING_TO_ADD
from ratings.models import Genre, Movie, Profile, Rating
from ratings.services.movielens import importer, layouts, sources
from ratings.services.movielens.importer import USERNAME_TAKEN
from tests.factories import GenreFactory, MovieFactory, ProfileFactory, RatingFactory, UserFactory

User = get_user_model()

pytestmark = pytest.mark.django_db

LAYOUTS = [
    pytest.param("100k", False, id="100k-folder"),
    pytest.param("100k", True, id="100k-zip"),
    pytest.param("1m", False, id="1m-folder"),
    pytest.param("1m", True, id="1m-zip"),
    pytest.param("10m", False, id="10m-folder"),
    pytest.param("csv", False, id="csv-folder"),
    pytest.param("recbole", False, id="recbole-folder"),
    pytest.param("recbole", True, id="recbole-zip"),
]


def import_movielens(source: Path | str | None = None, **options: object) -> str:
    out = StringIO()
    if source is None:
        call_command("import_movielens", stdout=out, verbosity=0, **options)
    else:
        call_command("import_movielens", "--source", str(source), stdout=out, verbosity=0, **options)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count() for model in (Movie, Genre, User, Profile, Rating, Movie.genres.through)
    }


def member(source: Path, name: str) -> str:
    """How the importer names a file of a copy written by movielens_files, in its error messages."""
    return f"{source}/ml-tiny/{name}" if source.suffix == ".zip" else f"{source}/{name}"


@pytest.mark.parametrize(("layout", "zipped"), LAYOUTS)
def test_each_layout_imports_movies_genres_raters_and_ratings(movielens_files, layout, zipped):
    """A folder or zip in any of the three layouts yields the same movies, genres, raters and ratings."""
    import_movielens(movielens_files.write(layout, zipped=zipped))

    assert Movie.objects.count() == len(movielens_files.movies)
    assert Genre.objects.count() == movielens_files.genres
    assert Profile.objects.filter(movielens_id__isnull=False).count() == len(movielens_files.raters)
    assert Rating.objects.count() == len(movielens_files.ratings)
    les_miserables = Movie.objects.get(movielens_id=2)
    assert (les_miserables.title, les_miserables.year) == ("Misérables, Les", 1995)
    assert set(les_miserables.genres.values_list("slug", flat=True)) == {"drama", "musical"}
    blade_runner = Movie.objects.get(movielens_id=3)
    assert set(blade_runner.genres.values_list("name", flat=True)) == {"Film-Noir", "Sci-Fi"}
    for user_id, movie_id, stars, seconds in movielens_files.ratings:
        rating = Rating.objects.get(user__profile__movielens_id=user_id, movie__movielens_id=movie_id)
        assert rating.score == stars
        assert rating.timestamp == dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


@pytest.mark.parametrize(("layout", "zipped"), LAYOUTS)
def test_unknown_placeholder_movie_has_no_genre_and_no_year(movielens_files, layout, zipped):
    """MovieLens' "unknown" movie keeps its title, gets no year, and "unknown" never becomes a genre."""
    import_movielens(movielens_files.write(layout, zipped=zipped))

    unknown = Movie.objects.get(movielens_id=4)
    assert (unknown.title, unknown.year, unknown.genres.count()) == ("unknown", None, 0)
    assert not Genre.objects.filter(name__in=["unknown", "(no genres listed)"]).exists()


def test_100k_layout_keeps_release_date_imdb_url_and_demographics(movielens_files):
    """u.item's release date and IMDb URL, and u.user's demographics, are stored."""
    import_movielens(movielens_files.write("100k"))

    toy_story = Movie.objects.get(movielens_id=1)
    assert toy_story.release_date == dt.date(1995, 1, 1)
    assert toy_story.imdb_url == "http://us.imdb.com/M/title-exact?Toy%20Story%20(1995)"
    assert Movie.objects.get(movielens_id=2).release_date == dt.date(1995, 12, 15)
    profile = Profile.objects.get(movielens_id=3)
    assert (profile.age, profile.gender, profile.occupation, profile.zip_code) == (23, "M", "writer", "T8H1N")


@pytest.mark.parametrize(("layout", "zipped"), LAYOUTS)
def test_raters_are_users_with_unusable_passwords(movielens_files, layout, zipped):
    """Each rater becomes the user ml_<id>, who cannot log in with any password."""
    import_movielens(movielens_files.write(layout, zipped=zipped))

    user = User.objects.get(username="ml_2")
    assert user.profile.movielens_id == 2
    assert not user.has_usable_password()
    assert not user.check_password("")
    passwords = set(User.objects.values_list("password", flat=True))
    assert len(passwords) == len(movielens_files.raters)  # random, as set_unusable_password makes them


def test_1m_layout_keeps_demographics_with_occupations_in_words(movielens_files):
    """users.dat's gender, age bracket and zip code are stored, and its occupation code as ml-1m's README names it."""
    import_movielens(movielens_files.write("1m"))

    profile = Profile.objects.get(movielens_id=1)
    assert (profile.age, profile.gender, profile.occupation, profile.zip_code) == (
        24,
        "M",
        "technician/engineer",
        "85711",
    )
    assert Profile.objects.get(movielens_id=3).occupation == "writer"


def test_dat_layout_refuses_a_bad_line_naming_file_and_line(movielens_files):
    """A ratings.dat line with a field too few is refused with the file, the line and the reason; nothing is kept."""
    files = movielens_files.lines("10m")
    files["ratings.dat"].insert(2, "1::2::4")
    source = movielens_files.save(files)
    with pytest.raises(CommandError, match=r"ratings\.dat, line 3: expected 4 columns, found 3"):
        import_movielens(source)
    assert Rating.objects.count() == 0 and Movie.objects.count() == 0


def test_csv_layout_accepts_half_stars_and_creates_raters_without_demographics(movielens_files):
    """ratings.csv may hold half stars; its raters, with no user file, have empty demographics."""
    files = movielens_files.lines("csv")
    files["ratings.csv"].append("4,1,3.5,1100000000")
    import_movielens(movielens_files.save(files))

    assert Rating.objects.get(user__username="ml_4").score == 3.5
    assert Profile.objects.filter(movielens_id__isnull=False).count() == len(movielens_files.raters) + 1
    profile = Profile.objects.get(movielens_id=4)
    assert (profile.age, profile.gender, profile.occupation, profile.zip_code) == (None, "", "", "")


def test_ratings_read_in_small_chunks_each_land_on_their_rater_and_movie(movielens_files, monkeypatch):
    """Chunk after chunk, each rating is stored under its own rater and movie, also where a later chunk brings raters
    that no user file listed (ratings.csv), whose pks the import learns only then."""
    files = movielens_files.lines("csv")
    files["ratings.csv"] += ["9,2,4.5,1100000000", "8,3,0.5,1100000001", "9,4,2,1100000002"]
    read = importer.movielens_read
    monkeypatch.setattr(
        importer,
        "movielens_read",
        lambda **kwargs: dataclasses.replace(
            data := read(**kwargs), read_rating_arrays=functools.partial(data.read_rating_arrays, chunk_rows=2)
        ),
    )
    import_movielens(movielens_files.save(files))

    stored = set(Rating.objects.values_list("user__profile__movielens_id", "movie__movielens_id", "score"))
    expected = {(user, movie, float(stars)) for user, movie, stars, _ in movielens_files.ratings}
    assert stored == expected | {(9, 2, 4.5), (8, 3, 0.5), (9, 4, 2.0)}


def test_csv_layout_reads_quoted_titles_and_titles_without_year(movielens_files):
    """A quoted title with a comma is one column, and a title without "(year)" is kept whole with no year."""
    files = movielens_files.lines("csv")
    files["movies.csv"].append('5,"Babylon 5, The Series",Sci-Fi')
    import_movielens(movielens_files.save(files))

    movie = Movie.objects.get(movielens_id=5)
    assert (movie.title, movie.year) == ("Babylon 5, The Series", None)


@pytest.mark.parametrize(("layout", "zipped"), LAYOUTS)
def test_second_import_adds_nothing_and_says_so(movielens_files, layout, zipped):
    """Importing the same copy twice leaves every table as after the first run and reports nothing to add."""
    source = movielens_files.write(layout, zipped=zipped)
    import_movielens(source)
    after_first = counts()

    output = import_movielens(source)

    assert counts() == after_first
    assert output.strip() == NOTHING_TO_ADD.format(
        movies_present=len(movielens_files.movies),
        users_present=len(movielens_files.raters),
        ratings_present=len(movielens_files.ratings),
        source=source,
    )


def test_import_adds_only_what_is_missing(movielens_files):
    """A larger copy after a smaller one adds just the new movie, rater and ratings, keeping the first ones."""
    smaller = movielens_files.lines("100k")
    larger = movielens_files.lines("100k")
    larger["u.item"].append("5|Heat (1995)|15-Dec-1995|||" + "|".join(["0"] * 19))
    larger["u.user"].append("4|30|F|artist|10001")
    larger["u.data"] += ["4\t5\t4\t890000000", "1\t5\t2\t890000001"]
    import_movielens(movielens_files.save(smaller))
    first_rating = Rating.objects.get(user__profile__movielens_id=1, movie__movielens_id=1)

    output = import_movielens(movielens_files.save(larger))

    assert "Added 1 movies, 0 genres, 1 users and 2 ratings" in output
    assert Rating.objects.count() == len(movielens_files.ratings) + 2
    assert Rating.objects.get(user__profile__movielens_id=1, movie__movielens_id=1).pk == first_rating.pk


def test_existing_rater_and_genre_are_matched_not_duplicated(movielens_files):
    """A profile with a MovieLens id gets that rater's ratings, and a genre with the same slug is reused."""
    rater = ProfileFactory(movielens_id=1, user__username="someone").user
    sci_fi = GenreFactory(name="Sci Fi", slug="sci-fi")

    import_movielens(movielens_files.write("100k"))

    assert not User.objects.filter(username="ml_1").exists()
    assert rater.ratings.count() == sum(1 for user, *_ in movielens_files.ratings if user == 1)
    assert list(Movie.objects.get(movielens_id=3).genres.filter(slug="sci-fi")) == [sci_fi]
    assert Genre.objects.count() == movielens_files.genres


def test_progress_bar_on_stderr_and_summary_on_stdout(movielens_files, capsys):
    """At normal verbosity a tqdm bar for the ratings goes to stderr, and a summary of what was added to stdout."""
    source = movielens_files.write("100k")
    out = StringIO()
    call_command("import_movielens", "--source", str(source), stdout=out, verbosity=1)

    assert "ratings: 100%" in capsys.readouterr().err
    assert out.getvalue().startswith(
        f"Added {len(movielens_files.movies)} movies, {movielens_files.genres} genres, "
        f"{len(movielens_files.raters)} users and {len(movielens_files.ratings)} ratings from {source} in "
    )


def test_url_source_is_downloaded_once_and_cached(movielens_files, settings, tmp_path):
    """An http(s) --source is downloaded into DATA_CACHE_DIR, and a second run reads the cached copy."""
    archive = movielens_files.write("100k", zipped=True)
    settings.DATA_CACHE_DIR = tmp_path / "cache"
    with serve_folder(archive.parent) as base_url:
        import_movielens(f"{base_url}/{archive.name}")
    cached = tmp_path / "cache" / "downloads" / archive.name

    assert cached.read_bytes() == archive.read_bytes()
    assert Rating.objects.count() == len(movielens_files.ratings)
    assert "Nothing to add" in import_movielens(f"http://127.0.0.1:9/{archive.name}")  # no server: the cache


def test_unreachable_url_stops_with_the_reason(settings, tmp_path):
    """A URL that cannot be downloaded stops the command, naming the URL."""
    settings.DATA_CACHE_DIR = tmp_path / "cache"
    url = "http://127.0.0.1:9/ml-100k.zip"

    with pytest.raises(CommandError, match=r"^could not download http://127\.0\.0\.1:9/ml-100k\.zip: "):
        import_movielens(url)
    assert not list((tmp_path / "cache").rglob("*.zip"))


# (layout, file, bad line, reason): the bad line is appended, so that it comes after every good one.
MALFORMED = [
    pytest.param(
        "100k", "u.data", "1\t4\t3", layouts.WRONG_COLUMN_COUNT.format(expected=4, found=3), id="data-columns"
    ),
    pytest.param(
        "100k",
        "u.data",
        "2\t4\tfive\t881250949",
        layouts.NOT_A_NUMBER.format(column="rating", value="five"),
        id="data-rating-not-a-number",
    ),
    pytest.param(
        "100k", "u.data", "2\t4\t6\t881250949", layouts.SCORE_OUT_OF_RANGE.format(value="6"), id="data-rating-6"
    ),
    pytest.param(
        "100k", "u.data", "2\t4\t0\t881250949", layouts.SCORE_OUT_OF_RANGE.format(value="0"), id="data-rating-0"
    ),
    pytest.param(
        "100k",
        "u.data",
        "2\t4\t3.25\t881250949",
        layouts.SCORE_OUT_OF_RANGE.format(value="3.25"),
        id="data-rating-quarter",
    ),
    pytest.param(
        "100k",
        "u.data",
        "2\t99\t3\t881250949",
        layouts.UNKNOWN_MOVIE.format(value=99, items="u.item"),
        id="data-unknown-movie",
    ),
    pytest.param(
        "100k",
        "u.data",
        "42\t1\t3\t881250949",
        layouts.UNKNOWN_USER.format(value=42, users="u.user"),
        id="data-unknown-user",
    ),
    pytest.param(
        "100k",
        "u.data",
        "x\t1\t3\t881250949",
        layouts.NOT_AN_ID.format(column="user id", value="x"),
        id="data-user-not-an-id",
    ),
    pytest.param(
        "100k",
        "u.data",
        "2\t4\t3\tyesterday",
        layouts.BAD_TIMESTAMP.format(value="yesterday"),
        id="data-bad-timestamp",
    ),
    pytest.param(
        "100k",
        "u.data",
        "1\t2\t4\t881250949",
        layouts.DUPLICATE_RATING.format(user=1, movie=2, first=2),
        id="data-duplicate-rating",
    ),
    pytest.param(
        "100k",
        "u.item",
        "5|Heat (1995)|32-Jan-1995|||" + "|".join(["0"] * 19),
        layouts.BAD_DATE.format(value="32-Jan-1995"),
        id="item-bad-day",
    ),
    pytest.param(
        "100k",
        "u.item",
        "5|Heat (1995)|1995-12-15|||" + "|".join(["0"] * 19),
        layouts.BAD_DATE.format(value="1995-12-15"),
        id="item-bad-date-format",
    ),
    pytest.param(
        "100k",
        "u.item",
        "5|Heat (1995)|15-Dec-1995|||",
        layouts.WRONG_COLUMN_COUNT.format(expected=24, found=6),
        id="item-columns",
    ),
    pytest.param(
        "100k",
        "u.item",
        "5|Heat (1995)|15-Dec-1995|||" + "|".join(["2"] * 19),
        layouts.BAD_GENRE_FLAG.format(value="2"),
        id="item-genre-flag",
    ),
    pytest.param(
        "100k",
        "u.item",
        "1|Toy Story (1995)|01-Jan-1995|||" + "|".join(["0"] * 19),
        layouts.DUPLICATE_ID.format(column="movie id", value=1, first=1),
        id="item-duplicate-id",
    ),
    pytest.param(
        "100k", "u.user", "4|30|F|artist", layouts.WRONG_COLUMN_COUNT.format(expected=5, found=4), id="user-columns"
    ),
    pytest.param(
        "100k",
        "u.user",
        "4|thirty|F|artist|10001",
        layouts.NOT_AN_ID.format(column="age", value="thirty"),
        id="user-age",
    ),
    pytest.param("100k", "u.user", "4|30|X|artist|10001", layouts.BAD_GENDER.format(value="X"), id="user-gender"),
    pytest.param("csv", "ratings.csv", "1,1", layouts.WRONG_COLUMN_COUNT.format(expected=4, found=2), id="csv-columns"),
    pytest.param(
        "csv", "ratings.csv", "4,1,5.5,881250949", layouts.SCORE_OUT_OF_RANGE.format(value="5.5"), id="csv-rating"
    ),
    pytest.param(
        "csv",
        "ratings.csv",
        "4,99,3.0,881250949",
        layouts.UNKNOWN_MOVIE.format(value=99, items="movies.csv"),
        id="csv-unknown-movie",
    ),
    pytest.param(
        "csv",
        "movies.csv",
        "5,Heat (1995)",
        layouts.WRONG_COLUMN_COUNT.format(expected=3, found=2),
        id="csv-movie-columns",
    ),
    pytest.param(
        "recbole",
        "ml-tiny.inter",
        "2\t4\tthree\t881250949",
        layouts.NOT_A_NUMBER.format(column="rating", value="three"),
        id="recbole-rating",
    ),
    pytest.param(
        "recbole",
        "ml-tiny.inter",
        "42\t1\t3\t881250949",
        layouts.UNKNOWN_USER.format(value=42, users="ml-tiny.user"),
        id="recbole-unknown-user",
    ),
    pytest.param(
        "recbole",
        "ml-tiny.item",
        "5\tHeat\tMCMXCV\tAction",
        layouts.BAD_YEAR.format(value="MCMXCV"),
        id="recbole-bad-year",
    ),
    pytest.param(
        "100k",
        "u.item",
        "5|Heat (1995)|15-Dec-1995||javascript:alert(document.domain)" + "|0" * 19,
        layouts.NOT_HTTP_URL.format(value="javascript:alert(document.domain)"),
        id="item-javascript-url",
    ),
    pytest.param(
        "100k",
        "u.item",
        "5|Heat (1995)|15-Dec-1995||data:text/html,<script>alert(1)</script>" + "|0" * 19,
        layouts.NOT_HTTP_URL.format(value="data:text/html,<script>alert(1)</script>"),
        id="item-data-url",
    ),
    pytest.param(
        "100k",
        "u.data",
        "2\t4\t3\t" + "8" * layouts.MAX_LINE_BYTES,
        layouts.LINE_TOO_LONG.format(limit=layouts.MAX_LINE_BYTES),
        id="data-line-too-long",
    ),
    pytest.param(
        "csv",
        "movies.csv",
        "5," + "H" * 300 + ",Action",
        # The title is echoed cut to ECHO_LIMIT characters, never whole.
        layouts.TOO_LONG.format(column="title", value="H" * (layouts.ECHO_LIMIT - 1) + "…", max_length=255),
        id="csv-title-echo-cut",
    ),
]


@pytest.fixture
def existing_site_data() -> Callable[[], dict[str, int]]:
    """A site user's rating, a movie and a genre already there, so that "unchanged" is not just "empty"."""
    RatingFactory(movie=MovieFactory(genres=[GenreFactory(name="Drama", slug="drama")]))
    return counts


@pytest.mark.parametrize("zipped", [False, True], ids=["folder", "zip"])
@pytest.mark.parametrize(("layout", "name", "line", "reason"), MALFORMED)
def test_malformed_line_stops_with_file_line_and_reason_and_changes_nothing(
    movielens_files, existing_site_data, layout, name, line, reason, zipped
):
    """A bad line raises CommandError naming the file, the line and why, and the database stays as it was."""
    files = movielens_files.lines(layout)
    files[name].append(line)
    source = movielens_files.save(files, zipped=zipped)
    before = counts()

    with pytest.raises(CommandError) as raised:
        import_movielens(source)

    assert str(raised.value) == layouts.LINE_ERROR.format(
        file=member(source, name), line=len(files[name]), reason=reason
    )
    assert counts() == before


@pytest.mark.parametrize(
    ("layout", "name"),
    [
        ("100k", "u.data"),
        ("100k", "u.item"),
        ("100k", "u.user"),
        ("100k", "u.genre"),
        ("csv", "movies.csv"),
        ("csv", "ratings.csv"),
        ("recbole", "ml-tiny.item"),
        ("recbole", "ml-tiny.user"),
    ],
)
def test_missing_file_stops_naming_it(movielens_files, existing_site_data, layout, name):
    """A copy without one of its layout's files stops the import, naming the missing file."""
    files = movielens_files.lines(layout)
    del files[name]
    source = movielens_files.save(files)
    before = counts()

    with pytest.raises(CommandError) as raised:
        import_movielens(source)

    assert str(raised.value) == layouts.MISSING_FILE.format(source=source, name=name)
    assert counts() == before


def test_text_that_is_not_in_the_layouts_encoding_stops_at_its_line(movielens_files):
    """movies.csv must be UTF-8: a latin-1 byte is reported at its own line, not as a crash."""
    source = movielens_files.write("csv")
    movies = source / "movies.csv"
    movies.write_bytes(movies.read_bytes() + "5,Amélie (2001),Comedy\n".encode("latin-1"))

    with pytest.raises(CommandError) as raised:
        import_movielens(source)

    reason = layouts.NOT_TEXT.format(encoding="utf-8")
    line = len(movielens_files.movies) + 2
    assert str(raised.value) == layouts.LINE_ERROR.format(file=f"{source}/movies.csv", line=line, reason=reason)


def test_a_csv_field_over_the_csv_limit_stops_at_its_line_without_echoing_it(movielens_files):
    """A quoted field that runs over many lines past the csv module's field limit is a line error naming the file
    and the line where the limit was crossed, not a traceback, and the field is not echoed."""
    files = movielens_files.lines("csv")
    start = len(files["movies.csv"]) + 1
    files["movies.csv"].append('5,"' + "\n".join(["x" * 8000] * 20) + '",Action')
    source = movielens_files.save(files)

    with pytest.raises(CommandError) as raised:
        import_movielens(source)

    message = str(raised.value)
    prefix, _, rest = message.partition(", line ")
    line, _, reason = rest.partition(": ")
    assert prefix == f"{source}/movies.csv"
    assert start < int(line) < start + 20
    assert reason.startswith(layouts.NOT_CSV.format(error="field larger than field limit"))
    assert len(message) < len(prefix) + layouts.ECHO_LIMIT + 100


def test_a_zip_that_expands_too_far_is_refused_before_it_is_read(movielens_files, existing_site_data, tmp_path):
    """A member compressed far more than any MovieLens text (a zip bomb) is refused from the zip's directory,
    naming the member; nothing is imported."""
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bomb:
        files = movielens_files.lines("100k")
        del files["u.data"]
        for name, lines in files.items():
            bomb.writestr(f"ml-bomb/{name}", "".join(f"{line}\n" for line in lines))
        bomb.writestr("ml-bomb/u.data", ("0" * 8000 + "\n") * (2 * sources.RATIO_FLOOR_BYTES // 8000))
    before = counts()

    with pytest.raises(CommandError) as raised:
        import_movielens(archive)

    assert str(raised.value).startswith(f"{archive}/ml-bomb/u.data: ")
    assert str(raised.value).endswith(f"more than the {sources.MAX_ZIP_RATIO}-fold of any MovieLens file")
    assert counts() == before


def test_a_zip_whose_files_unpack_past_the_total_limit_is_refused(movielens_files, monkeypatch):
    """The sum of the members' sizes is checked against MAX_UNZIPPED_BYTES before anything is read."""
    archive = movielens_files.write("100k", zipped=True)
    monkeypatch.setattr(sources, "MAX_UNZIPPED_BYTES", 100)

    with pytest.raises(CommandError) as raised:
        import_movielens(archive)

    assert str(raised.value).startswith(f"{archive}: its files would unpack to ")
    assert str(raised.value).endswith("more than the 100 allowed")


def test_recbole_header_without_a_needed_column_stops_at_line_1(movielens_files):
    """A recbole file whose header lacks a column the import needs is refused at its header line."""
    files = movielens_files.lines("recbole")
    files["ml-tiny.inter"][0] = "user_id:token\titem_id:token\trating:float"
    source = movielens_files.save(files)

    with pytest.raises(CommandError) as raised:
        import_movielens(source)

    reason = layouts.MISSING_COLUMNS.format(columns="timestamp")
    assert str(raised.value) == layouts.LINE_ERROR.format(file=f"{source}/ml-tiny.inter", line=1, reason=reason)


def test_sources_that_are_not_movielens_copies_are_refused(tmp_path):
    """A missing path, a file that is not a zip, and a folder without MovieLens files each get their own error."""
    missing, text_file, empty = tmp_path / "nowhere", tmp_path / "notes.txt", tmp_path / "empty"
    text_file.write_text("not a zip")
    empty.mkdir()

    for source, message in [
        (missing, sources.SOURCE_NOT_FOUND.format(source=missing)),
        (text_file, sources.SOURCE_NOT_READABLE.format(source=text_file)),
        (empty, layouts.NO_MOVIELENS_FILES.format(source=empty)),
    ]:
        with pytest.raises(CommandError) as raised:
            import_movielens(source)
        assert str(raised.value) == message


def test_username_taken_by_another_account_stops_the_import(movielens_files, existing_site_data):
    """If ml_<id> already belongs to an account that is not that rater, nothing is imported."""
    UserFactory(username="ml_2")
    before = counts()

    with pytest.raises(CommandError) as raised:
        import_movielens(movielens_files.write("100k"))

    assert str(raised.value) == USERNAME_TAKEN.format(movielens_id=2, username="ml_2")
    assert counts() == before


@pytest.mark.django_db(transaction=True)
def test_failure_after_writing_rolls_back_a_real_transaction(movielens_files):
    """Outside a test transaction too, a bad last rating undoes the movies, raters and ratings already written."""
    files = movielens_files.lines("100k")
    files["u.data"].append("2\t4\t9\t881250949")

    with pytest.raises(CommandError):
        import_movielens(movielens_files.save(files))

    assert counts() == dict.fromkeys(counts(), 0)


@pytest.mark.slow
def test_real_movielens_100k_imports_fully_then_adds_nothing(settings, movielens_100k_path):
    """With no --source, all of MovieLens 100k arrives (from cache, GroupLens or the recbole wheel); again adds 0."""
    assert movielens_100k_path.is_relative_to(settings.DATA_CACHE_DIR)  # a stable cache: no download next time

    import_movielens()

    assert Rating.objects.count() == 100_000
    assert Movie.objects.count() == 1_682
    assert Profile.objects.filter(movielens_id__isnull=False).count() == 943
    assert User.objects.filter(username__startswith="ml_").count() == 943
    assert Rating.objects.filter(score__in=[1, 2, 3, 4, 5]).count() == 100_000
    assert "Nothing to add" in import_movielens()
    assert Rating.objects.count() == 100_000


@contextlib.contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve a folder over HTTP on a free local port for the duration of a with block; yield its base URL."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
