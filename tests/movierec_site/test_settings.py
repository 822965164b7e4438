"""Production settings: the deployment checklist passes, and secrets are required from the environment."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if key not in {"SECRET_KEY", "DEBUG"}}
    clean.update({"DJANGO_SETTINGS_MODULE": "movierec_site.settings.production", **env})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_check_deploy_without_warnings() -> None:
    """`manage.py check --deploy` reports no issue at all (warnings fail too) with production settings."""
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env={"SECRET_KEY": "x" * 64 + "-production"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


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
