"""Event writes: a list shown (one INSERT of its movies), a follow-up attributed to it or withdrawn, and retention.

Showing a list is on the path of every recommendations page, so it costs one statement and no read. A follow-up
is attributed only to a list that was shown to the same person and holds the movie; anything else is ignored
(``follow_up_record`` answers False), never raised: the measurement must not cost anyone their rating.
"""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import connections, router
from django.utils import timezone

from feedback.models import Action, FollowUp, Impression, ListKind, MovieShownDay, OnlineDay


def _rows_insert(*, rows: list[dict[str, int]], same: dict[str, object]) -> None:
    """One multi-row INSERT of impressions, written out here: bulk_create prepares every field of every row in
    Python, which made recording a list 5x as costly (bench/feedback_logging.py). ``same``, the values that every
    row shares, are prepared once by their fields, as the ORM would; each row's own values are integers."""
    connection = connections[router.db_for_write(Impression)]
    fields = {field.name: field for field in Impression._meta.concrete_fields}
    shared = {name: fields[name].get_db_prep_save(value, connection) for name, value in same.items()}
    names = [*rows[0], *shared]
    columns = ", ".join(connection.ops.quote_name(cast(str, fields[name].column)) for name in names)
    row = "(" + ", ".join(["%s"] * len(names)) + ")"
    values = [value for own in rows for value in (*own.values(), *shared.values())]
    table = connection.ops.quote_name(Impression._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(rows))}", values)  # noqa: S608


def shown_list_record(
    *,
    user: User | AnonymousUser,
    kind: ListKind,
    movie_ids: Sequence[int],
    model_version_id: int | None,
    first_position: int = 1,
) -> uuid.UUID | None:
    """Record that ``user`` was shown ``movie_ids`` in this order, the first at ``first_position`` (a later page
    starts further down), and return the list's new id; None for a visitor or an empty list (nothing recorded)."""
    if not user.is_authenticated or not movie_ids:
        return None
    shown_id, now = uuid.uuid4(), timezone.now()
    _rows_insert(
        # A movie once per list, at its first place.
        rows=[{"movie": m, "position": first_position + i} for i, m in enumerate(dict.fromkeys(movie_ids))],
        same={
            "shown_id": shown_id,
            "user": user.pk,
            "model_version": model_version_id,
            "kind": kind.value,
            "shown_at": now,
            "shown_on": now.date(),
        },
    )
    return shown_id


def follow_up_record(
    *, user: User, movie_id: int, shown_list: uuid.UUID | None, action: Action, score: float | None = None
) -> bool:
    """Attribute ``action`` on ``movie_id`` to the list ``shown_list`` shown to ``user``; once per list, movie and
    action (a rating again keeps the latest score). False, and nothing written, when the list is not one shown
    to ``user`` holding the movie (expired, another person's, made up) or none is named."""
    if shown_list is None:
        return False
    shown = Impression.objects.filter(shown_id=shown_list, movie_id=movie_id, user_id=user.pk).first()
    if shown is None:
        return False
    entry = FollowUp(
        shown_id=shown_list,
        user_id=user.pk,
        movie_id=movie_id,
        action=action,
        score=score,
        at=timezone.now(),
        position=shown.position,
        model_version_id=shown.model_version_id,
        kind=shown.kind,
        shown_on=shown.shown_on,
    )
    if action == Action.RATED:  # a new rating of the movie replaces the score
        unique = ["shown_id", "movie", "action"]
        FollowUp.objects.bulk_create(
            [entry], update_conflicts=True, unique_fields=unique, update_fields=["score", "at"]
        )
    else:  # opening the page again, or a second click, is the same follow-up
        FollowUp.objects.bulk_create([entry], ignore_conflicts=True)
    return True


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
