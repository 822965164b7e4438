"""App configuration for the catalogue and ratings."""

from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate, pre_migrate


def _rating_stats_triggers_lift(*, using: str, **_: Any) -> None:
    # SQLite alters a table by rebuilding it under another name, which a trigger that names the table refuses; on
    # SQLite (one writer, no site writing during its migrations) they come off for the migration and go back after.
    from ratings.rating_stats import rating_stats_triggers_drop

    connection = connections[using]
    if connection.vendor == "sqlite":
        rating_stats_triggers_drop(connection)


def _rating_stats_triggers_ensure(*, using: str, **_: Any) -> None:
    # Install the triggers wherever they are missing (the first migrate, every SQLite migrate), and count every
    # movie's ratings then. The pause table comes with the migration that adds the counts: without it there is
    # nothing to keep yet.
    from ratings.rating_stats import PAUSE_TABLE, rating_stats_triggers_install
    from ratings.services.rating_stats import movie_rating_stats_refresh

    connection = connections[using]
    if PAUSE_TABLE in connection.introspection.table_names() and rating_stats_triggers_install(connection):
        movie_rating_stats_refresh()


class RatingsConfig(AppConfig):
    name = "ratings"
    verbose_name = "Catalogue and ratings"

    def ready(self) -> None:
        pre_migrate.connect(_rating_stats_triggers_lift, sender=self)
        post_migrate.connect(_rating_stats_triggers_ensure, sender=self)
