"""Fixtures of the feedback tests: a constructed scene of lists shown and what followed them."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from feedback.models import Action, ListKind
from recommender.models import ModelVersion
from tests.factories import MovieFactory, UserFactory
from tests.feedback.events import follow, list_show

CATALOGUE = 40


@pytest.fixture
def scene() -> dict:
    """Version v on two days. Yesterday: lists A, B, C, D of movies 0-11, and a second page (positions 21-24, movies
    12-15). A: movie 2 opened and rated 5. B: movie 11 rated 5 (position 12, past the first 10) and movie 3 hidden.
    C: movies 1 and 4 put on the watchlist, movie 5 rated 3. D: nothing. Today: list E of movies 0-5, its movie 5
    (position 6) opened. Beside them: another version's list and v's "more like this" list,
    both with follow-ups, which v's recommendation metrics leave out."""
    version, other = (ModelVersion.objects.create(n_movies=CATALOGUE) for _ in range(2))
    movies = MovieFactory.create_batch(16)
    user = UserFactory()
    today = timezone.now().date()

    def show(ids: range, *, first: int = 1, on: dt.date, kind: ListKind = ListKind.HOME, of: ModelVersion = version):
        return list_show(
            user=user, movie_ids=[movies[i].pk for i in ids], version_id=of.pk, on=on, kind=kind, first=first
        )

    def did(shown: uuid.UUID, index: int, action: Action, score: float | None = None) -> None:
        follow(user=user, shown=shown, movie_id=movies[index].pk, action=action, score=score)

    yesterday = today - dt.timedelta(days=1)
    a, b, c, _d = (show(range(12), on=yesterday) for _ in range(4))
    show(range(12, 16), first=21, on=yesterday)
    did(a, 2, Action.OPENED)
    did(a, 2, Action.RATED, 5.0)
    did(b, 11, Action.RATED, 5.0)
    did(b, 3, Action.HIDDEN)
    did(c, 1, Action.WATCHLISTED)
    did(c, 4, Action.WATCHLISTED)
    did(c, 5, Action.RATED, 3.0)
    e = show(range(6), on=today)
    did(e, 5, Action.OPENED)
    for stranger in (show(range(6), on=today, of=other), show(range(6), on=today, kind=ListKind.SIMILAR)):
        did(stranger, 0, Action.OPENED)
        did(stranger, 1, Action.RATED, 5.0)
    return {"version": version, "other": other, "today": today, "yesterday": yesterday}
