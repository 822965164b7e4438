"""`manage.py posters_fetch` against a stand-in for TMDB served in the test (find, movie and image endpoints, a 401,
404s, a 429 with Retry-After, a server error, a server too slow): posters and overviews stored, movies fetched before
skipped, every refusal a sentence, and never a file half written. The internet is never asked."""

import contextlib
import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from ratings.management.commands.posters_fetch import NOT_POSITIVE, SUMMARY
from ratings.models import Movie
from ratings.services.poster_fetch import PosterFetchSummary, posters_fetch
from ratings.services.tmdb import (
    KEY_MISSING,
    KEY_REFUSED,
    SERVER_ERROR,
    TIMED_OUT,
    WAIT_TOO_LONG,
    TmdbClient,
    tmdb_client,
)
from tests.factories import MovieFactory

pytestmark = pytest.mark.django_db

KEY = "0123456789abcdef0123456789abcdef"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJ4In0.c2lnbmF0dXJl"  # a v4 read access token is a JWT
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"toy" * 50
PNG = b"\x89PNG\r\n\x1a\n" + b"blade" * 50
# TMDB's answers by IMDb id (/find) and by TMDB id (/movie); None: no such movie.
FOUND = {
    "tt0114709": {"id": 862, "poster_path": "/toy.jpg", "overview": "A cowboy doll is threatened by a spaceman."},
    "tt0000500": {"id": 500, "poster_path": None, "overview": "Nobody made a poster."},
    "tt0000404": None,
    "tt0000410": {"id": 410, "poster_path": "/gone.jpg", "overview": ""},
    "tt0000666": {"id": 666, "poster_path": "/error-page.jpg", "overview": "Its image is an HTML page."},
    "tt0000429": {"id": 429, "poster_path": "/toy.jpg", "overview": "Asked too often."},
}
MOVIES = {78: {"id": 78, "poster_path": "/blade.png", "overview": "Replicants.", "imdb_id": "tt0083658"}}
IMAGES = {"/toy.jpg": JPEG, "/blade.png": PNG, "/error-page.jpg": b"<html><body>Service unavailable</body></html>"}


@dataclass
class StandIn:
    """A TMDB that answers like the real one, and what it was asked."""

    url: str = ""
    paths: list[str] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    retry_after: str = "2"  # what the first request for tt0000429 is told
    limited: set[str] = field(default_factory=set)  # paths answered 429 once already
    release: threading.Event = field(default_factory=threading.Event)  # lets the slow endpoint answer
    found: dict[str, dict | None] = field(default_factory=lambda: dict(FOUND))

    def answer(self, path: str, query: dict[str, list[str]], authorization: str) -> tuple[int, dict, bytes]:
        self.paths.append(path)
        if path.startswith("/img/t/p/w342/"):
            image = IMAGES.get(path.removeprefix("/img/t/p/w342"))
            return (200, {"Content-Type": "image/jpeg"}, image) if image else _json(404, {"status_code": 34})
        key = query.get("api_key", [""])[0]
        self.keys.append(key)
        self.authorizations.append(authorization)
        if key != KEY and authorization != f"Bearer {TOKEN}":
            return _json(401, {"status_code": 7, "status_message": "Invalid API key: You must be granted a valid key."})
        if path == "/3/find/tt0000429" and path not in self.limited:
            self.limited.add(path)
            return 429, {"Retry-After": self.retry_after, "Content-Type": "application/json"}, b"{}"
        if path == "/3/find/tt0000500" and query.get("external_source") != ["imdb_id"]:
            return _json(422, {"status_code": 22})
        if path == "/3/find/tt0000999":
            self.release.wait(timeout=30)
            return _json(200, {"movie_results": []})
        if path == "/3/find/tt0000503":
            return _json(503, {"status_code": 43, "status_message": "Service offline."})
        if path.startswith("/3/find/"):
            found = self.found.get(path.removeprefix("/3/find/"))
            return _json(200, {"movie_results": [found] if found else [], "tv_results": []})
        if path.startswith("/3/movie/"):
            found = MOVIES.get(int(path.removeprefix("/3/movie/")))
            return _json(200, found) if found else _json(404, {"status_code": 34, "status_message": "Not found."})
        return _json(404, {"status_code": 34})


def _json(status: int, data: object) -> tuple[int, dict, bytes]:
    return status, {"Content-Type": "application/json;charset=utf-8"}, json.dumps(data).encode()


@pytest.fixture
def tmdb(settings: Any, tmp_path: Path) -> Iterator[StandIn]:
    """The stand-in on a free local port, and the settings pointing posters_fetch at it."""
    stand_in = StandIn()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            status, headers, body = stand_in.answer(
                parts.path, parse_qs(parts.query), self.headers.get("Authorization", "")
            )
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the timeout test's client gave up
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    stand_in.url = f"http://127.0.0.1:{server.server_address[1]}"
    settings.TMDB_API_URL = f"{stand_in.url}/3"
    settings.TMDB_IMAGE_URL = f"{stand_in.url}/img/t/p/w342"
    settings.TMDB_API_KEY = KEY
    settings.TMDB_TIMEOUT_SECONDS = 10
    settings.TMDB_RETRY_AFTER_MAX_SECONDS = 30
    settings.POSTER_DIR = tmp_path / "posters"
    try:
        yield stand_in
    finally:
        stand_in.release.set()
        server.shutdown()
        server.server_close()


def posters_fetch_command(*args: str) -> str:
    out = StringIO()
    call_command("posters_fetch", *args, stdout=out, verbosity=0)
    return out.getvalue()


def client_for(*, waits: list[float]) -> TmdbClient:
    """The client the command builds from the settings, waiting by noting the seconds instead of sleeping."""
    return tmdb_client(sleep=waits.append)


def leftovers(settings: Any) -> list[str]:
    """Temporary files left in POSTER_DIR: a half-written poster would be one."""
    folder = Path(settings.POSTER_DIR)
    return sorted(path.name for path in folder.iterdir() if path.name.startswith(".")) if folder.exists() else []


@pytest.fixture
def catalogue() -> dict[str, Movie]:
    """A movie of each kind TMDB answers about, and one without any id."""
    return {
        "toy_story": MovieFactory(title="Toy Story", imdb_id="tt0114709"),
        "blade_runner": MovieFactory(title="Blade Runner", tmdb_id=78, imdb_id="tt0083658"),
        "no_poster": MovieFactory(title="Posterless", imdb_id="tt0000500"),
        "image_gone": MovieFactory(title="Image Gone", imdb_id="tt0000410"),
        "unknown_imdb": MovieFactory(title="Unknown to TMDB", imdb_id="tt0000404"),
        "unknown_tmdb": MovieFactory(title="Removed from TMDB", tmdb_id=404404),
        "no_id": MovieFactory(title="No Ids"),
    }


def test_posters_and_overviews_are_stored_and_served(tmdb: StandIn, catalogue: dict, settings: Any) -> None:
    """Found by IMDb id (/find) or TMDB id (/movie), each movie gets TMDB's overview, its TMDB id and its poster
    as a file in POSTER_DIR, which its poster address then serves; TMDB's "no poster" and a 404 are counted, a
    movie without ids is left; the summary says all of it."""
    output = posters_fetch_command()

    expected = PosterFetchSummary(posters=2, overviews=3, no_poster=2, not_found=2, bad_images=0, no_id=1, already=0)
    assert output.strip() == SUMMARY.format(**asdict(expected))
    toy_story = Movie.objects.get(pk=catalogue["toy_story"].pk)
    assert (toy_story.tmdb_id, toy_story.overview) == (862, FOUND["tt0114709"]["overview"])
    assert (Path(settings.POSTER_DIR) / toy_story.poster_file).read_bytes() == JPEG
    blade_runner = Movie.objects.get(pk=catalogue["blade_runner"].pk)
    assert blade_runner.poster_file.endswith(".png")
    assert "/3/movie/78" in tmdb.paths and "/3/find/tt0083658" not in tmdb.paths  # the TMDB id is asked first
    served = Client().get(reverse("movie-poster", args=[toy_story.pk]))
    assert (served["Content-Type"], served.content) == ("image/jpeg", JPEG)
    assert Movie.objects.get(pk=catalogue["no_poster"].pk).poster_file == ""
    assert Movie.objects.get(pk=catalogue["no_id"].pk).tmdb_fetched_at is None
    assert leftovers(settings) == []


def test_a_second_run_skips_every_movie_fetched_before(tmdb: StandIn, catalogue: dict) -> None:
    """Movies TMDB answered for, found or not, are not asked about again: the second run sends no request."""
    posters_fetch_command()
    asked = len(tmdb.paths)

    output = posters_fetch_command()

    assert len(tmdb.paths) == asked
    nothing = PosterFetchSummary(posters=0, overviews=0, no_poster=0, not_found=0, bad_images=0, no_id=1, already=6)
    assert output.strip() == SUMMARY.format(**asdict(nothing))


def test_limit_fetches_that_many_movies_and_the_next_run_goes_on(tmdb: StandIn, catalogue: dict) -> None:
    """--limit 2 fetches the first two movies; the next run fetches the rest."""
    posters_fetch_command("--limit", "2")
    assert Movie.objects.filter(tmdb_fetched_at__isnull=False).count() == 2

    posters_fetch_command()
    assert Movie.objects.filter(tmdb_fetched_at__isnull=False).count() == 6


@pytest.mark.parametrize("value", ["0", "-3", "two", "1.5"])
def test_a_limit_that_is_not_a_positive_number_is_refused(tmdb: StandIn, value: str) -> None:
    """--limit 0, negative or not a number: the command says what it takes and asks nothing."""
    with pytest.raises(CommandError) as raised:
        posters_fetch_command("--limit", value)
    assert NOT_POSITIVE.format(value=value) in str(raised.value)
    assert tmdb.paths == []


def test_without_a_key_the_command_says_how_to_get_one(tmdb: StandIn, catalogue: dict, settings: Any) -> None:
    """No TMDB_API_KEY: a clear error, and TMDB is not asked."""
    settings.TMDB_API_KEY = ""
    with pytest.raises(CommandError) as raised:
        posters_fetch_command()
    assert str(raised.value) == KEY_MISSING
    assert tmdb.paths == []


def test_a_refused_key_stops_the_run_saying_so(tmdb: StandIn, catalogue: dict, settings: Any) -> None:
    """A 401 stops at the first movie with an error that names TMDB_API_KEY (the key itself never shown), and
    nothing is stored or marked fetched."""
    settings.TMDB_API_KEY = "not-the-key"
    with pytest.raises(CommandError) as raised:
        posters_fetch_command()

    assert KEY_REFUSED.format(path="/3/find/tt0114709") in str(raised.value)
    assert "not-the-key" not in str(raised.value)
    assert len(tmdb.paths) == 1
    assert not Movie.objects.filter(tmdb_fetched_at__isnull=False).exists()


def test_a_read_access_token_is_sent_as_a_bearer_header(tmdb: StandIn, catalogue: dict, settings: Any) -> None:
    """A v4 read access token goes in the Authorization header, never in the address."""
    settings.TMDB_API_KEY = TOKEN
    posters_fetch_command("--limit", "1")

    assert tmdb.authorizations == [f"Bearer {TOKEN}"]
    assert tmdb.keys == [""]
    assert Movie.objects.get(pk=catalogue["toy_story"].pk).poster_file


def test_a_429_is_waited_out_as_retry_after_says_then_asked_again(tmdb: StandIn, settings: Any) -> None:
    """TMDB's 429 with Retry-After: 2 is waited 2 s (the wait noted, not slept), then the request is sent again
    and the movie fetched."""
    limited = MovieFactory(imdb_id="tt0000429")
    waits: list[float] = []

    summary = posters_fetch(client=client_for(waits=waits))

    assert waits == [2.0]
    assert tmdb.paths.count("/3/find/tt0000429") == 2
    assert summary.posters == 1
    assert Movie.objects.get(pk=limited.pk).poster_file


def test_a_retry_after_past_the_bound_stops_the_run_and_keeps_what_was_fetched(tmdb: StandIn, settings: Any) -> None:
    """A Retry-After of an hour, past TMDB_RETRY_AFTER_MAX_SECONDS, is not waited: the run stops saying so and
    how many posters it kept; the movie before it keeps its poster, and the next run asks about the rest."""
    first = MovieFactory(imdb_id="tt0114709")
    limited = MovieFactory(imdb_id="tt0000429")
    tmdb.retry_after = "3600"

    with pytest.raises(CommandError) as raised:
        posters_fetch_command()

    assert WAIT_TOO_LONG.format(seconds=3600, limit=30) in str(raised.value)
    assert "Stopped after 1 posters" in str(raised.value)
    assert Movie.objects.get(pk=first.pk).poster_file
    assert Movie.objects.get(pk=limited.pk).tmdb_fetched_at is None


def test_tmdb_too_slow_stops_the_run_with_the_timeout(tmdb: StandIn, settings: Any) -> None:
    """A TMDB that does not answer within TMDB_TIMEOUT_SECONDS stops the run with that bound in the message, and
    leaves no file behind."""
    settings.TMDB_TIMEOUT_SECONDS = 0.5
    MovieFactory(imdb_id="tt0000999")

    with pytest.raises(CommandError) as raised:
        posters_fetch_command()

    assert TIMED_OUT.format(path="/3/find/tt0000999", timeout=0.5) in str(raised.value)
    assert leftovers(settings) == []


def test_a_server_error_stops_the_run_without_showing_the_key(tmdb: StandIn, settings: Any) -> None:
    """A 503 stops the run naming the status and the path asked, not the query string with the key."""
    MovieFactory(imdb_id="tt0000503")

    with pytest.raises(CommandError) as raised:
        posters_fetch_command()

    assert SERVER_ERROR.format(status=503, path="/3/find/tt0000503") in str(raised.value)
    assert KEY not in str(raised.value)


def test_an_image_that_is_not_an_image_is_refused_and_asked_again_next_run(
    tmdb: StandIn, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """An HTML page where the poster should be is not stored (nothing on disk), counted, logged, and the movie
    stays unfetched, so that the next run asks again."""
    movie = MovieFactory(imdb_id="tt0000666")

    summary = posters_fetch(client=client_for(waits=[]))

    assert summary.bad_images == 1 and summary.posters == 0
    assert Movie.objects.get(pk=movie.pk).tmdb_fetched_at is None
    assert not Path(settings.POSTER_DIR).exists() or list(Path(settings.POSTER_DIR).iterdir()) == []
    assert "error-page.jpg" in caplog.text


def test_a_tmdb_id_tmdb_no_longer_has_falls_back_to_the_imdb_id(tmdb: StandIn, settings: Any) -> None:
    """A TMDB id that answers 404 is not the end when the movie has an IMDb id: /find gives its current id."""
    movie = MovieFactory(tmdb_id=404404, imdb_id="tt0114709")

    posters_fetch(client=client_for(waits=[]))

    assert tmdb.paths[:2] == ["/3/movie/404404", "/3/find/tt0114709"]
    assert Movie.objects.get(pk=movie.pk).tmdb_id == 862


def test_a_poster_path_that_is_not_one_file_name_is_not_asked_for(tmdb: StandIn, settings: Any) -> None:
    """TMDB's poster_path is a file name; a path that climbs folders or holds a query is taken for no poster."""
    tmdb.found["tt0000777"] = {"id": 777, "poster_path": "/../../etc/passwd", "overview": ""}
    MovieFactory(imdb_id="tt0000777")

    summary = posters_fetch(client=client_for(waits=[]))

    assert summary.no_poster == 1
    assert not any(path.startswith("/img/") for path in tmdb.paths)


def test_a_movie_whose_poster_file_is_gone_is_fetched_again(tmdb: StandIn, catalogue: dict, settings: Any) -> None:
    """After a restore without POSTER_DIR, the movies whose files are missing are asked about again; the others
    stay skipped."""
    posters_fetch_command()
    toy_story = Movie.objects.get(pk=catalogue["toy_story"].pk)
    (Path(settings.POSTER_DIR) / toy_story.poster_file).unlink()
    asked = len(tmdb.paths)

    posters_fetch_command()

    # Its TMDB id (862, from the first run) first, which the stand-in does not know, then its IMDb id.
    assert tmdb.paths[asked:] == ["/3/movie/862", "/3/find/tt0114709", "/img/t/p/w342/toy.jpg"]
    assert (Path(settings.POSTER_DIR) / toy_story.poster_file).read_bytes() == JPEG


def test_progress_goes_to_stderr_and_the_summary_to_stdout(tmdb: StandIn, catalogue: dict, capsys: Any) -> None:
    """At normal verbosity a progress bar counts the movies on stderr; the summary alone is on stdout."""
    out = StringIO()
    call_command("posters_fetch", stdout=out, verbosity=1)

    assert "posters: 100%" in capsys.readouterr().err
    assert out.getvalue().startswith("Stored 2 posters and 3 overviews;")
