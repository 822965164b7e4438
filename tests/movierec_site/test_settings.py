"""Production settings: the deployment checklist passes, and secrets and a mail server are required from the
environment."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.movierec_site.production_settings import WORKING_ENV, production_settings_import

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = WORKING_ENV["SECRET_KEY"]
SMTP = WORKING_ENV["EMAIL_URL"]
PRODUCTION_ENV = {"SECRET_KEY", "DEBUG", "EMAIL_URL", "EMAIL_UNDELIVERED_ALLOWED"}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if key not in PRODUCTION_ENV}
    clean.update({"DJANGO_SETTINGS_MODULE": "movierec_site.settings.production", **env})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def email_not_configured(monkeypatch: pytest.MonkeyPatch) -> str:
    """The production module's EMAIL_NOT_CONFIGURED message."""
    return production_settings_import(monkeypatch).EMAIL_NOT_CONFIGURED


def test_production_settings_pass_check_deploy_without_warnings() -> None:
    """`manage.py check --deploy` reports no issue at all (warnings fail too) with production settings."""
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", env={"SECRET_KEY": SECRET_KEY, "EMAIL_URL": SMTP}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("email_url", "backend"),
    [
        (None, "console"),
        ("consolemail://", "console"),
        ("filemail:///tmp/movierec-mail", "filebased"),
        ("memorymail://", "locmem"),
        ("dummymail://", "dummy"),
    ],
)
def test_production_refuses_to_start_with_a_backend_that_delivers_no_mail(
    email_not_configured: str, email_url: str | None, backend: str
) -> None:
    """Without EMAIL_URL, or with one that writes mail to the log, to disk, to memory or nowhere, production stops
    with an error that names EMAIL_URL and the backend: reset links must not end in the web log."""
    result = run_manage("check", env={"SECRET_KEY": SECRET_KEY, **({"EMAIL_URL": email_url} if email_url else {})})
    assert result.returncode != 0
    assert email_not_configured.format(backend=f"django.core.mail.backends.{backend}.EmailBackend") in result.stderr


def test_production_runs_without_mail_only_when_told_explicitly() -> None:
    """EMAIL_UNDELIVERED_ALLOWED=true lets production start with the console backend, on purpose."""
    result = run_manage("check", env={"SECRET_KEY": SECRET_KEY, "EMAIL_UNDELIVERED_ALLOWED": "true"})
    assert result.returncode == 0, result.stderr


def test_production_settings_refuse_to_start_without_secret_key() -> None:
    """Without SECRET_KEY in the environment, production settings stop with an error that names it."""
    result = run_manage("check", env={})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_development_defaults_need_no_configuration() -> None:
    """The base settings load with no environment at all: SQLite under var/, local Redis, models under var/."""
    from movierec_site.settings import base

    assert base.DATABASES["default"]["ENGINE"] in {
        "django.db.backends.sqlite3",
        "django.db.backends.postgresql",
    }
    assert base.REDIS_URL.startswith("redis://")
    assert base.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > base.CELERY_TASK_TIME_LIMIT


def test_a_killed_worker_frees_the_retrain_lock_within_two_minutes_by_default() -> None:
    """The retrain lock expires a minute after its last renewal (the running retrain renews it), far sooner than
    the task's hard time limit; the queued mark still outlives that limit."""
    from movierec_site.settings import base

    assert base.RECOMMENDER_RETRAIN_LOCK_SECONDS <= 120
    assert base.RECOMMENDER_RETRAIN_QUEUED_SECONDS > base.CELERY_TASK_TIME_LIMIT
