"""A movie's MovieLens tags where people look for them: its page and the admin list them, most-applied first."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ratings.models import Movie, Tag
from ratings.selectors import TOP_TAGS, TagCount, movie_top_tags
from tests.factories import MovieFactory, UserFactory

pytestmark = pytest.mark.django_db

WHEN = dt.datetime(2019, 11, 21, tzinfo=dt.UTC)


def tagged(movie: Movie, counts: dict[str, int]) -> None:
    """Give ``movie`` each tag of ``counts`` from that many raters."""
    raters = [UserFactory() for _ in range(max(counts.values()))]
    Tag.objects.bulk_create(
        Tag(user=rater, movie=movie, text=text, timestamp=WHEN)
        for text, count in counts.items()
        for rater in raters[:count]
    )


# Ten tags, so that two fall below the top eight; "atmospheric" and "noir" tie and go by text.
COUNTS = {f"tag{n}": n for n in range(1, 9)} | {"atmospheric": 12, "noir": 12}


def test_the_top_tags_are_the_most_applied_with_their_counts() -> None:
    """At most TOP_TAGS tags, most people first, ties by text; another movie's tags do not count."""
    movie, other = MovieFactory(), MovieFactory()
    tagged(movie, COUNTS)
    tagged(other, {"tag1": 30})

    top = movie_top_tags(movie=movie)

    assert top == [TagCount("atmospheric", 12), TagCount("noir", 12)] + [
        TagCount(f"tag{n}", n) for n in range(8, 2, -1)
    ]
    assert len(top) == TOP_TAGS


def test_the_movie_page_shows_its_top_tags_in_one_query(client: Client) -> None:
    """The page lists the top tags with how many people gave each, read in one query of the tags table."""
    movie = MovieFactory(title="Blade Runner")
    tagged(movie, COUNTS)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/movies/{movie.pk}/")

    assert response.status_code == 200
    assert [tag.tag for tag in response.context["tags"]] == [
        "atmospheric",
        "noir",
        *(f"tag{n}" for n in range(8, 2, -1)),
    ]
    html = response.content.decode()
    assert 'atmospheric <span class="tag-count">12' in html and ">tag2 <" not in html
    assert len([q for q in queries.captured_queries if Tag._meta.db_table in q["sql"]]) == 1


def test_a_movie_without_tags_has_no_tags_section(client: Client) -> None:
    html = client.get(f"/movies/{MovieFactory().pk}/").content.decode()
    assert 'id="tags"' not in html


def test_the_admin_lists_searches_and_filters_tags_by_movie_read_only(client: Client) -> None:
    """Staff find tags by their text and by movie (each row links to its movie's tags); tags are not added or
    edited there, since they come from MovieLens."""
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    heat, alien = MovieFactory(title="Heat"), MovieFactory(title="Alien")
    tagged(heat, {"heist": 2})
    tagged(alien, {"space horror": 1})

    listed = client.get("/admin/ratings/tag/", {"q": "horror"})
    assert listed.status_code == 200 and [tag.text for tag in listed.context["cl"].result_list] == ["space horror"]
    by_movie = client.get("/admin/ratings/tag/", {"movie__id__exact": heat.pk})
    assert {tag.movie for tag in by_movie.context["cl"].result_list} == {heat}
    assert f'href="?movie__id__exact={heat.pk}"' in by_movie.content.decode()
    assert client.get("/admin/ratings/tag/add/").status_code == 403
    tag = Tag.objects.filter(movie=heat).first()
    assert tag is not None
    assert client.post(f"/admin/ratings/tag/{tag.pk}/change/", {"text": "edited"}).status_code == 403
