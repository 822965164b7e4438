"""Each movie's rating count and sum of scores, kept on the movie by database triggers on the ratings table.

The catalogue orders every page by these figures and the recommender's popularity list starts from them; reading
them off the movie row costs nothing, where aggregating the ratings table cost 71 ms a page at 100k ratings and
seconds at 25M. Triggers, not application code, keep them: every path that writes ratings (the site, the API, the
admin, an account's deletion cascading, a bulk insert, a COPY) goes through the database. Sums of half stars are
exact in a double, so the figures never drift.

The bulk import pauses the triggers inside its own transaction (a row in ``RatingStatsPause``, which no other
transaction sees on PostgreSQL, and SQLite has one writer) and recounts the movies it touched before committing.

SQLite rebuilds a table to alter it, which triggers that name the table refuse: around every ``migrate`` the
triggers come off SQLite (pre_migrate) and ``rating_stats_triggers_install`` puts back whatever is missing after
it on either database (post_migrate), recounting every movie when it did (ratings.apps).
"""

from django.db.backends.base.base import BaseDatabaseWrapper

from ratings.models import Movie, Rating, RatingStatsPause

MOVIE_TABLE = Movie._meta.db_table
RATING_TABLE = Rating._meta.db_table
PAUSE_TABLE = RatingStatsPause._meta.db_table
# The SQL below is assembled from these table names, the models' own, never from input (hence noqa: S608).

_DECREMENT = (
    f"UPDATE {MOVIE_TABLE} SET rating_count = rating_count - 1, rating_sum = rating_sum - OLD.score "  # noqa: S608
    "WHERE id = OLD.movie_id"
)
_INCREMENT = (
    f"UPDATE {MOVIE_TABLE} SET rating_count = rating_count + 1, rating_sum = rating_sum + NEW.score "  # noqa: S608
    "WHERE id = NEW.movie_id"
)

_POSTGRESQL_TRIGGER = "ratings_rating_stats"
_POSTGRESQL_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION {_POSTGRESQL_TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM {PAUSE_TABLE}) THEN
            RETURN NULL;
        END IF;
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            {_DECREMENT};
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            {_INCREMENT};
        END IF;
        RETURN NULL;
    END
    $$
    """,  # noqa: S608
    f"""
    CREATE TRIGGER {_POSTGRESQL_TRIGGER} AFTER INSERT OR DELETE OR UPDATE OF score, movie_id ON {RATING_TABLE}
    FOR EACH ROW EXECUTE FUNCTION {_POSTGRESQL_TRIGGER}()
    """,
]

_SQLITE_WHEN = f"WHEN NOT EXISTS (SELECT 1 FROM {PAUSE_TABLE})"  # noqa: S608
_SQLITE_TRIGGERS = {
    "ratings_rating_stats_insert": f"AFTER INSERT ON {RATING_TABLE} {_SQLITE_WHEN} BEGIN {_INCREMENT}; END",
    "ratings_rating_stats_delete": f"AFTER DELETE ON {RATING_TABLE} {_SQLITE_WHEN} BEGIN {_DECREMENT}; END",
    "ratings_rating_stats_update": (
        f"AFTER UPDATE OF score, movie_id ON {RATING_TABLE} {_SQLITE_WHEN} BEGIN {_DECREMENT}; {_INCREMENT}; END"
    ),
}

UNSUPPORTED_DATABASE = "rating statistics need SQLite or PostgreSQL triggers; {vendor} is not supported"


def _installed(connection: BaseDatabaseWrapper) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [RATING_TABLE]
            )
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [RATING_TABLE])
        return {row[0] for row in cursor.fetchall()}


def rating_stats_triggers_install(connection: BaseDatabaseWrapper) -> bool:
    """Create the triggers that are missing on this database; True when any was."""
    if connection.vendor not in {"postgresql", "sqlite"}:
        raise NotImplementedError(UNSUPPORTED_DATABASE.format(vendor=connection.vendor))
    installed = _installed(connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if _POSTGRESQL_TRIGGER in installed:
                return False
            for statement in _POSTGRESQL_INSTALL:
                cursor.execute(statement)
            return True
        missing = [name for name in _SQLITE_TRIGGERS if name not in installed]
        for name in missing:
            cursor.execute(f"CREATE TRIGGER {name} {_SQLITE_TRIGGERS[name]}")
        return bool(missing)


def rating_stats_triggers_drop(connection: BaseDatabaseWrapper) -> None:
    """Remove the triggers (the migration's reverse)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS {_POSTGRESQL_TRIGGER} ON {RATING_TABLE}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {_POSTGRESQL_TRIGGER}()")
        else:
            for name in _SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
