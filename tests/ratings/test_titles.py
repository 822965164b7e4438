"""Natural titles: MovieLens's "Shawshank Redemption, The" is shown as "The Shawshank Redemption" everywhere, and
the catalogue still files it under S."""

import pytest
from django.test import Client
from django.urls import reverse

from ratings.models import natural_title
from ratings.selectors import movie_list
from tests.factories import MovieFactory, RatingFactory


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("Shawshank Redemption, The", "The Shawshank Redemption"),
        ("Affair to Remember, An", "An Affair to Remember"),
        ("Misérables, Les", "Les Misérables"),
        ("Boot, Das", "Das Boot"),
        ("Enfer, L'", "L'Enfer"),
        ("Big Blue, The (Grand bleu, Le)", "The Big Blue (Le Grand bleu)"),
        ("Die xue shuang xiong (Killer, The)", "Die xue shuang xiong (The Killer)"),
        ("Godfather: Part II, The", "The Godfather: Part II"),
        ("Paris, Texas", "Paris, Texas"),
        ("I, Worst of All (Yo, la peor de todas)", "I, Worst of All (Yo, la peor de todas)"),
        ("Independence Day (ID4)", "Independence Day (ID4)"),
        ("Theory, Thee", "Theory, Thee"),
        ("", ""),
    ],
)
def test_a_trailing_article_moves_to_the_front(stored: str, shown: str) -> None:
    """MovieLens's trailing articles (English, French, German, Italian...) move to the front, in an alternate title
    in parentheses too; a comma before any other word stays."""
    assert natural_title(stored) == shown


@pytest.mark.django_db
def test_pages_show_natural_titles_and_sort_ignoring_the_article(client: Client) -> None:
    """The catalogue, the movie page and its <title> say "The Shawshank Redemption"; ordered by title, it comes
    after "Heat", as the article is ignored."""
    shawshank = MovieFactory(title="Shawshank Redemption, The", year=1994)
    MovieFactory(title="Heat", year=1995)
    RatingFactory(movie=shawshank)
    assert [m.display_title for m in movie_list(ordering="title")] == ["Heat", "The Shawshank Redemption"]
    listing = client.get(reverse("movie-list"), {"order": "title"}).text
    assert "The Shawshank Redemption" in listing and "Redemption, The" not in listing
    assert listing.index("Heat") < listing.index("The Shawshank Redemption")
    page = client.get(reverse("movie-detail", args=[shawshank.pk])).text
    assert "<title>The Shawshank Redemption · MovieRec</title>" in page
    assert '<h1>The Shawshank Redemption <span class="year">(1994)</span></h1>' in page
    assert str(shawshank) == "The Shawshank Redemption (1994)"


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["the shawshank", "Shawshank Redemption, The", "redemption the", "shawshank"])
def test_search_ignores_where_the_article_is(query: str) -> None:
    """With the article first, last or absent, the search finds the movie."""
    MovieFactory(title="Shawshank Redemption, The")
    MovieFactory(title="Heat")
    assert [m.display_title for m in movie_list(query=query)] == ["The Shawshank Redemption"]
