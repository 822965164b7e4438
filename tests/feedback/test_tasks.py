"""The feedback tasks: the daily retention and the hourly rollup, scheduled for beat under the names the worker
registers; run, they do what their services do."""

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from feedback.models import Impression, ListKind, OnlineDay
from feedback.services import shown_list_record
from feedback.tasks import EXPIRE_TASK, ROLL_UP_TASK, events_expire, online_days_roll_up
from movierec_site.celery import app
from tests.factories import MovieFactory, UserFactory


@pytest.mark.parametrize(("task", "seconds"), [(EXPIRE_TASK, 24 * 60 * 60), (ROLL_UP_TASK, 60 * 60)])
def test_beat_schedules_the_tasks_the_worker_knows(task: str, seconds: int) -> None:
    """The settings' beat entry names the task that autodiscovery registers: retention daily, the rollup hourly."""
    app.loader.import_default_modules()
    [entry] = [e for e in django_settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == task]
    assert task in app.tasks and entry["schedule"] == seconds


@pytest.mark.django_db
def test_running_the_task_deletes_what_is_past_retention(settings) -> None:
    """Run as the worker runs it (its result JSON-ready): the old list goes, today's stays."""
    settings.FEEDBACK_RETENTION_DAYS = 7
    user, movie = UserFactory(), MovieFactory()
    old, new = (
        shown_list_record(user=user, kind=ListKind.HOME, movie_ids=[movie.pk], model_version_id=None) for _ in "ab"
    )
    Impression.objects.filter(shown_id=old).update(shown_at=timezone.now() - dt.timedelta(days=8))
    result = events_expire.apply().get()
    assert result["impressions"] == 1 and result["before"] == str(timezone.now().date() - dt.timedelta(days=7))
    assert list(Impression.objects.values_list("shown_id", flat=True)) == [new]


@pytest.mark.django_db
def test_running_the_rollup_task_rolls_up_the_settled_days() -> None:
    """A list shown three days ago: its day is rolled up, and named in the result."""
    day = timezone.now().date() - dt.timedelta(days=3)
    shown = shown_list_record(user=UserFactory(), kind=ListKind.HOME, movie_ids=[MovieFactory().pk], model_version_id=1)
    noon = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    Impression.objects.filter(shown_id=shown).update(shown_on=day, shown_at=noon)
    assert online_days_roll_up.apply().get()[0] == day.isoformat()
    assert OnlineDay.objects.get().lists == 1
