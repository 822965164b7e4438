"""Fixtures shared by every test package: the real MovieLens 100k, and tiny MovieLens copies written on demand."""

import csv
import io
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ratings.services.movielens import ImportSummary

# Django models load only once pytest-django has configured Django, so the importer is imported inside fixtures.

# (movielens id, title, year, release date, genres): a latin-1 title, and u.item's "unknown" placeholder movie.
TINY_MOVIES = (
    (1, "Toy Story", 1995, "01-Jan-1995", ("Animation", "Children's", "Comedy")),
    (2, "Misérables, Les", 1995, "15-Dec-1995", ("Drama", "Musical")),
    (3, "Blade Runner", 1982, "01-Jan-1982", ("Film-Noir", "Sci-Fi")),
    (4, "unknown", None, "", ("unknown",)),
)
TINY_GENRES = 7  # the distinct genres above, "unknown" being no genre
# (movielens id, age, gender, occupation, zip code)
TINY_RATERS = ((1, 24, "M", "technician", "85711"), (2, 53, "F", "other", "94043"), (3, 23, "M", "writer", "T8H1N"))
# (user, movie, stars, Unix time)
TINY_RATINGS = (
    (1, 1, 5, 874965758),
    (1, 2, 3, 876893171),
    (1, 3, 4, 878542960),
    (2, 1, 4, 876893119),
    (2, 3, 1, 889751712),
    (3, 2, 2, 875071561),
    (3, 4, 3, 880000000),
)
ML100K_GENRES = [
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
]


class MovieLensFiles:
    """Writes the tiny MovieLens copy above in a layout ("100k", "csv", "recbole"), as lines a test may edit.

    ``lines(layout)`` gives {file name: lines}; a test appends or replaces lines (line n is index n - 1), then
    ``save(files)`` writes them to a fresh folder (or zip, files under a top folder as in GroupLens zips).
    """

    movies, raters, ratings, genres = TINY_MOVIES, TINY_RATERS, TINY_RATINGS, TINY_GENRES

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.copies = 0

    def lines(self, layout: str) -> dict[str, list[str]]:
        return {
            "100k": self._lines_100k,
            "1m": self._lines_1m,
            "10m": self._lines_10m,
            "csv": self._lines_csv,
            "recbole": self._lines_recbole,
        }[layout]()

    def write(self, layout: str, *, zipped: bool = False) -> Path:
        return self.save(self.lines(layout), zipped=zipped)

    def save(self, files: dict[str, list[str]], *, zipped: bool = False) -> Path:
        self.copies += 1
        # As GroupLens writes them: ml-100k's and ml-1m's files are Latin-1 (ml-1m is the one with users.dat).
        latin = {name for name in files if name.startswith("u.") or ("users.dat" in files and name.endswith(".dat"))}
        target = self.folder / f"copy{self.copies}"
        target.mkdir(parents=True)
        encoded = {
            name: "".join(f"{line}\n" for line in lines).encode("latin-1" if name in latin else "utf-8")
            for name, lines in files.items()
        }
        if not zipped:
            for name, content in encoded.items():
                (target / name).write_bytes(content)
            return target
        archive = target / "ml-tiny.zip"
        with zipfile.ZipFile(archive, "w") as zipped_file:
            for name, content in encoded.items():
                zipped_file.writestr(f"ml-tiny/{name}", content)
        return archive

    def _lines_100k(self) -> dict[str, list[str]]:
        items = []
        for movielens_id, title, year, date, genres in self.movies:
            titled = f"{title} ({year})" if year else title
            url = f"http://us.imdb.com/M/title-exact?{titled.replace(' ', '%20')}" if year else ""
            flags = ["1" if genre in genres else "0" for genre in ML100K_GENRES]
            items.append("|".join([str(movielens_id), titled, date, "", url, *flags]))
        return {
            "u.genre": [f"{genre}|{index}" for index, genre in enumerate(ML100K_GENRES)] + [""],
            "u.item": items,
            "u.user": ["|".join(map(str, rater)) for rater in self.raters],
            "u.data": ["\t".join(map(str, rating)) for rating in self.ratings],
        }

    def _lines_1m(self) -> dict[str, list[str]]:
        occupation_codes = {"other": "0", "technician": "17", "writer": "20"}  # ml-1m's README numbers them
        return {
            **self._lines_10m(),
            "users.dat": [
                "::".join([str(movielens_id), gender, str(age), occupation_codes[occupation], zip_code])
                for movielens_id, age, gender, occupation, zip_code in self.raters
            ],
        }

    def _lines_10m(self) -> dict[str, list[str]]:
        movies = [
            "::".join(
                [
                    str(movielens_id),
                    f"{title} ({year})" if year else title,
                    "|".join(genre for genre in genres if genre != "unknown") or "(no genres listed)",
                ]
            )
            for movielens_id, title, year, _date, genres in self.movies
        ]
        return {
            "movies.dat": movies,
            "ratings.dat": ["::".join(map(str, rating)) for rating in self.ratings],
        }

    def _lines_csv(self) -> dict[str, list[str]]:
        def row(*fields: object) -> str:
            out = io.StringIO()
            csv.writer(out, lineterminator="").writerow(fields)
            return out.getvalue()

        movies = [
            row(
                movielens_id,
                f"{title} ({year})" if year else title,
                "|".join(genre for genre in genres if genre != "unknown") or "(no genres listed)",
            )
            for movielens_id, title, year, _date, genres in self.movies
        ]
        return {
            "movies.csv": ["movieId,title,genres", *movies],
            "ratings.csv": ["userId,movieId,rating,timestamp"]
            + [row(user, movie, f"{stars:.1f}", time) for user, movie, stars, time in self.ratings],
        }

    def _lines_recbole(self) -> dict[str, list[str]]:
        items = [
            # The real recbole copy spells the unknown movie's title and year "unkonwn".
            "\t".join([str(movielens_id), title if year else "unkonwn", str(year or "unkonwn"), " ".join(genres)])
            for movielens_id, title, year, _date, genres in self.movies
        ]
        return {
            "ml-tiny.item": ["item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq", *items],
            "ml-tiny.user": ["user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token"]
            + ["\t".join(map(str, rater)) for rater in self.raters],
            "ml-tiny.inter": ["user_id:token\titem_id:token\trating:float\ttimestamp:float"]
            + ["\t".join(map(str, rating)) for rating in self.ratings],
        }


@pytest.fixture
def movielens_files(tmp_path: Path) -> MovieLensFiles:
    """A writer of tiny MovieLens copies under this test's tmp_path."""
    return MovieLensFiles(tmp_path / "movielens")


@pytest.fixture(scope="session")
def movielens_100k_path() -> Path:
    """The real MovieLens 100k (GroupLens zip or recbole wheel), fetched once and cached under DATA_CACHE_DIR."""
    from ratings.services.movielens import movielens_fetch

    return movielens_fetch()


@pytest.fixture
def movielens_100k_imported(db: None, movielens_100k_path: Path) -> "ImportSummary":
    """The test database holding all of MovieLens 100k (a few seconds per test: mark such tests slow)."""
    from ratings.services.movielens import movielens_import

    return movielens_import(source=movielens_100k_path)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """An SQLite test database in a file of this run, not in memory: a Celery worker process must open it too."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("database") / "test.sqlite3")
