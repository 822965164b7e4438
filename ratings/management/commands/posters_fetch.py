"""`manage.py posters_fetch [--limit N]`: fetch posters and overviews from TMDB (TMDB_API_KEY) for the movies with
an IMDb or TMDB id, going on from where the last run stopped."""

from dataclasses import asdict

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ratings.services.poster_fetch import PosterFetchStopped, PosterFetchSummary, posters_fetch
from ratings.services.tmdb import TmdbError, tmdb_client

SUMMARY = (
    "Stored {posters} posters and {overviews} overviews; TMDB has no poster for {no_poster} movies and does not know "
    "{not_found}; {bad_images} images refused (asked again next run); {no_id} movies have no IMDb or TMDB id; "
    "{already} were fetched before."
)
NOT_POSITIVE = "--limit must be a whole number above 0, not {value!r}."


def _positive(value: str) -> int:
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        raise CommandError(NOT_POSITIVE.format(value=value))
    return int(value)


class Command(BaseCommand):
    help = (
        "Fetch posters and overviews from TMDB for movies with an IMDb or TMDB id (MovieLens links.csv), into "
        "POSTER_DIR; movies fetched before are skipped. Needs TMDB_API_KEY."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=_positive, help="fetch at most this many movies in this run")

    def handle(self, *args: object, limit: int | None, verbosity: int, **options: object) -> None:
        try:
            summary = posters_fetch(client=tmdb_client(), limit=limit, progress=verbosity > 0)
        except PosterFetchStopped as exc:
            self.stdout.write(self._summary(exc.summary))
            raise CommandError(str(exc)) from exc
        except TmdbError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self._summary(summary))

    def _summary(self, summary: PosterFetchSummary) -> str:
        return SUMMARY.format(**asdict(summary))
