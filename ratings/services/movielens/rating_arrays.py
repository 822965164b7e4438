"""The ratings file read in chunks of arrays at parser speed (pandas' C reader), checked column by column.

At ml-25m the line-by-line reader (layouts.py) spends most of an import checking fields one at a time. This reader
checks the same things on whole columns: whole-number ids, half-star scores, Unix-time timestamps, and ids that the
movie and user files know. It never explains an error itself: on the first chunk that fails any check (or that
pandas cannot parse) it hands over to the line-by-line reader, which finds the first bad line and raises its
``MovieLensError`` naming the file, the line and the reason, exactly as before. Should that reader accept what this
one refused (a number written in a way pandas reads differently), the rest of the file comes from it, so the two
never disagree on what is imported.
"""

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

import numpy as np

from .sources import SourceFiles
from .tables import TableFormat

if TYPE_CHECKING:
    import pandas as pd

CHUNK_ROWS = 1_000_000
MAX_HEADER_BYTES = 8192
# The first second of the year 10000: datetime.fromtimestamp refuses anything later, so the line reader does too.
LAST_TIMESTAMP = 253_402_300_800


@dataclass(frozen=True, slots=True)
class RatingArrays:
    """One chunk of the ratings file, in file order: MovieLens ids, scores and Unix seconds."""

    user_ids: np.ndarray  # int64
    movie_ids: np.ndarray  # int64
    scores: np.ndarray  # float64, half stars
    seconds: np.ndarray  # float64

    def __len__(self) -> int:
        return len(self.user_ids)


class _Refused(Exception):
    """A chunk this reader cannot vouch for: the line reader decides."""


def rating_arrays_read(
    *,
    files: SourceFiles,
    table: TableFormat,
    member: str,
    movie_ids: np.ndarray,
    user_ids: np.ndarray | None,
    scores: np.ndarray,
    max_id: int,
    records: Callable[[], Iterator[tuple[int, int, float, float]]],
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[RatingArrays]:
    """Yield the ratings of ``member``, written as ``table`` says (columns user, movie, rating, timestamp), in chunks of
    up to ``chunk_rows``; ``movie_ids`` and ``user_ids`` (sorted;
    None when any user may rate) are the ids a rating may name, ``scores`` the allowed scores. ``records`` is the
    line reader's (user, movie, score, seconds) stream, which raises the error of a bad line."""
    done = 0
    try:
        for chunk in _chunks(files, table, member, chunk_rows):
            arrays = _checked(chunk, movie_ids=movie_ids, user_ids=user_ids, scores=scores, max_id=max_id)
            yield arrays
            done += len(arrays)
    except (_Refused, ValueError):  # pandas' ParserError and a UnicodeDecodeError are ValueErrors too
        yield from _from_records(records(), skip=done, chunk_rows=chunk_rows)


def _chunks(files: SourceFiles, table: TableFormat, member: str, chunk_rows: int) -> Iterator["pd.DataFrame"]:
    import pandas as pd  # the import's: the web process, which imports this package, never pays for pandas

    user, movie, rating, timestamp = table.columns
    delimiter = table.delimiter if len(table.delimiter) == 1 else "\t"
    with files.open_binary(member) as raw:
        stream = io.BufferedReader(_Plain(raw, table.delimiter.encode(), delimiter.encode(), table.header))
        options = {
            "sep": delimiter,
            "encoding": table.encoding,
            "engine": "c",
            "chunksize": chunk_rows,
            "index_col": False,  # a line with a field too many is an error, not an index
            "na_filter": False,  # an empty field fails the number parse instead of becoming NaN
            "dtype": {user: "int64", movie: "int64", rating: "float64", timestamp: "float64"},
        }
        if table.header:
            header = stream.peek(MAX_HEADER_BYTES)[:MAX_HEADER_BYTES].split(b"\n", 1)[0].decode(table.encoding)
            names = [name.split(":", 1)[0].strip() for name in header.rstrip("\r").split(delimiter)]
            if not set(table.columns) <= set(names):
                raise _Refused
            reader = pd.read_csv(stream, header=0, names=names, **options)
        else:
            reader = pd.read_csv(stream, header=None, names=list(table.columns), **options)
        with reader:
            for frame in reader:
                yield frame[[user, movie, rating, timestamp]]


def _checked(
    frame: "pd.DataFrame", *, movie_ids: np.ndarray, user_ids: np.ndarray | None, scores: np.ndarray, max_id: int
) -> RatingArrays:
    user, movie, rating, timestamp = (frame[column].to_numpy() for column in frame.columns)
    arrays = RatingArrays(user, movie, rating, timestamp)
    if (user > max_id).any() or (movie > max_id).any() or not np.isin(rating, scores).all():
        raise _Refused
    if not ((timestamp >= 0) & (timestamp < LAST_TIMESTAMP)).all():
        raise _Refused
    if not _known(movie, movie_ids) or (user_ids is not None and not _known(user, user_ids)):
        raise _Refused
    return arrays


def _known(ids: np.ndarray, known: np.ndarray) -> bool:
    if len(ids) == 0:
        return True
    if len(known) == 0:
        return False
    positions = np.searchsorted(known, ids).clip(max=len(known) - 1)
    return bool((known[positions] == ids).all())


def _from_records(
    records: Iterator[tuple[int, int, float, float]], *, skip: int, chunk_rows: int
) -> Iterator[RatingArrays]:
    for _ in range(skip):
        next(records)
    while rows := [row for _, row in zip(range(chunk_rows), records, strict=False)]:
        users, movies, scores, seconds = zip(*rows, strict=True)
        yield RatingArrays(
            np.array(users, dtype=np.int64),
            np.array(movies, dtype=np.int64),
            np.array(scores, dtype=np.float64),
            np.array(seconds, dtype=np.float64),
        )


class _Plain(io.RawIOBase):
    """A ratings file as pandas should see it: each ``old`` separator replaced by the one byte ``new`` (also across
    reads), and, after the header line, nothing but digits, points, separators and line ends. Anything else (a
    sign, a space, a letter, a quote) refuses the file, for the line reader to judge: on such plain fields pandas'
    numbers are exactly the line reader's."""

    def __init__(self, stream: IO[bytes], old: bytes, new: bytes, header: bool) -> None:
        self._stream, self._old, self._new = stream, old, new
        self._held = b""  # a tail that may be the start of a separator split across two reads
        self._in_header = header
        self._allowed = np.zeros(256, dtype=bool)
        self._allowed[list(b"0123456789.\r\n" + new)] = True

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while True:
            chunk = self._stream.read(max(1, len(buffer) - len(self._old)))
            data, self._held = self._held + chunk, b""
            if chunk:
                for keep in range(len(self._old) - 1, 0, -1):
                    if data.endswith(self._old[:keep]):
                        data, self._held = data[:-keep], data[-keep:]
                        break
            data = data.replace(self._old, self._new)
            body = data
            if self._in_header:
                end = data.find(b"\n")
                body = b"" if end < 0 else data[end + 1 :]
                self._in_header = end < 0
            if not self._allowed[np.frombuffer(body, dtype=np.uint8)].all():
                raise _Refused
            if data or not chunk:
                buffer[: len(data)] = data
                return len(data)
