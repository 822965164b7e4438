"""The daily retention task: scheduled for beat under the name the worker registers, and running it deletes the
events past FEEDBACK_RETENTION_DAYS through the service."""

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from feedback.models import Impression, ListKind
from feedback.services import shown_list_record
from feedback.tasks import EXPIRE_TASK, events_expire
from movierec_site.celery import app
from tests.factories import MovieFactory, UserFactory


def test_beat_schedules_the_task_the_worker_knows_once_a_day() -> None:
    """The settings' beat entry names the task that autodiscovery registers, every 24 hours."""
    app.loader.import_default_modules()
    [entry] = [e for e in django_settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == EXPIRE_TASK]
    assert EXPIRE_TASK in app.tasks and entry["schedule"] == 24 * 60 * 60


@pytest.mark.django_db
def test_running_the_task_deletes_what_is_past_retention(settings) -> None:
    """Run as the worker runs it (its result JSON-ready): the old list goes, today's stays."""
    settings.FEEDBACK_RETENTION_DAYS = 7
    user, movie = UserFactory(), MovieFactory()
    old, new = (
        shown_list_record(user=user, kind=ListKind.HOME, movie_ids=[movie.pk], model_version_id=None) for _ in "ab"
    )
    Impression.objects.filter(shown_id=old).update(shown_on=timezone.now().date() - dt.timedelta(days=8))
    result = events_expire.apply().get()
    assert result["impressions"] == 1 and result["before"] == str(timezone.now().date() - dt.timedelta(days=7))
    assert list(Impression.objects.values_list("shown_id", flat=True)) == [new]
