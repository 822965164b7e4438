"""GET /api/movies and /api/movies/{id}: search (and its alias q), filters, ordering, bounded pages, and 400/404/422
refusals, unknown query parameters included."""

import datetime as dt

import pytest
from django.test import Client

from api.routers.movies import MOVIE_NOT_FOUND, SEARCH_TWICE, UNKNOWN_GENRE
from api.routers.params import UNKNOWN_QUERY_PARAMETERS
from ratings.models import Movie, Tag
from tests.factories import GenreFactory, MovieFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_catalogue_is_public_and_paginated(api_client: Client, catalogue: list) -> None:
    """Anyone can list movies; a page holds page_size movies with their genres, and count is the whole match."""
    response = api_client.get("/api/movies", {"page_size": 5, "page": 2, "ordering": "title"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 12 and body["page"] == 2 and body["page_size"] == 5
    assert [movie["title"] for movie in body["items"]] == [f"Film {i:02d}" for i in range(5, 10)]
    assert body["items"][0]["genres"][0].keys() == {"slug", "name"}


def test_a_page_past_the_end_is_empty(api_client: Client, catalogue: list) -> None:
    """Asking beyond the last page gives no items rather than an error."""
    body = api_client.get("/api/movies", {"page": 50}).json()
    assert body["items"] == [] and body["count"] == 12


def test_search_ignores_case_and_accents(api_client: Client, db: None) -> None:
    """The search is the site's: words in any order, any case, with or without accents."""
    MovieFactory(title="Misérables, Les", year=1995)
    MovieFactory(title="Heat", year=1995)
    titles = [m["title"] for m in api_client.get("/api/movies", {"search": "les MISERABLES"}).json()["items"]]
    assert titles == ["Les Misérables"]


def test_filters_by_genre_and_year(api_client: Client, catalogue: list) -> None:
    """genre (a slug) and year narrow the list."""
    dramas = api_client.get("/api/movies", {"genre": "drama", "page_size": 100}).json()
    assert dramas["count"] == 6
    assert all(any(g["slug"] == "drama" for g in movie["genres"]) for movie in dramas["items"])
    by_year = api_client.get("/api/movies", {"year": 1993}).json()
    assert [movie["title"] for movie in by_year["items"]] == ["Film 03"]


def test_orderings(api_client: Client, catalogue: list) -> None:
    """newest puts the latest year first; popular the most rated first."""
    newest = api_client.get("/api/movies", {"ordering": "newest"}).json()["items"]
    assert newest[0]["year"] == 2001
    assert api_client.get("/api/movies", {"ordering": "popular"}).status_code == 200


def test_an_unknown_genre_is_a_400(api_client: Client, catalogue: list) -> None:
    """A well-formed genre slug that does not exist is refused rather than answered with an empty list."""
    response = api_client.get("/api/movies", {"genre": "western"})
    assert response.status_code == 400
    assert response.json() == {"detail": UNKNOWN_GENRE.format(slug="western")}


@pytest.mark.parametrize(
    "params",
    [
        {"page": 0},
        {"page": 10_001},
        {"page": "x"},
        {"page_size": 0},
        {"page_size": 101},
        {"year": 1200},
        {"year": 99999999999999999999},
        {"ordering": "random"},
        {"genre": "<script>"},
        {"search": "x" * 101},
    ],
)
def test_out_of_range_query_parameters_are_a_422(api_client: Client, params: dict) -> None:
    """Every numeric parameter is bounded and every text one checked; the message names the parameter."""
    response = api_client.get("/api/movies", params)
    assert response.status_code == 422
    assert next(iter(params)) in response.json()["detail"]
    assert "<script>" not in response.content.decode()


def test_one_movie(api_client: Client, catalogue: list) -> None:
    """GET /api/movies/{id} gives the movie with its rating statistics."""
    movie = catalogue[1]
    body = api_client.get(f"/api/movies/{movie.pk}").json()
    assert body["id"] == movie.pk and body["title"] == "Film 01" and body["year"] == 1991
    assert body["rating_count"] == movie.ratings.count()
    assert body["genres"] == [{"slug": "drama", "name": "Drama"}]


def test_an_unknown_movie_is_a_404(api_client: Client, db: None) -> None:
    """A movie id that does not exist: 404 with a message naming it."""
    response = api_client.get("/api/movies/999999")
    assert response.status_code == 404
    assert response.json() == {"detail": MOVIE_NOT_FOUND.format(id=999999)}


def test_a_movie_without_genres_or_year(api_client: Client, db: None) -> None:
    """Optional fields come back as null or empty, not as errors."""
    GenreFactory(name="Drama", slug="drama")
    movie = MovieFactory(title="Unknown (1996)", year=None)
    body = api_client.get(f"/api/movies/{movie.pk}").json()
    assert body["year"] is None and body["genres"] == [] and body["rating_mean"] is None


@pytest.mark.parametrize("path", ["/api/movies/0", "/api/movies/99999999999999999999999", "/api/movies/0/similar"])
def test_ids_in_paths_are_bounded(api_client: Client, db: None, path: str) -> None:
    """An id below 1 or beyond the database's 64-bit keys is a 422 naming movie_id, never a database error."""
    response = api_client.get(path)
    assert response.status_code == 422
    assert "movie_id" in response.json()["detail"]


def test_q_is_the_search_parameter_by_another_name(api_client: Client, db: None) -> None:
    """`q` searches as `search` does, typos forgiven; both at once is a 422 that says to choose."""
    MovieFactory(title="Godfather, The", year=1972)
    MovieFactory(title="Heat", year=1995)
    for params in ({"q": "godfater"}, {"search": "godfater"}, {"q": "the godfather"}):
        assert [m["title"] for m in api_client.get("/api/movies", params).json()["items"]] == ["The Godfather"]
    response = api_client.get("/api/movies", {"q": "heat", "search": "heat"})
    assert response.status_code == 422
    assert response.json() == {"detail": SEARCH_TWICE}


@pytest.mark.parametrize(
    ("path", "params", "named"),
    [
        ("/api/movies", {"limit": 5}, ["limit"]),
        ("/api/movies", {"query": "x", "sort": "title"}, ["query", "sort"]),
        ("/api/movies/1", {"expand": "1"}, ["expand"]),
        ("/api/movies/1/similar", {"limit": 3}, ["limit"]),
    ],
)
def test_unknown_query_parameters_are_a_422_naming_them(
    api_client: Client, catalogue: list, path: str, params: dict, named: list[str]
) -> None:
    """A parameter the endpoint does not take is refused, not ignored: the message names it and what is taken."""
    response = api_client.get(path, params)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith(UNKNOWN_QUERY_PARAMETERS.split("{")[0])
    assert all(f"`{name}`" in detail for name in named)


def test_a_movie_gives_its_http_imdb_url_as_stored(api_client: Client, db: None) -> None:
    """An http(s) IMDb URL comes back as it is stored; a movie without one has imdb_url null."""
    url = "http://us.imdb.com/M/title-exact?Fargo%20(1996)"
    assert api_client.get(f"/api/movies/{MovieFactory(imdb_url=url).pk}").json()["imdb_url"] == url
    assert api_client.get(f"/api/movies/{MovieFactory(imdb_url='').pk}").json()["imdb_url"] is None


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.domain)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "//evil.example/x",
        "http:evil",
    ],
)
def test_a_stored_imdb_url_that_is_not_http_is_null(api_client: Client, db: None, url: str) -> None:
    """A movie whose IMDb URL was written straight to the database as something other than an absolute http(s) URL
    (past the importer's check) comes back with imdb_url null: the API hands a client nothing a link would run."""
    movie = MovieFactory(title="Fargo")
    Movie.objects.filter(pk=movie.pk).update(imdb_url=url)
    response = api_client.get(f"/api/movies/{movie.pk}")
    assert response.status_code == 200
    assert response.json()["imdb_url"] is None
    assert "script:" not in response.content.decode().lower()


def test_one_movie_lists_its_top_tags(api_client: Client, db: None) -> None:
    """GET /api/movies/{id} gives the tags most raters gave the movie, with how many, most first; none is []."""
    movie = MovieFactory(title="Alien")
    raters = [UserFactory() for _ in range(3)]
    when = dt.datetime(2019, 1, 1, tzinfo=dt.UTC)
    Tag.objects.bulk_create(
        [Tag(user=rater, movie=movie, text="space horror", timestamp=when) for rater in raters]
        + [Tag(user=raters[0], movie=movie, text="ridley scott", timestamp=when)]
    )
    body = api_client.get(f"/api/movies/{movie.pk}").json()
    assert body["tags"] == [{"tag": "space horror", "count": 3}, {"tag": "ridley scott", "count": 1}]
    assert api_client.get(f"/api/movies/{MovieFactory().pk}").json()["tags"] == []
