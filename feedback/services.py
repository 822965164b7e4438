"""Event writes: a list shown (one INSERT of its movies), a follow-up attributed to it or withdrawn, and retention.

Showing a list is on the path of every recommendations page, so it costs one statement and no read; attributing
a follow-up is one statement too, which inserts only when the list holds the movie for that person. A follow-up
is attributed only to a list that was shown to the same person and holds the movie; anything else is ignored
(``follow_up_record`` answers False), never raised: the measurement must not cost anyone their rating.
"""

import datetime as dt
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from feedback.models import Action, FollowUp, Impression, ListKind, MovieShownDay, OnlineDay

TEAMS_MISMATCH = "an interleaved list names one version per movie: {movies} movies, {teams} versions"

# Showing a list and following it up are on the path of pages: each is one statement, written out here. The ORM's
# bulk_create prepares every field of every row in Python, which made recording a list 5x as costly, and a
# follow-up through it was a read and a write (bench/feedback_logging.py). Values are prepared by their fields, as
# the ORM would prepare them.


def _columns(model: type[Impression] | type[FollowUp], connection: BaseDatabaseWrapper) -> dict[str, str]:
    return {f.name: connection.ops.quote_name(cast(str, f.column)) for f in model._meta.concrete_fields}


def _prepared(
    model: type[Impression] | type[FollowUp], connection: BaseDatabaseWrapper, values: Mapping[str, object]
) -> list[Any]:
    fields = {field.name: field for field in model._meta.concrete_fields}
    return [fields[name].get_db_prep_save(value, connection) for name, value in values.items()]


# An event alone in its transaction is committed without waiting for PostgreSQL to write it to disk: the wait was
# about 4 ms a page (bench/feedback_logging.py). A crash may then lose the last fraction of a second of events,
# never anything else; inside someone else's transaction (a rating and its follow-up) their commit decides.
RELAXED_COMMIT = "SET LOCAL synchronous_commit TO OFF"


@contextmanager
def _event_cursor(connection: BaseDatabaseWrapper) -> Iterator[Any]:
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        with connection.cursor() as cursor:
            yield cursor
        return
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(RELAXED_COMMIT)
        yield cursor


def _rows_insert(*, rows: list[dict[str, int]], same: dict[str, object]) -> None:
    """One multi-row INSERT of impressions: ``same``, the values that every row shares, prepared once; each row's
    own values are integers."""
    connection = connections[router.db_for_write(Impression)]
    column = _columns(Impression, connection)
    shared = _prepared(Impression, connection, same)
    names = [*rows[0], *same]
    row = "(" + ", ".join(["%s"] * len(names)) + ")"
    values: list[Any] = [value for own in rows for value in (*own.values(), *shared)]
    table = connection.ops.quote_name(Impression._meta.db_table)
    columns = ", ".join(column[name] for name in names)
    with _event_cursor(connection) as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(rows))}", values)  # noqa: S608


@dataclass(frozen=True)
class Teams:
    """An interleaved list's comparison and, movie by movie, the version whose list each movie came from."""

    comparison_id: int
    version_ids: Sequence[int]


def shown_list_record(
    *,
    user: User | AnonymousUser,
    kind: ListKind,
    movie_ids: Sequence[int],
    model_version_id: int | None,
    first_position: int = 1,
    teams: Teams | None = None,
) -> uuid.UUID | None:
    """Record that ``user`` was shown ``movie_ids`` in this order, the first at ``first_position`` (a later page
    starts further down), and return the list's new id; None for a visitor or an empty list (nothing recorded).

    With ``teams`` the list is a comparison's: it is recorded as ListKind.INTERLEAVED whatever page showed it,
    each movie under the version of its team (``model_version_id`` is then unused)."""
    if not user.is_authenticated or not movie_ids:
        return None
    if teams is not None and len(teams.version_ids) != len(movie_ids):
        raise ValueError(TEAMS_MISMATCH.format(movies=len(movie_ids), teams=len(teams.version_ids)))
    shown_id, now = uuid.uuid4(), timezone.now()
    same: dict[str, object] = {"shown_id": shown_id, "user": user.pk, "shown_at": now, "shown_on": now.date()}
    # A movie once per list, at its first place.
    order = sorted({movie: i for i, movie in reversed(list(enumerate(movie_ids)))}.values())
    rows: list[dict[str, int]] = [{"movie": movie_ids[i], "position": first_position + n} for n, i in enumerate(order)]
    if teams is None:
        same |= {"model_version": model_version_id, "kind": kind.value}
    else:
        for row, i in zip(rows, order, strict=True):
            row["model_version"] = teams.version_ids[i]
        same |= {"kind": ListKind.INTERLEAVED.value, "comparison": teams.comparison_id}
    _rows_insert(rows=rows, same=same)
    return shown_id


def follow_up_record(
    *, user: User, movie_id: int, shown_list: uuid.UUID | None, action: Action, score: float | None = None
) -> bool:
    """Attribute ``action`` on ``movie_id`` to the list ``shown_list`` shown to ``user``; once per list, movie and
    action (a rating again keeps the latest score). False, and nothing written, when the list is not one shown
    to ``user`` holding the movie (expired, another person's, made up) or none is named."""
    if shown_list is None:
        return False
    connection = connections[router.db_for_write(FollowUp)]
    target, source = _columns(FollowUp, connection), _columns(Impression, connection)
    copied = ("shown_id", "user", "movie", "position", "model_version", "kind", "comparison", "shown_on")
    given = {"action": action.value, "score": score, "at": timezone.now()}
    table, shown = (connection.ops.quote_name(model._meta.db_table) for model in (FollowUp, Impression))
    # Again from the same list: a rating replaces the score; anything else keeps the first time (an update of
    # nothing, so that the row still counts as attributed).
    keep = [("score", "excluded"), ("at", "excluded")] if action == Action.RATED else [("at", table)]
    kept = ", ".join(f"{target[name]} = {row}.{target[name]}" for name, row in keep)
    sql = (
        f"INSERT INTO {table} ({', '.join(target[name] for name in (*copied, *given))}) "  # noqa: S608 (no input)
        f"SELECT {', '.join(source[name] for name in copied)}, %s, %s, %s FROM {shown} "
        f"WHERE {source['shown_id']} = %s AND {source['movie']} = %s AND {source['user']} = %s "
        f"ON CONFLICT ({target['shown_id']}, {target['movie']}, {target['action']}) DO UPDATE SET {kept}"
    )
    where = _prepared(Impression, connection, {"shown_id": shown_list, "movie": movie_id, "user": user.pk})
    with _event_cursor(connection) as cursor:
        cursor.execute(sql, [*_prepared(FollowUp, connection, given), *where])
        return cursor.rowcount > 0


def follow_up_withdraw(*, user: User, movie_id: int, shown_list: uuid.UUID | None, action: Action) -> bool:
    """Undo on a list's card (a mark taken back, a rating removed) takes back the follow-up it had recorded, so
    that an accidental click does not count; False when there was none."""
    if shown_list is None:
        return False
    deleted, _ = FollowUp.objects.filter(
        shown_id=shown_list, movie_id=movie_id, user_id=user.pk, action=action
    ).delete()
    return deleted > 0


@dataclass(frozen=True)
class Expired:
    impressions: int
    follow_ups: int
    before: dt.date  # events of lists shown before this day were deleted


def events_expire(*, today: dt.date | None = None) -> Expired:
    """Delete the lists shown more than FEEDBACK_RETENTION_DAYS days before ``today`` (UTC), with what followed
    them and their days' rollup: one DELETE per table, each on an index of its own."""
    before = (today or timezone.now().date()) - dt.timedelta(days=settings.FEEDBACK_RETENTION_DAYS)
    for rollup in (OnlineDay, MovieShownDay):
        rollup.objects.filter(shown_on__lt=before).delete()
    follow_ups, _ = FollowUp.objects.filter(shown_on__lt=before).delete()
    midnight = dt.datetime.combine(before, dt.time(), tzinfo=dt.UTC)  # shown_on is the UTC day of shown_at
    impressions, _ = Impression.objects.filter(shown_at__lt=midnight).delete()
    return Expired(impressions=impressions, follow_ups=follow_ups, before=before)
