"""How fast `import_movielens` loads all of MovieLens 100k, against naive per-row ORM imports measured in the same run.

Each measurement runs in its own process on a fresh, migrated database: a temporary SQLite file, and a temporary
PostgreSQL database too when DATABASE_URL points at a PostgreSQL server.

- bulk: ``movielens_import`` (parse, bulk_create in batches, one transaction), then a second run (nothing to add).
- per-row baselines: the same parsed records written with one ``Model.objects.create`` per movie, rater, profile
  and rating (``movie.genres.set`` per movie), once in autocommit (a transaction per row, what a plain loop does)
  and once inside one transaction. Movies and raters are written in full; ratings only for the first 5,000 lines,
  and that time is scaled to all ratings (linear: no per-row cost here grows with the table).

Run: .venv/bin/python bench/import_speed.py   (add DATABASE_URL=postgres://... for PostgreSQL as well)
"""

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from urllib.parse import urlparse

from common import ROOT, django_start

SAMPLE_RATINGS = 5_000
BUDGET_S = 20.0


def measure(method: str, database_url: str) -> dict[str, float]:
    """In a child process: migrate a fresh database, then time one import method on it."""
    django_start({"DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "movierec_site.settings.base"})
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from ratings.services.movielens import movielens_fetch, movielens_import

    source = movielens_fetch()
    if method == "bulk":
        started, cpu = time.perf_counter(), time.process_time()
        summary = movielens_import(source=source)
        first, first_cpu = time.perf_counter() - started, time.process_time() - cpu
        started = time.perf_counter()
        again = movielens_import(source=source)
        second = time.perf_counter() - started
        assert summary.ratings_added == 100_000 and again.nothing_added, (summary, again)
        return {"seconds": first, "cpu_seconds": first_cpu, "second_run_seconds": second}
    return _per_row(source, one_transaction=method == "per-row-transaction")


def _per_row(source: Path, *, one_transaction: bool) -> dict[str, float]:
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils.text import slugify

    from ratings.models import Genre, Movie, Profile, Rating
    from ratings.services.movielens import SourceFiles, movielens_read, movielens_username

    user_model = get_user_model()
    started, cpu = time.perf_counter(), time.process_time()
    with transaction.atomic() if one_transaction else contextlib.nullcontext():
        files = SourceFiles(source)
        data = movielens_read(files=files)
        genres = {}
        movies = {}
        for record in data.movies:
            movie = Movie.objects.create(
                movielens_id=record.movielens_id,
                title=record.title,
                year=record.year,
                release_date=record.release_date,
                imdb_url=record.imdb_url,
            )
            for name in record.genres:
                if name not in genres:
                    genres[name] = Genre.objects.create(name=name, slug=slugify(name))
            movie.genres.set([genres[name] for name in record.genres])
            movies[record.movielens_id] = movie
        users = {}
        for rater in data.raters:
            user = user_model(username=movielens_username(rater.movielens_id))
            user.set_unusable_password()
            user.save()
            Profile.objects.create(
                user=user,
                movielens_id=rater.movielens_id,
                age=rater.age,
                gender=rater.gender,
                occupation=rater.occupation,
                zip_code=rater.zip_code,
            )
            users[rater.movielens_id] = user
        catalogue, catalogue_cpu = time.perf_counter() - started, time.process_time() - cpu
        started, cpu = time.perf_counter(), time.process_time()
        for rating in islice(data.read_ratings(), SAMPLE_RATINGS):
            Rating.objects.create(
                user=users[rating.user_id],
                movie=movies[rating.movie_id],
                score=rating.score,
                timestamp=rating.timestamp,
            )
        sample, sample_cpu = time.perf_counter() - started, time.process_time() - cpu
        files.close()
    scale = data.rating_rows / SAMPLE_RATINGS
    return {"seconds": catalogue + sample * scale, "cpu_seconds": catalogue_cpu + sample_cpu * scale}


def _run_child(method: str, database_url: str) -> dict[str, float]:
    command = [sys.executable, __file__, "--measure", method, "--database-url", database_url]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"{method} on {database_url} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def _fresh_sqlite() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="movierec-bench-") as folder:
        yield f"sqlite:///{folder}/bench.sqlite3"


@contextlib.contextmanager
def _fresh_postgres(server_url: str) -> Iterator[str]:
    import psycopg

    name = f"movierec_bench_{uuid.uuid4().hex[:12]}"
    # The maintenance database, since the one DATABASE_URL names need not exist yet.
    maintenance = urlparse(server_url)._replace(path="/postgres").geturl()
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlparse(server_url)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(maintenance, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    backends = {"SQLite": _fresh_sqlite}
    server_url = os.environ.get("DATABASE_URL", "")
    if server_url.startswith(("postgres://", "postgresql://")):
        backends["PostgreSQL"] = lambda: _fresh_postgres(server_url)
    print(f"MovieLens 100k: 100,000 ratings, 1,682 movies, 943 raters; per-row ratings sampled on {SAMPLE_RATINGS:,}")
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall time suffers under load)")
    print(f"{'backend':<11} {'method':<40} {'wall s':>7} {'vs bulk':>8} {'CPU s':>7} {'vs bulk':>8}")
    for backend, fresh in backends.items():
        results = {}
        for method in ("bulk", "per-row-autocommit", "per-row-transaction"):
            with fresh() as database_url:
                results[method] = _run_child(method, database_url)
        bulk = results["bulk"]
        rows = [
            ("bulk import (movielens_import)", bulk),
            ("per-row create, autocommit (est.)", results["per-row-autocommit"]),
            ("per-row create, one transaction (est.)", results["per-row-transaction"]),
        ]
        for label, result in rows:
            wall, cpu = result["seconds"], result["cpu_seconds"]
            print(
                f"{backend:<11} {label:<40} {wall:>7.2f} {wall / bulk['seconds']:>7.1f}x"
                f" {cpu:>7.2f} {cpu / bulk['cpu_seconds']:>7.1f}x"
            )
        print(f"{backend:<11} {'bulk, second run (nothing to add)':<40} {bulk['second_run_seconds']:>7.2f}")
        headroom = BUDGET_S / bulk["seconds"]
        print(f"{backend:<11} {'20 s budget / bulk wall time':<40} {headroom:>7.1f}x")
    print("CPU s counts this process only: on PostgreSQL the server's share of the work is not in it.")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--measure", choices=["bulk", "per-row-autocommit", "per-row-transaction"])
    parser.add_argument("--database-url")
    arguments = parser.parse_args()
    if arguments.measure:
        print(json.dumps(measure(arguments.measure, arguments.database_url)))
    else:
        main()
