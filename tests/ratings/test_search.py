"""The forgiving search: typos, numbers in digits or words, the start of a word, genres named in the query, and
"did you mean" when no title has the words as typed. The same answers on SQLite and PostgreSQL (CI runs both)."""

import pytest
from django.test import Client
from django.urls import reverse

from ratings.search import FUZZY_MAX_MOVIES, TitleIndex, genres_named, search_hints, title_index
from ratings.selectors import movie_list
from tests.factories import GenreFactory, MovieFactory

pytestmark = pytest.mark.django_db

CATALOGUE = [
    "Godfather, The",
    "Godfather: Part II, The",
    "Twelve Monkeys",
    "12 Angry Men",
    "Shawshank Redemption, The",
    "Father of the Bride Part II",
    "Terminator, The",
    "Toy Story",
    "Hawaii",
]


@pytest.fixture
def catalogue() -> None:
    for title in CATALOGUE:
        MovieFactory(title=title)


def found(query: str) -> list[str]:
    return sorted(movie.display_title for movie in movie_list(query=query))


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("godfater", ["The Godfather", "The Godfather: Part II"]),
        ("shawshenk redemtion", ["The Shawshank Redemption"]),
        ("terminater", ["The Terminator"]),
        ("12 monkeys", ["Twelve Monkeys"]),
        ("twelve monkeys", ["Twelve Monkeys"]),
        ("twelve angry men", ["12 Angry Men"]),
        ("godfather 2", ["The Godfather: Part II"]),
        ("monk", ["Twelve Monkeys"]),
        ("the godfather", ["The Godfather", "The Godfather: Part II"]),
    ],
)
def test_typos_numbers_and_word_starts_find_the_movie(catalogue: None, query: str, titles: list[str]) -> None:
    """A typo, a number in digits or words (a sequel's roman numeral as its digit), or the start of a word all
    find the movie meant, and only that."""
    assert found(query) == titles


@pytest.mark.parametrize("query", ["toy zzz", "xqzv", "zzz"])
def test_what_matches_nothing_finds_nothing(catalogue: None, query: str) -> None:
    """Short or unlike words are never stretched to a title: "zzz" is not "toy"."""
    assert found(query) == []


def test_a_numeral_alone_matches_as_typed(catalogue: None) -> None:
    """ "ii" is a word start as typed (in "Hawaii" too); the numeral becomes a digit in the loose step only."""
    assert found("ii") == ["Father of the Bride Part II", "Hawaii", "The Godfather: Part II"]


def test_a_typo_is_not_corrected_when_a_title_has_the_words_as_typed(catalogue: None) -> None:
    """The loose step runs only when nothing matches: "father" finds both titles that contain it, no more."""
    assert found("father") == ["Father of the Bride Part II", "The Godfather", "The Godfather: Part II"]
    assert search_hints(query="father").corrected is None


def test_did_you_mean_names_the_catalogues_spelling(catalogue: None) -> None:
    """When no title has the words as typed, the hint spells the query as the titles do."""
    assert search_hints(query="godfater").corrected == "godfather"
    assert search_hints(query="12 monkies").corrected == "12 monkeys"
    assert search_hints(query="xqzv").corrected is None
    assert search_hints(query="").corrected is None


def test_the_loose_step_is_bounded(db: None) -> None:
    """However many titles a typo is like, at most FUZZY_MAX_MOVIES come back."""
    index = TitleIndex.from_titles([(pk, f"Godfather {pk}") for pk in range(FUZZY_MAX_MOVIES + 50)])
    ids, corrected = index.loose_match(["godfater"])
    assert len(ids) == FUZZY_MAX_MOVIES and corrected == "godfather"


def test_the_index_follows_the_catalogue(catalogue: None) -> None:
    """A movie added after the index was built is found loosely at once: the index is rebuilt."""
    before = title_index()
    assert found("casablanka") == []
    MovieFactory(title="Casablanca")
    assert title_index() is not before
    assert found("casablanka") == ["Casablanca"]


@pytest.mark.parametrize(
    ("query", "genre"),
    [
        ("sci-fi", "Sci-Fi"),
        ("SciFi", "Sci-Fi"),
        ("science fiction", "Sci-Fi"),
        ("comedy", "Comedy"),
        ("Comedies", "Comedy"),
        ("horror movies", "Horror"),
        ("kids", "Children's"),
        ("film noir", "Film-Noir"),
        ("western films", "Western"),
        ("godfather", None),
        ("comedy club", None),
    ],
)
def test_genre_words_name_the_genre(query: str, genre: str | None) -> None:
    """A query that is a genre's name, plural, slug or a common word for it (with "movies" or "films" after)
    names that genre; a title's words do not."""
    for name in ("Sci-Fi", "Comedy", "Horror", "Children's", "Film-Noir", "Western"):
        GenreFactory(name=name)
    assert [g.name for g in genres_named(query=query)] == ([genre] if genre else [])


def test_a_renamed_movie_is_found_by_its_new_title() -> None:
    """The folded title follows the title on every save, update_fields included: the search finds the new
    title, accents and case aside, and no longer the old one."""
    movie = MovieFactory(title="Working Title")
    movie.title = "Amélie"
    movie.save(update_fields=["title"])
    assert list(movie_list(query="AMELIE")) == [movie]
    assert list(movie_list(query="working")) == []


def test_the_catalogue_page_offers_the_genre_and_says_did_you_mean(client: Client, catalogue: None) -> None:
    """ "comedy" leads to the Comedy genre's list; "godfater" shows The Godfather, saying which spelling it used."""
    comedy = GenreFactory(name="Comedy", slug="comedy")
    text = client.get(reverse("movie-list"), {"q": "comedy"}).text
    assert f'href="/movies/?genre={comedy.slug}">All Comedy movies' in text
    text = client.get(reverse("movie-list"), {"q": "godfater"}).text
    assert "No title has “godfater”. Showing titles like" in text
    assert 'href="/movies/?q=godfather">“godfather”' in text
    assert "The Godfather" in text and "2 movies" in text
    nothing = client.get(reverse("movie-list"), {"q": "xqzv"}).text
    assert "No movie matches." in nothing and "Showing titles like" not in nothing
