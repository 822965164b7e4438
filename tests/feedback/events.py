"""Constructed events for the tests of what is computed from them: a list shown on a given day, what followed."""

import datetime as dt
import uuid

from feedback.models import Action, Impression, ListKind
from feedback.services import Teams, follow_up_record, shown_list_record


def list_show(
    *,
    user: object,
    movie_ids: list[int],
    version_id: int | None,
    on: dt.date | None = None,
    kind: ListKind = ListKind.HOME,
    first: int = 1,
) -> uuid.UUID:
    """A list shown to ``user`` through the service, on the UTC day ``on`` when given."""
    shown = shown_list_record(
        user=user, kind=kind, movie_ids=movie_ids, model_version_id=version_id, first_position=first
    )
    assert shown is not None
    if on is not None:  # the day and a time on it, as if shown then
        noon = dt.datetime.combine(on, dt.time(12), tzinfo=dt.UTC)
        Impression.objects.filter(shown_id=shown).update(shown_on=on, shown_at=noon)
    return shown


def follow(*, user: object, shown: uuid.UUID, movie_id: int, action: Action, score: float | None = None) -> None:
    """What ``user`` did from the list, through the service (which copies the list's day)."""
    assert follow_up_record(user=user, movie_id=movie_id, shown_list=shown, action=action, score=score)


def people_prefer(
    *, comparison_id: int, winner_id: int, loser_id: int, people: int, score: float | None = None
) -> None:
    """``people`` new people, each shown one interleaved list of the first two movies (the winner's first), who open
    the winner's movie, and rate it ``score`` when given."""
    from ratings.models import Movie
    from tests.factories import UserFactory

    movies = list(Movie.objects.order_by("pk").values_list("pk", flat=True)[:2])
    for _ in range(people):
        user = UserFactory()
        shown = shown_list_record(
            user=user,
            kind=ListKind.HOME,
            movie_ids=movies,
            model_version_id=None,
            teams=Teams(comparison_id=comparison_id, version_ids=[winner_id, loser_id]),
        )
        follow_up_record(user=user, movie_id=movies[0], shown_list=shown, action=Action.OPENED)
        if score is not None:
            follow_up_record(user=user, movie_id=movies[0], shown_list=shown, action=Action.RATED, score=score)
