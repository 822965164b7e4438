"""`manage.py site_setup`, which the run command calls before every start: idempotent first-start preparation."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from recommender.models import ModelVersion
from tests.factories import MovieFactory


@pytest.fixture
def prepared_site(db: None) -> None:
    """A catalogue and an active model exist, so site_setup neither imports nor trains."""
    MovieFactory()
    ModelVersion.objects.create(status=ModelVersion.Status.ACTIVE)


def test_creates_the_admin_from_the_environment_once(prepared_site: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The admin comes from DJANGO_SUPERUSER_*; a second start keeps the password it was created with."""
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "boss")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "first-password-1")
    call_command("site_setup")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "second-password-2")
    call_command("site_setup")

    admin = get_user_model().objects.get(username="boss")
    assert admin.is_staff and admin.is_superuser
    assert admin.check_password("first-password-1")


def test_schedules_the_retrain_once_and_trains_nothing_when_a_model_is_active(prepared_site: None) -> None:
    """Repeated starts leave one retrain schedule and do not train while a version is active."""
    call_command("site_setup")
    call_command("site_setup")

    assert PeriodicTask.objects.filter(task="recommender.tasks.retrain").count() == 1
    assert ModelVersion.objects.count() == 1
