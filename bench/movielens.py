"""MovieLens for the ML benchmarks, without Django: ratings and movies (with genres) as pandas frames.

MovieLens 100k is read from the site's data cache (``DATA_CACHE_DIR``, default ``var/cache``): the GroupLens zip
when the importer cached one, else the ml-100k copy inside the ``recbole==1.2.1`` wheel, downloaded there with
``pip download`` (never installed) when missing. The same files the importer reads, so a fresh clone needs nothing
else. A folder in the CSV layout of ml-latest and ml-25m (``movies.csv``, ``ratings.csv``), such as one written by
bench/synthesize.py, is read by ``movielens_csv``.
"""

import io
import os
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from common import ROOT

RECBOLE = "recbole==1.2.1"
NO_GENRE = "unknown"
CSV_NO_GENRES = "(no genres listed)"  # the CSV layout's genres of a movie without any
TITLE_YEAR = re.compile(r"\((\d{4})\)\s*$")  # the CSV layout keeps the year in the title: "Heat (1995)"


@dataclass(frozen=True)
class MovieLens:
    ratings: pd.DataFrame  # user, movie, rating, timestamp (Unix seconds)
    movies: pd.DataFrame  # indexed by movie: title, year, genres (a tuple of genre names)


def cache_dir() -> Path:
    return Path(os.environ.get("DATA_CACHE_DIR", ROOT / "var" / "cache"))


def _recbole_wheel(cache: Path) -> Path:
    folder = cache / RECBOLE.replace("==", "-")
    wheels = sorted(folder.glob("recbole-*.whl"))
    if wheels:
        return wheels[0]
    folder.mkdir(parents=True, exist_ok=True)
    print(f"downloading the {RECBOLE} wheel (for its copy of ml-100k) into {folder} ...", file=sys.stderr)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--quiet", RECBOLE]
    subprocess.run([*command, "-d", str(folder)], check=True)
    return sorted(folder.glob("recbole-*.whl"))[0]


def _from_grouplens(archive: zipfile.ZipFile) -> MovieLens:
    ratings = pd.read_csv(
        io.BytesIO(archive.read("ml-100k/u.data")), sep="\t", names=["user", "movie", "rating", "timestamp"]
    ).astype({"rating": "float64"})
    items = pd.read_csv(
        io.BytesIO(archive.read("ml-100k/u.item")), sep="|", header=None, encoding="latin-1", index_col=0
    )
    # u.genre names the flag columns of u.item, in order: "name|position" per line.
    genre_lines = archive.read("ml-100k/u.genre").decode("latin-1").splitlines()
    names = [line.split("|")[0] for line in genre_lines if line.strip()]
    flags = items.iloc[:, 4:].to_numpy(dtype=bool)
    movies = pd.DataFrame(
        {
            "title": items[1],
            "year": pd.to_datetime(items[2], format="%d-%b-%Y", errors="coerce").dt.year,
            "genres": [tuple(g for g, on in zip(names, row, strict=True) if on and g != NO_GENRE) for row in flags],
        },
        index=items.index.rename("movie"),
    )
    return MovieLens(ratings=ratings, movies=movies)


def _from_recbole(archive: zipfile.ZipFile) -> MovieLens:
    base = "recbole/dataset_example/ml-100k/ml-100k"
    ratings = pd.read_csv(io.BytesIO(archive.read(f"{base}.inter")), sep="\t")
    ratings.columns = ["user", "movie", "rating", "timestamp"]
    ratings = ratings.astype({"user": "int64", "movie": "int64", "rating": "float64", "timestamp": "int64"})
    items = pd.read_csv(io.BytesIO(archive.read(f"{base}.item")), sep="\t", dtype=str, keep_default_na=False)
    items.columns = ["movie", "title", "year", "genres"]
    genres = [tuple(g for g in text.split() if g != NO_GENRE) for text in items["genres"]]
    movies = pd.DataFrame(
        {
            "title": items["title"].to_numpy(),
            "year": pd.to_numeric(items["year"], errors="coerce").to_numpy(),
            "genres": genres,
        },
        index=items["movie"].astype("int64").rename("movie"),
    )
    return MovieLens(ratings=ratings, movies=movies)


def movielens_100k() -> MovieLens:
    """MovieLens 100k: 100,000 ratings of 1,682 movies by 943 users."""
    cache = cache_dir()
    grouplens = cache / "ml-100k.zip"
    if grouplens.is_file():
        with zipfile.ZipFile(grouplens) as archive:
            return _from_grouplens(archive)
    with zipfile.ZipFile(_recbole_wheel(cache)) as archive:
        return _from_recbole(archive)


def movielens_csv(folder: Path) -> MovieLens:
    """A MovieLens folder in the CSV layout (ml-latest, ml-25m, bench/synthesize.py): movies.csv and ratings.csv."""
    ratings = pd.read_csv(
        folder / "ratings.csv",
        dtype={"userId": "int64", "movieId": "int64", "rating": "float64", "timestamp": "int64"},
    ).rename(columns={"userId": "user", "movieId": "movie"})
    items = pd.read_csv(folder / "movies.csv", dtype={"movieId": "int64"}, keep_default_na=False)
    years = items["title"].str.extract(TITLE_YEAR, expand=False)
    movies = pd.DataFrame(
        {
            "title": items["title"].to_numpy(),
            "year": pd.to_numeric(years, errors="coerce").to_numpy(),
            "genres": [tuple(g for g in text.split("|") if g and g != CSV_NO_GENRES) for text in items["genres"]],
        },
        index=items["movieId"].rename("movie"),
    )
    return MovieLens(ratings=ratings[["user", "movie", "rating", "timestamp"]], movies=movies)
