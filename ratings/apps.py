"""App configuration for the catalogue and ratings."""

from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def _rating_stats_triggers_ensure(*, using: str, plan: list[Any] | None = None, **_: Any) -> None:
    # A table that SQLite's migrations rebuild loses its triggers: put them back, and recount what they missed. The
    # pause table comes with the migration that adds the counts: without it there is nothing to keep yet.
    from ratings.rating_stats import PAUSE_TABLE, rating_stats_triggers_install
    from ratings.services.rating_stats import movie_rating_stats_refresh

    connection = connections[using]
    if PAUSE_TABLE in connection.introspection.table_names() and rating_stats_triggers_install(connection):
        movie_rating_stats_refresh()


class RatingsConfig(AppConfig):
    name = "ratings"
    verbose_name = "Catalogue and ratings"

    def ready(self) -> None:
        post_migrate.connect(_rating_stats_triggers_ensure, sender=self)
