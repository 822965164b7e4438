"""TMDB's API as posters_fetch uses it: a movie's poster and overview, found by its TMDB or IMDb id, and the image.

A refusal of the key, a wait longer than allowed, a timeout or a server error is a ``TmdbError``, which stops a run
with a sentence saying what to do; a movie TMDB does not know is ``TmdbNotFound``, which skips that movie. Error
messages name the path asked for, never the query string, which holds the key.
https://developer.themoviedb.org/reference/find-by-id, https://developer.themoviedb.org/reference/movie-details
"""

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode, urlsplit

from django.conf import settings
from django.utils.http import parse_http_date_safe

from ratings.posters.files import MAX_POSTER_BYTES

KEY_MISSING = (
    "TMDB_API_KEY is not set: fetching posters needs a TMDB API key or read access token "
    "(https://www.themoviedb.org/settings/api). Without one the site draws every poster itself."
)
KEY_REFUSED = "TMDB refused the API key (HTTP 401 for {path}): check TMDB_API_KEY."
WAIT_TOO_LONG = (
    "TMDB asked to wait {seconds:g} s before the next request (HTTP 429, Retry-After), more than "
    "TMDB_RETRY_AFTER_MAX_SECONDS ({limit:g}): try again later."
)
STILL_LIMITED = "TMDB still answered HTTP 429 for {path} after {attempts} waits: try again later."
TIMED_OUT = "TMDB did not answer {path} within {timeout:g} s (TMDB_TIMEOUT_SECONDS)."
UNREACHABLE = "TMDB could not be reached for {path}: {reason}."
SERVER_ERROR = "TMDB answered HTTP {status} for {path}."
NOT_JSON = "TMDB's answer for {path} is not JSON."
# TMDB's image paths are one file name ("/uXDfjJbdP4ijW5hWSBrPrlKpxab.jpg"); anything else is not asked for.
POSTER_PATH = re.compile(r"/[A-Za-z0-9_-]+\.[A-Za-z0-9]+")
# 429s in a row for one request before the run gives up; each waits what Retry-After says, within the bound.
MAX_WAITS = 3
# A 429 without a readable Retry-After waits this long.
DEFAULT_WAIT_SECONDS = 1.0


class TmdbError(Exception):
    """TMDB cannot be used now: the run stops, and says why."""


class TmdbNotFound(Exception):
    """TMDB has no such movie, or no such image."""


@dataclass(frozen=True, slots=True)
class TmdbMovie:
    tmdb_id: int
    poster_path: str  # "" when TMDB has no poster
    overview: str


@dataclass(frozen=True)
class TmdbClient:
    api_url: str
    image_url: str
    api_key: str
    timeout: float
    retry_after_max: float
    sleep: Callable[[float], None] = field(default=time.sleep)

    def movie(self, *, tmdb_id: int | None = None, imdb_id: str = "") -> TmdbMovie:
        """The movie with TMDB id ``tmdb_id``; else (no such id, or TMDB no longer has it) the one with IMDb id
        ``imdb_id``; TmdbNotFound when neither finds it."""
        found: object = None
        if tmdb_id is not None:
            try:
                found = self._json(f"/movie/{tmdb_id}", {})
            except TmdbNotFound:
                if not imdb_id:
                    raise
        if found is None and imdb_id:
            data = self._json(f"/find/{quote(imdb_id, safe='')}", {"external_source": "imdb_id"})
            results = data.get("movie_results") if isinstance(data, dict) else None
            found = results[0] if isinstance(results, list) and results else None
        if not isinstance(found, dict) or not isinstance(found.get("id"), int):
            raise TmdbNotFound(tmdb_id or imdb_id)
        poster_path = found.get("poster_path")
        overview = found.get("overview")
        return TmdbMovie(
            tmdb_id=found["id"],
            poster_path=poster_path if isinstance(poster_path, str) and POSTER_PATH.fullmatch(poster_path) else "",
            overview=overview.strip() if isinstance(overview, str) else "",
        )

    def image(self, poster_path: str) -> bytes:
        """The image at ``poster_path`` under TMDB_IMAGE_URL, at most MAX_POSTER_BYTES and one byte (so that a
        larger one is seen, and refused, without being read whole)."""
        return self._get(self.image_url.rstrip("/") + poster_path, headers={}, limit=MAX_POSTER_BYTES + 1)

    def _json(self, path: str, query: dict[str, str]) -> object:
        headers = {"Accept": "application/json"}
        if _is_read_access_token(self.api_key):
            headers["Authorization"] = f"Bearer {self.api_key}"
        else:
            query = {**query, "api_key": self.api_key}
        url = f"{self.api_url.rstrip('/')}{path}?{urlencode(query)}"
        body = self._get(url, headers=headers, limit=MAX_POSTER_BYTES)
        try:
            return json.loads(body)
        except ValueError:
            raise TmdbError(NOT_JSON.format(path=path)) from None

    def _get(self, url: str, *, headers: dict[str, str], limit: int) -> bytes:
        path = urlsplit(url).path
        if urlsplit(url).scheme not in {"http", "https"}:
            raise TmdbError(UNREACHABLE.format(path=path, reason="not an http(s) URL"))
        for attempt in range(MAX_WAITS + 1):
            request = urllib.request.Request(url, headers={"User-Agent": "MovieRec posters_fetch", **headers})  # noqa: S310 (scheme checked above)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    return response.read(limit)
            except urllib.error.HTTPError as error:
                if error.code == 429 and attempt < MAX_WAITS:
                    self.sleep(self._wait(error.headers.get("Retry-After")))
                    continue
                raise _refusal(error, path, attempt) from None
            except TimeoutError:
                raise TmdbError(TIMED_OUT.format(path=path, timeout=self.timeout)) from None
            except urllib.error.URLError as error:
                if isinstance(error.reason, TimeoutError):
                    raise TmdbError(TIMED_OUT.format(path=path, timeout=self.timeout)) from None
                raise TmdbError(UNREACHABLE.format(path=path, reason=error.reason)) from None
            except OSError as error:
                raise TmdbError(UNREACHABLE.format(path=path, reason=error)) from None
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _wait(self, retry_after: str | None) -> float:
        """Seconds to wait from a Retry-After header (seconds, or an HTTP date); more than allowed stops the run."""
        seconds = DEFAULT_WAIT_SECONDS
        if retry_after and retry_after.strip().isdigit():
            seconds = float(retry_after.strip())
        elif retry_after and (when := parse_http_date_safe(retry_after)) is not None:
            seconds = max(0.0, when - time.time())
        if seconds > self.retry_after_max:
            raise TmdbError(WAIT_TOO_LONG.format(seconds=seconds, limit=self.retry_after_max))
        return seconds


def tmdb_client(*, sleep: Callable[[float], None] = time.sleep) -> TmdbClient:
    """A client configured from the settings (TMDB_*); TmdbError when there is no key. ``sleep`` waits out a 429's
    Retry-After (tests note the seconds instead)."""
    if not settings.TMDB_API_KEY:
        raise TmdbError(KEY_MISSING)
    return TmdbClient(
        api_url=settings.TMDB_API_URL,
        image_url=settings.TMDB_IMAGE_URL,
        api_key=settings.TMDB_API_KEY,
        timeout=settings.TMDB_TIMEOUT_SECONDS,
        retry_after_max=settings.TMDB_RETRY_AFTER_MAX_SECONDS,
        sleep=sleep,
    )


def _is_read_access_token(key: str) -> bool:
    """A v4 read access token is a JWT (three dot-separated parts, the first "eyJ"); a v3 key is 32 hex digits.
    TMDB takes the first in an Authorization header, the second as the api_key parameter."""
    return key.startswith("eyJ") and key.count(".") == 2


def _refusal(error: urllib.error.HTTPError, path: str, attempt: int) -> Exception:
    if error.code == 404:
        return TmdbNotFound(path)
    if error.code == 401:
        return TmdbError(KEY_REFUSED.format(path=path))
    if error.code == 429:
        return TmdbError(STILL_LIMITED.format(path=path, attempts=attempt))
    return TmdbError(SERVER_ERROR.format(status=error.code, path=path))
