"""links.csv of the CSV layout (ml-latest, ml-25m): each movie's IMDb and TMDB ids, read when the file is there,
checked line by line like every MovieLens file, and given to movies imported before it was read."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from ratings.management.commands.import_movielens import LINKED, NOTHING_TO_ADD
from ratings.models import Movie

pytestmark = pytest.mark.django_db

LINKS = ["movieId,imdbId,tmdbId", "1,0114709,862", "2,0112341,", "3,83658,78"]


def import_movielens(source: object) -> str:
    out = StringIO()
    call_command("import_movielens", "--source", str(source), stdout=out, verbosity=0)
    return out.getvalue()


def ids() -> dict[int, tuple[str, int | None]]:
    return {movie.movielens_id: (movie.imdb_id, movie.tmdb_id) for movie in Movie.objects.all()}


def test_links_give_each_movie_its_imdb_and_tmdb_ids(movielens_files) -> None:
    """IMDb ids get their "tt" and seven digits at least (83658 is tt0083658), an empty TMDB id is none, and a
    movie links.csv does not name keeps no ids."""
    files = movielens_files.lines("csv")
    files["links.csv"] = LINKS
    import_movielens(movielens_files.save(files))

    assert ids() == {1: ("tt0114709", 862), 2: ("tt0112341", None), 3: ("tt0083658", 78), 4: ("", None)}
    assert Movie.objects.get(movielens_id=3).imdb_link == "https://www.imdb.com/title/tt0083658/"


def test_without_links_csv_the_csv_layout_imports_as_before(movielens_files) -> None:
    """links.csv is optional: without it, movies have no ids and no IMDb link."""
    import_movielens(movielens_files.write("csv"))

    assert set(ids().values()) == {("", None)}
    assert Movie.objects.get(movielens_id=1).imdb_link == ""


def test_links_read_later_are_given_to_movies_already_there(movielens_files) -> None:
    """A copy imported before its links.csv, then again with it, gives the movies their ids and says so; a third
    import has nothing to add."""
    import_movielens(movielens_files.write("csv"))
    files = movielens_files.lines("csv")
    files["links.csv"] = LINKS
    source = movielens_files.save(files)

    output = import_movielens(source)

    assert LINKED.format(movies_linked=3) in output
    assert ids()[1] == ("tt0114709", 862)
    assert import_movielens(source).strip() == NOTHING_TO_ADD.format(
        movies_present=4, users_present=3, ratings_present=len(movielens_files.ratings), source=source
    )


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("1,tt0114709,862", "IMDb id 'tt0114709' is not a whole number"),
        ("1,0114709,-5", "TMDB id '-5' is not a whole number"),
        ("1,12345678901,862", "IMDb id '12345678901' is not a whole number"),
        ("99,0114709,862", "movie id 99 is not in movies.csv"),
        ("1,0114709", "expected 3 columns, found 2"),
    ],
)
def test_a_bad_link_stops_the_import_at_its_line_and_changes_nothing(movielens_files, line: str, reason: str) -> None:
    """A link that is not ids, or names a movie the copy does not have, stops the import naming links.csv, the
    line and the reason, with nothing imported."""
    files = movielens_files.lines("csv")
    files["links.csv"] = [*LINKS, line]
    source = movielens_files.save(files)

    with pytest.raises(CommandError) as raised:
        import_movielens(source)

    assert str(raised.value) == f"{source}/links.csv, line {len(LINKS) + 1}: {reason}"
    assert not Movie.objects.exists()


def test_a_movie_linked_twice_is_refused(movielens_files) -> None:
    """Two lines for one movie is an error naming the first."""
    files = movielens_files.lines("csv")
    files["links.csv"] = [*LINKS, "1,0114709,862"]
    source = movielens_files.save(files)

    with pytest.raises(CommandError, match="movie id 1 already appears on line 2"):
        import_movielens(source)
