"""The daily rollup: the days whose follow-ups are in become a row per version, kind and day (and their movies),
the online metrics read them and give what the events gave, each day is rolled up once, a follow-up later than
that is not counted, and retention deletes the rollup with the events."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from feedback.metrics import online_metrics, online_totals, rolled_up_until
from feedback.models import Action, Impression, MovieShownDay, OnlineDay
from feedback.rollup import online_days_roll_up
from feedback.services import events_expire
from tests.feedback.conftest import CATALOGUE
from tests.feedback.events import follow

pytestmark = pytest.mark.django_db


def test_only_the_days_whose_follow_ups_are_in_are_rolled_up(scene: dict) -> None:
    """Today, yesterday's lists may still be followed: nothing is rolled up; tomorrow, yesterday is."""
    assert online_days_roll_up(today=scene["today"]) == []
    assert online_days_roll_up(today=scene["today"] + dt.timedelta(days=1)) == [scene["yesterday"]]
    assert rolled_up_until() == scene["today"]
    assert set(OnlineDay.objects.values_list("shown_on", flat=True)) == {scene["yesterday"]}


def test_the_metrics_read_from_the_rollup_are_those_of_the_events(scene: dict) -> None:
    """By day, over the period and per version: the same counts and coverage once both days are rolled up."""
    version = scene["version"].pk
    before = online_metrics(version_id=version, catalogue=CATALOGUE)
    totals = online_totals(version_ids=[version, scene["other"].pk])
    assert online_days_roll_up(today=scene["today"] + dt.timedelta(days=2)) == [scene["yesterday"], scene["today"]]
    assert online_metrics(version_id=version, catalogue=CATALOGUE) == before
    assert online_totals(version_ids=[version, scene["other"].pk]) == totals


def test_half_rolled_up_the_metrics_are_the_same_too(scene: dict) -> None:
    """Yesterday from the rollup, today from the events: the same days, and coverage counts each movie once."""
    before = online_metrics(version_id=scene["version"].pk, catalogue=CATALOGUE)
    online_days_roll_up(today=scene["today"] + dt.timedelta(days=1))
    assert online_metrics(version_id=scene["version"].pk, catalogue=CATALOGUE) == before


def test_a_day_is_rolled_up_once_and_a_later_follow_up_is_not_counted(scene: dict) -> None:
    """Run again, nothing more is rolled up; a list of yesterday opened after its rollup stays an event (exported)
    but not a count."""
    tomorrow = scene["today"] + dt.timedelta(days=1)
    online_days_roll_up(today=tomorrow)
    assert online_days_roll_up(today=tomorrow) == []
    rolled = online_metrics(version_id=scene["version"].pk, catalogue=CATALOGUE).days[0][1]
    late = Impression.objects.filter(shown_on=scene["yesterday"], position=7).first()
    follow(user=late.user, shown=late.shown_id, movie_id=late.movie_id, action=Action.OPENED)
    assert online_metrics(version_id=scene["version"].pk, catalogue=CATALOGUE).days[0][1] == rolled


def test_read_from_the_rollup_the_metrics_stay_a_few_queries(scene: dict) -> None:
    """Six aggregate queries, on the rollup and on the last days' events."""
    online_days_roll_up(today=scene["today"] + dt.timedelta(days=1))
    with CaptureQueriesContext(connection) as queries:
        online_metrics(version_id=scene["version"].pk, catalogue=CATALOGUE)
    assert len(queries.captured_queries) == 6


def test_retention_deletes_the_rollup_of_the_days_it_deletes(scene: dict, settings) -> None:
    """With one day kept, tomorrow yesterday's rollup goes with yesterday's events."""
    online_days_roll_up(today=scene["today"] + dt.timedelta(days=1))
    settings.FEEDBACK_RETENTION_DAYS = 1
    events_expire(today=scene["today"] + dt.timedelta(days=1))
    assert not OnlineDay.objects.exists() and not MovieShownDay.objects.exists()
