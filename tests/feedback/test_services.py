"""Event writes: a list shown is its movies in order with the version, kind and time; a follow-up is attributed only
to a list shown to the same person that holds the movie; Undo withdraws it; retention deletes old events."""

import datetime as dt
import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from feedback.models import Action, FollowUp, Impression, ListKind
from feedback.services import RELAXED_COMMIT, events_expire, follow_up_record, follow_up_withdraw, shown_list_record
from recommender.models import ModelVersion
from tests.factories import MovieFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def movies() -> list:
    return MovieFactory.create_batch(5)


@pytest.fixture
def version() -> ModelVersion:
    return ModelVersion.objects.create(status=ModelVersion.Status.ACTIVE, n_movies=5)


def show(user: object, movies: list, version: ModelVersion | None, *, first: int = 1) -> uuid.UUID:
    shown = shown_list_record(
        user=user,
        kind=ListKind.HOME,
        movie_ids=[m.pk for m in movies],
        model_version_id=version.pk if version else None,
        first_position=first,
    )
    assert shown is not None
    return shown


def test_a_list_shown_is_its_movies_in_order_in_one_insert(movies: list, version: ModelVersion) -> None:
    """One INSERT and no read; each movie at its position (a second page starts further down), with the list's
    version, kind and time."""
    user = UserFactory()
    with CaptureQueriesContext(connection) as queries:
        shown = show(user, movies, version, first=21)
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert statements == ["INSERT"]
    rows = list(Impression.objects.filter(shown_id=shown).order_by("position"))
    assert [(r.movie_id, r.position) for r in rows] == [(m.pk, 21 + i) for i, m in enumerate(movies)]
    assert {(r.user_id, r.model_version_id, r.kind, r.shown_on) for r in rows} == {
        (user.pk, version.pk, ListKind.HOME, rows[0].shown_at.date())
    }


def test_nothing_is_recorded_for_a_visitor_or_an_empty_list(movies: list) -> None:
    """A visitor's lists are nobody's to attribute: no id, no rows; nor for a list with no movie."""
    assert shown_list_record(user=AnonymousUser(), kind=ListKind.HOME, movie_ids=[1, 2], model_version_id=None) is None
    assert shown_list_record(user=UserFactory(), kind=ListKind.HOME, movie_ids=[], model_version_id=None) is None
    assert not Impression.objects.exists()


def test_a_follow_up_takes_the_position_version_and_day_of_the_list(movies: list, version: ModelVersion) -> None:
    """Rating the third movie of a list shown: one follow-up at position 3 of that list, with its score, written
    by one statement that checks the list as it inserts."""
    user = UserFactory()
    shown = show(user, movies, version)
    with CaptureQueriesContext(connection) as queries:
        assert follow_up_record(user=user, movie_id=movies[2].pk, shown_list=shown, action=Action.RATED, score=4.5)
    assert len(queries.captured_queries) == 1
    follow_up = FollowUp.objects.get()
    assert (follow_up.shown_id, follow_up.position, follow_up.model_version_id) == (shown, 3, version.pk)
    assert (follow_up.action, follow_up.score, follow_up.kind) == (Action.RATED, 4.5, ListKind.HOME)
    assert follow_up.shown_on == Impression.objects.filter(shown_id=shown).first().shown_on


def test_the_same_follow_up_twice_is_counted_once_and_a_new_rating_keeps_the_latest(movies: list) -> None:
    """Opening a movie again from the same list is one follow-up, at the first time, and still attributed (the
    page opened again keeps the list); rating it again replaces the score."""
    user = UserFactory()
    shown = show(user, movies, None)
    for _ in range(2):
        assert follow_up_record(user=user, movie_id=movies[0].pk, shown_list=shown, action=Action.OPENED)
    first = FollowUp.objects.get().at
    follow_up_record(user=user, movie_id=movies[0].pk, shown_list=shown, action=Action.RATED, score=2.0)
    follow_up_record(user=user, movie_id=movies[0].pk, shown_list=shown, action=Action.RATED, score=5.0)
    assert sorted(FollowUp.objects.values_list("action", "score")) == [(Action.OPENED, None), (Action.RATED, 5.0)]
    assert FollowUp.objects.get(action=Action.OPENED).at == first


@pytest.mark.parametrize("case", ["someone else's list", "movie not in the list", "unknown list", "no list"])
def test_a_follow_up_of_a_list_that_is_not_the_users_holding_the_movie_is_ignored(movies: list, case: str) -> None:
    """Another person's list, a movie the list did not show, a made-up or expired id, no id: False, nothing
    written (the action itself is the caller's, and is not refused)."""
    user, other = UserFactory(), UserFactory()
    shown = show(other if case == "someone else's list" else user, movies[:3], None)
    movie = movies[4] if case == "movie not in the list" else movies[0]
    list_id = {"unknown list": uuid.uuid4(), "no list": None}.get(case, shown)
    assert not follow_up_record(user=user, movie_id=movie.pk, shown_list=list_id, action=Action.WATCHLISTED)
    assert not FollowUp.objects.exists()


def test_undo_withdraws_the_follow_up_of_that_list_and_action_only(movies: list) -> None:
    """Undo of a mark from a list's card takes back that follow-up; the opening of the movie stays."""
    user = UserFactory()
    shown = show(user, movies, None)
    follow_up_record(user=user, movie_id=movies[1].pk, shown_list=shown, action=Action.OPENED)
    follow_up_record(user=user, movie_id=movies[1].pk, shown_list=shown, action=Action.HIDDEN)
    assert follow_up_withdraw(user=user, movie_id=movies[1].pk, shown_list=shown, action=Action.HIDDEN)
    assert not follow_up_withdraw(user=user, movie_id=movies[1].pk, shown_list=shown, action=Action.HIDDEN)
    assert list(FollowUp.objects.values_list("action", flat=True)) == [Action.OPENED]


def test_retention_deletes_lists_shown_before_the_kept_days_with_their_follow_ups(settings, movies: list) -> None:
    """With 30 days kept, a list shown 31 days ago goes with what followed it; one shown 30 days ago stays."""
    settings.FEEDBACK_RETENTION_DAYS = 30
    user, today = UserFactory(), dt.date(2026, 3, 31)
    old, kept = show(user, movies[:2], None), show(user, movies[:2], None)
    for shown, age in ((old, 31), (kept, 30)):
        follow_up_record(user=user, movie_id=movies[0].pk, shown_list=shown, action=Action.OPENED)
        day = today - dt.timedelta(days=age)
        noon = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
        Impression.objects.filter(shown_id=shown).update(shown_on=day, shown_at=noon)
        FollowUp.objects.filter(shown_id=shown).update(shown_on=day)
    expired = events_expire(today=today)
    assert (expired.impressions, expired.follow_ups, expired.before) == (2, 1, dt.date(2026, 3, 1))
    assert set(Impression.objects.values_list("shown_id", flat=True)) == {kept}
    assert set(FollowUp.objects.values_list("shown_id", flat=True)) == {kept}


@pytest.mark.django_db(transaction=True)
def test_an_event_alone_does_not_wait_for_postgresqls_disk_and_one_inside_a_write_leaves_the_commit_to_it(
    movies: list, version: ModelVersion
) -> None:
    """A list shown and its follow-up, each its own transaction, are committed with synchronous_commit off on
    PostgreSQL (and stored); inside another write's transaction (a rating's) nothing is relaxed; SQLite has no such
    setting."""
    user = UserFactory()
    relaxed_on = connection.vendor == "postgresql"
    with CaptureQueriesContext(connection) as queries:
        shown = show(user, movies, version)
        assert follow_up_record(user=user, movie_id=movies[0].pk, shown_list=shown, action=Action.OPENED)
    relaxed = [q["sql"] for q in queries.captured_queries if q["sql"] == RELAXED_COMMIT]
    assert len(relaxed) == (2 if relaxed_on else 0)
    assert Impression.objects.filter(shown_id=shown).count() == len(movies) and FollowUp.objects.count() == 1
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        follow_up_record(user=user, movie_id=movies[1].pk, shown_list=shown, action=Action.RATED, score=4.0)
    assert RELAXED_COMMIT not in [q["sql"] for q in queries.captured_queries]
    assert FollowUp.objects.count() == 2
