"""A movie's poster address: the drawn SVG, or TMDB's stored image once fetched; kept a day, revalidated with
ETag or Last-Modified (304); and the cards and the movie page that show it."""

import os
import re
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.http import http_date

from ratings.endpoints import MOVIE_NOT_FOUND
from ratings.models import Movie
from ratings.poster_views import POSTER_MAX_AGE, POSTER_POLICY
from ratings.posters.files import poster_file_write
from tests.factories import GenreFactory, MovieFactory, RatingFactory, UserFactory

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
IMG = re.compile(r"<img\b[^>]*>")


@pytest.fixture(autouse=True)
def poster_dir(settings: object, tmp_path: object) -> object:
    settings.POSTER_DIR = tmp_path / "posters"
    return settings.POSTER_DIR


@pytest.fixture
def shawshank() -> Movie:
    return MovieFactory(title="Shawshank Redemption, The", year=1994, genres=[GenreFactory(name="Drama")])


def poster_url(movie: Movie) -> str:
    return reverse("movie-poster", args=[movie.pk])


def test_a_movie_without_a_stored_poster_gets_the_drawn_svg_with_its_natural_title(
    client: Client, shawshank: Movie
) -> None:
    """The drawn poster is SVG that says "The Shawshank Redemption" (the title as the site shows it), its year and
    its genre."""
    response = client.get(poster_url(shawshank))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    root = ET.fromstring(response.content)  # noqa: S314 (the site's own drawing)
    words = " ".join(element.text for element in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "The Shawshank Redemption" in words and "1994" in words and "DRAMA" in words
    assert "Redemption, The" not in response.content.decode()


def test_a_poster_is_kept_a_day_and_revalidated_by_its_etag(client: Client, shawshank: Movie) -> None:
    """The answer may be kept a day by any cache, with an ETag; asked again with that ETag, the answer is 304 with
    no body, and the same ETag and caching."""
    first = client.get(poster_url(shawshank))
    assert first["Cache-Control"] == f"public, max-age={POSTER_MAX_AGE}"
    assert POSTER_MAX_AGE >= 86400
    assert re.fullmatch(r'"[0-9a-f]{32}"', first["ETag"])

    again = client.get(poster_url(shawshank), headers={"If-None-Match": first["ETag"]})

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == first["Cache-Control"]


def test_a_changed_movie_gets_a_new_etag_and_a_full_answer(client: Client, shawshank: Movie) -> None:
    """Once the title or the genres change, the old ETag no longer matches: the new drawing is sent."""
    old_tag = client.get(poster_url(shawshank))["ETag"]
    shawshank.genres.add(GenreFactory(name="Crime"))

    response = client.get(poster_url(shawshank), headers={"If-None-Match": old_tag})

    assert response.status_code == 200
    assert response["ETag"] != old_tag
    assert b"CRIME" in response.content


def test_a_stored_poster_is_served_instead_with_last_modified(client: Client, shawshank: Movie) -> None:
    """After posters_fetch kept TMDB's image, the same address serves those bytes as image/jpeg with a
    Last-Modified; If-Modified-Since at that time answers 304, an older one the image."""
    shawshank.poster_file = poster_file_write(stem=str(shawshank.pk), content=JPEG)
    shawshank.save()

    response = client.get(poster_url(shawshank))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response.content == JPEG
    modified = response["Last-Modified"]
    assert client.get(poster_url(shawshank), headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(poster_url(shawshank), headers={"If-None-Match": response["ETag"]}).status_code == 304
    older = http_date(0)
    assert client.get(poster_url(shawshank), headers={"If-Modified-Since": older}).content == JPEG


@pytest.mark.parametrize("name", ["gone.jpg", "../outside.jpg", "/etc/passwd", ".hidden.jpg", "poster.svg"])
def test_a_stored_name_that_is_missing_or_leads_out_falls_back_to_the_drawing(
    client: Client, shawshank: Movie, poster_dir: object, name: str
) -> None:
    """A poster file removed since, or a name that is not a plain image file inside POSTER_DIR, is never read:
    the drawn SVG is served."""
    os.makedirs(poster_dir, exist_ok=True)
    (poster_dir.parent / "outside.jpg").write_bytes(JPEG)
    (poster_dir / ".hidden.jpg").write_bytes(JPEG)
    (poster_dir / "poster.svg").write_bytes(b"<svg><script>alert(1)</script></svg>")
    Movie.objects.filter(pk=shawshank.pk).update(poster_file=name)

    response = client.get(poster_url(shawshank))

    assert response["Content-Type"] == "image/svg+xml"
    assert b"<script" not in response.content


def test_the_poster_runs_nothing_even_opened_on_its_own(client: Client, shawshank: Movie) -> None:
    """Whatever the site's policy, a poster carries its own: no script, no loading, sandboxed; and no sniffing."""
    response = client.get(poster_url(shawshank))
    assert response["Content-Security-Policy"] == POSTER_POLICY
    assert "default-src 'none'" in POSTER_POLICY and "sandbox" in POSTER_POLICY
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_unknown_movie_has_no_poster(client: Client) -> None:
    """A number that is no movie answers 404 with the catalogue's sentence."""
    response = client.get(reverse("movie-poster", args=[987654]))
    assert response.status_code == 404
    assert MOVIE_NOT_FOUND in response.content.decode()


def test_a_poster_is_only_read(client: Client, shawshank: Movie) -> None:
    """POST answers 405 naming the methods the address takes."""
    response = client.post(poster_url(shawshank))
    assert response.status_code == 405
    assert "GET" in response["Allow"]


def poster_images(body: str, movie: Movie) -> list[str]:
    return [tag for tag in IMG.findall(body) if f'src="{poster_url(movie)}"' in tag]


def test_catalogue_cards_lead_with_a_lazy_decorative_poster_of_fixed_size(client: Client, shawshank: Movie) -> None:
    """Each catalogue card begins with the movie's poster: width and height given (no jump while it loads), lazy,
    and alt="" since the title is beside it."""
    body = client.get(reverse("movie-list")).content.decode()

    (image,) = poster_images(body, shawshank)
    assert 'width="200" height="300"' in image
    assert 'loading="lazy"' in image
    assert 'alt=""' in image
    card = body[body.index(f'id="card-{shawshank.pk}"') :]
    assert card.index("<img") < card.index('class="card-title"')


def test_the_movie_page_shows_a_large_poster_named_for_the_movie(client: Client, shawshank: Movie) -> None:
    """The movie page's poster has an alt naming the movie, and loads at once (it is the top of the page)."""
    body = client.get(reverse("movie-detail", args=[shawshank.pk])).content.decode()

    (image,) = poster_images(body, shawshank)
    assert 'alt="Poster of The Shawshank Redemption"' in image
    assert "loading=" not in image


def test_onboarding_and_recommendation_cards_show_posters(client: Client, shawshank: Movie) -> None:
    """A newcomer's onboarding cards and the home page's cards show each movie's poster too."""
    RatingFactory(movie=shawshank, score=5.0)
    client.force_login(UserFactory())

    assert poster_images(client.get(reverse("onboarding")).content.decode(), shawshank)
    assert poster_images(client.get(reverse("home")).content.decode(), shawshank)


def test_a_title_with_markup_is_escaped_in_the_alt_and_in_the_svg(client: Client) -> None:
    """A title that holds markup is text in the movie page's alt and in the drawn poster, which still parses."""
    movie = MovieFactory(title='"><script>alert(1)</script> & Co')

    page = client.get(reverse("movie-detail", args=[movie.pk])).content.decode()
    svg = client.get(poster_url(movie)).content

    assert "<script>alert(1)" not in page
    assert 'alt="Poster of &quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"' in page
    assert b"<script" not in svg
    ET.fromstring(svg)  # noqa: S314 (the site's own drawing)
