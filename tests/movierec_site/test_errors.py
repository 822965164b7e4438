"""SENTRY_DSN: unset, no error reporting is started (sentry-sdk is not even imported); set, Sentry reports with its
Django and Celery integrations. Each case in a fresh process, as the settings run once per process."""

import json
import os
import subprocess
import sys

from tests.processes import ROOT

# Django set up on the site's settings; then what this process knows of Sentry.
PROBE = """
import json, sys, django
django.setup()
state = {"imported": "sentry_sdk" in sys.modules}
if state["imported"]:
    import sentry_sdk
    client = sentry_sdk.get_client()
    state.update(active=client.is_active(), integrations=sorted(client.integrations))
print(json.dumps(state))
"""


def probe(**env: str) -> dict:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("SENTRY_")}
    environment.update(DJANGO_SETTINGS_MODULE="movierec_site.settings.test", **env)
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_without_a_dsn_nothing_reports() -> None:
    """With no SENTRY_DSN, sentry-sdk is not imported, so nothing can be sent anywhere."""
    assert probe() == {"imported": False}


def test_a_dsn_starts_sentry_with_the_django_and_celery_integrations() -> None:
    """With a SENTRY_DSN, the client is active with the Django and Celery integrations."""
    state = probe(SENTRY_DSN="http://public@127.0.0.1:9/1")
    assert state["active"] is True
    assert {"django", "celery"} <= set(state["integrations"])
