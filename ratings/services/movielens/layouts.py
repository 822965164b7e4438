"""Parse the MovieLens layouts (100k ``u.*``; 1m and 10m ``::``-separated ``.dat``; GroupLens CSV of ml-latest,
ml-20m, ml-25m and ml-32m; recbole atomic files) into plain records.

The CSV layout's links.csv (ml-latest, ml-25m: each movie's IMDb and TMDB ids) is read when it is there.

Movies and raters are read at once (a few thousand rows); ratings stay a generator, so that ml-25m streams.
Every row is checked, and the first bad one raises ``MovieLensError`` naming the file, the line and the reason; a
value from the file is echoed up to ECHO_LIMIT characters, and no line is read past MAX_LINE_BYTES.
"""

import csv
import dataclasses
import datetime as dt
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, TypeVar

import numpy as np

from ratings.models import ALLOWED_SCORES, IMDB_ID, Genre, Movie, Profile, http_url

from .rating_arrays import CHUNK_ROWS, RatingArrays, rating_arrays_read
from .sources import MovieLensError, SourceFiles
from .tables import TableFormat

LINE_ERROR = "{file}, line {line}: {reason}"
NO_MOVIELENS_FILES = "{source}: no MovieLens files (u.data, ratings.dat, ratings.csv or a recbole .inter file)"
MISSING_FILE = "{source}: {name} is missing"
WRONG_COLUMN_COUNT = "expected {expected} columns, found {found}"
NOT_TEXT = "not {encoding} text"
MISSING_COLUMNS = "the header lacks the columns {columns}"
NOT_AN_ID = "{column} {value!r} is not a whole number"
NOT_A_NUMBER = "{column} {value!r} is not a number"
SCORE_OUT_OF_RANGE = "rating {value!r} is not a half star from 0.5 to 5"
BAD_TIMESTAMP = "timestamp {value!r} is not a Unix time in seconds"
BAD_DATE = "release date {value!r} is not a date like 01-Jan-1995"
BAD_YEAR = "year {value!r} is not a year"
BAD_GENRE_FLAG = "genre flag {value!r} is not 0 or 1"
BAD_GENDER = "gender {value!r} is not M or F"
TOO_LONG = "{column} {value!r} is longer than {max_length} characters"
NOT_HTTP_URL = "IMDb URL {value!r} is not an http(s) URL"
LINE_TOO_LONG = "the line is longer than {limit} bytes"
NOT_CSV = "not valid CSV: {error}"
UNKNOWN_MOVIE = "movie id {value} is not in {items}"
UNKNOWN_USER = "user id {value} is not in {users}"
DUPLICATE_ID = "{column} {value} already appears on line {first}"
DUPLICATE_RATING = "user {user} already rated movie {movie} on line {first}"

# MovieLens files mark "no genre" rather than leaving it empty; an empty genre set says the same without a fake genre.
NO_GENRE_MARKERS = frozenset({"unknown", "(no genres listed)"})
# The recbole copy misspells u.item's "unknown" placeholder for movie 267, in its title and in its year.
RECBOLE_UNKNOWN = frozenset({"unknown", "unkonwn"})
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTHS = {name: number for number, name in enumerate(MONTH_NAMES, 1)}  # not strptime's %b, which follows the locale
SCORES = frozenset(ALLOWED_SCORES)
# ml-1m's users.dat codes occupations (its README); the site stores the words, as ml-100k gives them.
OCCUPATIONS_1M = {
    str(code): name
    for code, name in enumerate(
        (
            "other",
            "academic/educator",
            "artist",
            "clerical/admin",
            "college/grad student",
            "customer service",
            "doctor/health care",
            "executive/managerial",
            "farmer",
            "homemaker",
            "K-12 student",
            "lawyer",
            "programmer",
            "retired",
            "sales/marketing",
            "scientist",
            "self-employed",
            "technician/engineer",
            "tradesman/craftsman",
            "unemployed",
            "writer",
        )
    )
}
TITLE_YEAR = re.compile(r"^(?P<title>.*?)\s*\((?P<year>\d{4})\)\s*$")
RELEASE_DATE = re.compile(r"^(?P<day>\d{2})-(?P<month>[A-Z][a-z]{2})-(?P<year>\d{4})$")
MAX_ID = 2**31 - 1  # PositiveIntegerField on PostgreSQL
# MovieLens lines are at most a few hundred bytes; a longer one is not MovieLens, and must not be read into memory
# whole (a 60 MB line took 510 MB, issue 15).
MAX_LINE_BYTES = 8192
ECHO_LIMIT = 200


@dataclass(frozen=True, slots=True)
class MovieRecord:
    movielens_id: int
    title: str
    year: int | None
    release_date: dt.date | None
    imdb_url: str
    genres: tuple[str, ...]
    imdb_id: str = ""  # "tt0114709"; links.csv
    tmdb_id: int | None = None


@dataclass(frozen=True, slots=True)
class LinkRecord:
    movielens_id: int
    imdb_id: str
    tmdb_id: int | None


@dataclass(frozen=True, slots=True)
class RaterRecord:
    movielens_id: int
    age: int | None = None
    gender: str = ""
    occupation: str = ""
    zip_code: str = ""


@dataclass(frozen=True, slots=True)
class RatingRecord:
    user_id: int
    movie_id: int
    score: float
    timestamp: dt.datetime
    line: int


@dataclass(frozen=True)
class MovieLensData:
    """One parsed source; ``raters`` is None for layouts without a user file (raters come from the ratings)."""

    layout: str
    movies: list[MovieRecord]
    raters: list[RaterRecord] | None
    ratings_file: str
    rating_rows: int
    read_ratings: Callable[[], Iterator[RatingRecord]]  # line by line, each checked: the errors' reader
    read_rating_arrays: Callable[..., Iterator[RatingArrays]]  # the same in chunks (chunk_rows=): the import's

    def duplicate_rating(self) -> MovieLensError | None:
        """The error for the first (user, movie) pair rated twice in the file, if any; only needed on failure."""
        first_line: dict[tuple[int, int], int] = {}
        for rating in self.read_ratings():
            key = (rating.user_id, rating.movie_id)
            if key in first_line:
                reason = DUPLICATE_RATING.format(user=key[0], movie=key[1], first=first_line[key])
                return MovieLensError(LINE_ERROR.format(file=self.ratings_file, line=rating.line, reason=reason))
            first_line[key] = rating.line
        return None


Record = TypeVar("Record", MovieRecord, RaterRecord, LinkRecord)


class _Invalid(ValueError):
    """A bad field; the row loop adds the file and line."""


def _invalid(reason: str, **fields: object) -> _Invalid:
    """The error ``reason`` about ``fields``, each text from the file cut to ECHO_LIMIT characters."""
    return _Invalid(reason.format(**{name: _echo(value) for name, value in fields.items()}))


def _echo(value: object) -> object:
    if isinstance(value, str) and len(value) > ECHO_LIMIT:
        return value[: ECHO_LIMIT - 1] + "…"
    return value


def movielens_read(*, files: SourceFiles) -> MovieLensData:
    """Detect the layout of ``files`` and parse it."""
    names = set(files.names())
    if names & {"u.data", "u.item", "u.user", "u.genre"}:
        return _read_100k(files)
    if names & {"ratings.dat", "movies.dat"}:
        return _read_dat(files)
    if names & {"ratings.csv", "movies.csv"}:
        return _read_csv(files)
    stems = sorted(name.removesuffix(".inter") for name in names if name.endswith(".inter"))
    if stems:
        return _read_recbole(files, stems[0])
    raise MovieLensError(NO_MOVIELENS_FILES.format(source=files.source))


def _read_100k(files: SourceFiles) -> MovieLensData:
    genre_table = TableFormat("u.genre", "latin-1", "|", ("name", "index"), header=False)
    _require(files, genre_table)
    genre_rows = _rows(files, genre_table)
    genres = [_text(name, "genre", Genre._meta.get_field("name").max_length) for _, (name, _index) in genre_rows]
    item = TableFormat("u.item", "latin-1", "|", ("id", "title", "date", "video", "url", *genres), header=False)

    def movie(values: list[str]) -> MovieRecord:
        movielens_id, titled, date, _video, url, *flags = values
        title, year = _split_title(titled)
        release_date = _release_date(date)
        if year is None and release_date is not None:
            year = release_date.year
        if bad := next((flag for flag in flags if flag not in {"0", "1"}), None):
            raise _invalid(BAD_GENRE_FLAG, value=bad)
        chosen = tuple(name for name, flag in zip(genres, flags, strict=True) if flag == "1")
        return MovieRecord(_id(movielens_id, "movie id"), title, year, release_date, _url(url), _genres(chosen))

    user = TableFormat("u.user", "latin-1", "|", ("id", "age", "gender", "occupation", "zip"), header=False)
    data = TableFormat("u.data", "latin-1", "\t", ("user", "movie", "rating", "timestamp"), header=False)
    return _assemble(files, "100k", item, movie, user, data)


def _read_dat(files: SourceFiles) -> MovieLensData:
    """ml-1m and ml-10m: ``::``-separated movies.dat, ratings.dat and (ml-1m) users.dat, whose occupations are codes.
    ml-1m's files are Latin-1 (its README says so); ml-10m has no users.dat and is UTF-8."""
    encoding = "latin-1" if files.find("users.dat") is not None else "utf-8"

    def movie(values: list[str]) -> MovieRecord:
        movielens_id, titled, genres = values
        title, year = _split_title(titled)
        return MovieRecord(_id(movielens_id, "movie id"), title, year, None, "", _genres(genres.split("|")))

    def rater(values: list[str]) -> RaterRecord:
        movielens_id, gender, age, occupation, zip_code = values
        return _rater([movielens_id, age, gender, OCCUPATIONS_1M.get(occupation, occupation), zip_code])

    item = TableFormat("movies.dat", encoding, "::", ("movieId", "title", "genres"), header=False)
    user = TableFormat("users.dat", encoding, "::", ("userId", "gender", "age", "occupation", "zip"), header=False)
    data = TableFormat("ratings.dat", encoding, "::", ("userId", "movieId", "rating", "timestamp"), header=False)
    users = user if files.find(user.name) is not None else None
    return _assemble(files, "dat", item, movie, users, data, rater=rater)


def _read_csv(files: SourceFiles) -> MovieLensData:
    def movie(values: list[str]) -> MovieRecord:
        movielens_id, titled, genres = values
        title, year = _split_title(titled)
        return MovieRecord(_id(movielens_id, "movie id"), title, year, None, "", _genres(genres.split("|")))

    item = TableFormat("movies.csv", "utf-8", ",", ("movieId", "title", "genres"), header=True, quoted=True)
    data = TableFormat(
        "ratings.csv", "utf-8", ",", ("userId", "movieId", "rating", "timestamp"), header=True, quoted=True
    )
    assembled = _assemble(files, "csv", item, movie, None, data)
    links = TableFormat("links.csv", "utf-8", ",", ("movieId", "imdbId", "tmdbId"), header=True, quoted=True)
    if files.find(links.name) is None:
        return assembled
    known = {record.movielens_id for record in assembled.movies}

    def link(values: list[str]) -> LinkRecord:
        movielens_id, imdb_digits, tmdb_id = values
        record = LinkRecord(
            _id(movielens_id, "movie id"),
            _imdb_id(imdb_digits) if imdb_digits else "",
            _id(tmdb_id, "TMDB id") if tmdb_id else None,
        )
        if record.movielens_id not in known:
            raise _invalid(UNKNOWN_MOVIE, value=record.movielens_id, items=item.name)
        return record

    by_movie = {record.movielens_id: record for record in _unique(files, links, link, "movie id")}
    movies = [
        dataclasses.replace(movie, imdb_id=found.imdb_id, tmdb_id=found.tmdb_id)
        if (found := by_movie.get(movie.movielens_id))
        else movie
        for movie in assembled.movies
    ]
    return dataclasses.replace(assembled, movies=movies)


def _read_recbole(files: SourceFiles, stem: str) -> MovieLensData:
    def movie(values: list[str]) -> MovieRecord:
        movielens_id, title, year, genres = values
        if title in RECBOLE_UNKNOWN:
            title, year = "unknown", ""
        if not year or (year.isascii() and year.isdigit() and len(year) == 4):
            title, year_number = _title(title), int(year) if year else None
        else:
            # recbole cut u.item's title at its last parentheses: for "... (1995) (V)" the year stays in the title.
            title, year_number = _split_title(title)
            if year_number is None:
                raise _invalid(BAD_YEAR, value=year)
        return MovieRecord(_id(movielens_id, "movie id"), title, year_number, None, "", _genres(genres.split()))

    columns = ("item_id", "movie_title", "release_year", "class")
    item = TableFormat(f"{stem}.item", "utf-8", "\t", columns, header=True)
    user = TableFormat(
        f"{stem}.user", "utf-8", "\t", ("user_id", "age", "gender", "occupation", "zip_code"), header=True
    )
    data = TableFormat(f"{stem}.inter", "utf-8", "\t", ("user_id", "item_id", "rating", "timestamp"), header=True)
    return _assemble(files, "recbole", item, movie, user, data)


def _assemble(
    files: SourceFiles,
    layout: str,
    item: TableFormat,
    movie: Callable[[list[str]], MovieRecord],
    user: TableFormat | None,
    data: TableFormat,
    rater: Callable[[list[str]], RaterRecord] | None = None,
) -> MovieLensData:
    _require(files, *(table for table in (item, user, data) if table is not None))
    movies = _unique(files, item, movie, "movie id")
    raters = None if user is None else _unique(files, user, rater or _rater, "user id")
    movie_ids = {record.movielens_id for record in movies}
    user_ids = None if raters is None else {record.movielens_id for record in raters}
    items_label, users_label = item.name, user.name if user else ""

    def read_ratings() -> Iterator[RatingRecord]:
        for line, (user_id, movie_id, rating, timestamp) in _rows(files, data):
            try:
                record = RatingRecord(
                    _id(user_id, "user id"), _id(movie_id, "movie id"), _score(rating), _timestamp(timestamp), line
                )
                if record.movie_id not in movie_ids:
                    raise _invalid(UNKNOWN_MOVIE, value=record.movie_id, items=items_label)
                if user_ids is not None and record.user_id not in user_ids:
                    raise _invalid(UNKNOWN_USER, value=record.user_id, users=users_label)
            except _Invalid as exc:
                raise _line_error(files, data, line, exc) from None
            yield record

    member = _member(files, data)

    def read_rating_arrays(chunk_rows: int = CHUNK_ROWS) -> Iterator[RatingArrays]:
        return rating_arrays_read(
            files=files,
            table=data,
            member=member,
            movie_ids=np.array(sorted(movie_ids), dtype=np.int64),
            user_ids=None if user_ids is None else np.array(sorted(user_ids), dtype=np.int64),
            scores=np.array(sorted(SCORES)),
            max_id=MAX_ID,
            records=lambda: ((r.user_id, r.movie_id, r.score, r.timestamp.timestamp()) for r in read_ratings()),
            chunk_rows=chunk_rows,
        )

    rows = files.count_lines(member) - data.header
    return MovieLensData(layout, movies, raters, files.label(member), rows, read_ratings, read_rating_arrays)


def _require(files: SourceFiles, *tables: TableFormat) -> None:
    for table in tables:
        _member(files, table)


def _member(files: SourceFiles, table: TableFormat) -> str:
    member = files.find(table.name)
    if member is None:
        raise MovieLensError(MISSING_FILE.format(source=files.source, name=table.name))
    return member


def _unique(files: SourceFiles, table: TableFormat, parse: Callable[[list[str]], Record], column: str) -> list[Record]:
    records: dict[int, Record] = {}
    first_line: dict[int, int] = {}
    for line, values in _rows(files, table):
        try:
            record = parse(values)
            if record.movielens_id in records:
                first = first_line[record.movielens_id]
                raise _invalid(DUPLICATE_ID, column=column, value=record.movielens_id, first=first)
        except _Invalid as exc:
            raise _line_error(files, table, line, exc) from None
        records[record.movielens_id] = record
        first_line[record.movielens_id] = line
    return list(records.values())


def _rows(files: SourceFiles, table: TableFormat) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, the table's columns in order) for each non-blank line, checking the column count."""
    with files.open_binary(_member(files, table)) as stream:
        # Decoding line by line, not through a TextIOWrapper, so that a bad byte is reported at its own line.
        lines = _decoded(files, table, stream)
        if table.quoted:
            numbered = _csv_records(files, table, (line for _, line in lines))
        else:
            numbered = ((number, line.rstrip("\r\n").split(table.delimiter)) for number, line in lines if line.strip())
        expected = None if table.header else len(table.columns)
        positions = None
        for number, fields in numbered:
            if expected is None:
                names = [field.split(":", 1)[0].strip() for field in fields]
                if missing := [column for column in table.columns if column not in names]:
                    reason = MISSING_COLUMNS.format(columns=", ".join(missing))
                    raise _line_error(files, table, number, _Invalid(reason))
                expected, positions = len(names), [names.index(column) for column in table.columns]
                continue
            if len(fields) != expected:
                reason = WRONG_COLUMN_COUNT.format(expected=expected, found=len(fields))
                raise _line_error(files, table, number, _Invalid(reason))
            yield number, fields if positions is None else [fields[position] for position in positions]


def _csv_records(files: SourceFiles, table: TableFormat, lines: Iterator[str]) -> Iterator[tuple[int, list[str]]]:
    """The non-empty CSV records of ``lines`` with their line numbers; malformed CSV (a field over the csv module's
    limit, a stray quote) is a line error, not a traceback."""
    reader = csv.reader(lines, delimiter=table.delimiter)
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _line_error(files, table, reader.line_num, _invalid(NOT_CSV, error=str(exc))) from None
        if fields:
            yield reader.line_num, fields


def _decoded(files: SourceFiles, table: TableFormat, stream: IO[bytes]) -> Iterator[tuple[int, str]]:
    for number, raw in enumerate(iter(lambda: stream.readline(MAX_LINE_BYTES + 1), b""), 1):
        if len(raw) > MAX_LINE_BYTES:
            raise _line_error(files, table, number, _Invalid(LINE_TOO_LONG.format(limit=MAX_LINE_BYTES)))
        try:
            yield number, raw.decode(table.encoding)
        except UnicodeDecodeError:
            raise _line_error(files, table, number, _Invalid(NOT_TEXT.format(encoding=table.encoding))) from None


def _line_error(files: SourceFiles, table: TableFormat, line: int, exc: _Invalid) -> MovieLensError:
    return MovieLensError(LINE_ERROR.format(file=files.label(_member(files, table)), line=line, reason=exc))


def _rater(values: list[str]) -> RaterRecord:
    movielens_id, age, gender, occupation, zip_code = values
    if gender not in {"M", "F"}:
        raise _invalid(BAD_GENDER, value=gender)
    return RaterRecord(
        _id(movielens_id, "user id"),
        _number(age, "age", maximum=32767),
        gender,
        _text(occupation, "occupation", Profile._meta.get_field("occupation").max_length),
        _text(zip_code, "zip code", Profile._meta.get_field("zip_code").max_length),
    )


def _split_title(titled: str) -> tuple[str, int | None]:
    """u.item and movies.csv put the year in parentheses after the title; a few CSV titles have none."""
    if match := TITLE_YEAR.match(titled):
        return _title(match["title"]), int(match["year"])
    return _title(titled.strip()), None


def _title(title: str) -> str:
    return _text(title, "title", Movie._meta.get_field("title").max_length)


def _release_date(value: str) -> dt.date | None:
    if not value:
        return None
    match = RELEASE_DATE.match(value)
    try:
        if match is None or match["month"] not in MONTHS:
            raise ValueError(value)
        return dt.date(int(match["year"]), MONTHS[match["month"]], int(match["day"]))
    except ValueError:
        raise _invalid(BAD_DATE, value=value) from None


def _url(value: str) -> str:
    """Empty, or an http(s) URL: a link the movie page renders must never be javascript: or data: (stored XSS)."""
    url = _text(value, "IMDb URL", Movie._meta.get_field("imdb_url").max_length)
    if url and not http_url(url):
        raise _invalid(NOT_HTTP_URL, value=url)
    return url


def _genres(names: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    max_length = Genre._meta.get_field("name").max_length
    return tuple(_text(name, "genre", max_length) for name in names if name and name not in NO_GENRE_MARKERS)


def _text(value: str, column: str, max_length: int | None) -> str:
    if max_length is not None and len(value) > max_length:
        raise _invalid(TOO_LONG, column=column, value=value, max_length=max_length)
    return value


def _number(value: str, column: str, *, maximum: int) -> int:
    if not (value.isascii() and value.isdigit()) or int(value) > maximum:
        raise _invalid(NOT_AN_ID, column=column, value=value)
    return int(value)


def _id(value: str, column: str) -> int:
    return _number(value, column, maximum=MAX_ID)


def _imdb_id(value: str) -> str:
    """The IMDb title id of links.csv's imdbId, which writes its digits alone: 114709 or 0114709 is tt0114709."""
    imdb_id = f"tt{value.zfill(7)}"
    if not (value.isascii() and IMDB_ID.fullmatch(imdb_id)):
        raise _invalid(NOT_AN_ID, column="IMDb id", value=value)
    return imdb_id


def _score(value: str) -> float:
    try:
        score = float(value)
    except ValueError:
        raise _invalid(NOT_A_NUMBER, column="rating", value=value) from None
    if score not in SCORES:
        raise _invalid(SCORE_OUT_OF_RANGE, value=value)
    return score


def _timestamp(value: str) -> dt.datetime:
    try:
        seconds = float(value)
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(value)
        return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise _invalid(BAD_TIMESTAMP, value=value) from None
