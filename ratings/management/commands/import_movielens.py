"""`manage.py import_movielens [--source PATH_OR_URL]`: import MovieLens ratings (default: ml-100k), all or nothing."""

import time
from dataclasses import asdict

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ratings.services.movielens import MovieLensError, movielens_import

ADDED = (
    "Added {movies_added} movies, {genres_added} genres, {users_added} users and {ratings_added} ratings "
    "from {source} in {seconds:.1f} s (already there: {movies_present} movies, {users_present} raters, "
    "{ratings_present} ratings)."
)
LINKED = "Gave {movies_linked} movies already there their IMDb and TMDB ids (links.csv)."
TAGGED = "Added {tags_added} tags ({tags_present} already there; tags.csv)."
NOTHING_TO_ADD = (
    "Nothing to add: the {movies_present} movies, {users_present} raters and {ratings_present} ratings "
    "of {source} are already in the database."
)


class Command(BaseCommand):
    help = (
        "Import MovieLens from a folder, zip or URL in the 100k (u.data), 1m/10m (ratings.dat), CSV (ratings.csv, and "
        "links.csv when there) "
        "or recbole (.inter) layout. Without --source: ml-100k from GroupLens, else from the recbole wheel on PyPI "
        "(cached)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--source", help="folder, zip or http(s) URL of a MovieLens copy (default: ml-100k)")

    def handle(self, *args: object, source: str | None, verbosity: int, **options: object) -> None:
        started = time.perf_counter()
        try:
            summary = movielens_import(source=source, progress=verbosity > 0)
        except MovieLensError as exc:
            raise CommandError(str(exc)) from exc
        template = NOTHING_TO_ADD if summary.nothing_added else ADDED
        self.stdout.write(template.format(**asdict(summary), seconds=time.perf_counter() - started))
        if summary.movies_linked:
            self.stdout.write(LINKED.format(movies_linked=summary.movies_linked))
        if summary.tags_added:
            self.stdout.write(TAGGED.format(tags_added=summary.tags_added, tags_present=summary.tags_present))
