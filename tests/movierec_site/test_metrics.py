"""GET /metrics: refused to anyone but staff and a scraper with METRICS_TOKEN; request counts and latencies by route,
and the model's and the ratings' figures from the database; gunicorn's workers added up through
PROMETHEUS_MULTIPROC_DIR."""

import re
from pathlib import Path

import pytest
import requests
from django.test import Client

from movierec_site.metrics import METRICS_FORBIDDEN
from recommender.models import ModelVersion
from tests.factories import UserFactory
from tests.processes import WebServer

pytestmark = pytest.mark.django_db

TOKEN = "scraper-secret-0123456789"


@pytest.fixture
def token(settings) -> str:
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition ``text``."""
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}(?:\{{(.*)\}})? (\S+)", line)
        if match and all(f'{key}="{value}"' in (match.group(1) or "") for key, value in labels.items()):
            return float(match.group(2))
    raise AssertionError(f"no {name} {labels} in the metrics")


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}"])
def test_metrics_are_refused_without_the_token(client: Client, token: str, authorization: str | None) -> None:
    """Anonymous, a wrong token or another scheme: 403 with the reason, no figures."""
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 403
    assert response.content.decode() == METRICS_FORBIDDEN


def test_no_token_configured_lets_no_scraper_in(client: Client, settings) -> None:
    """With METRICS_TOKEN unset, an empty bearer token is no key."""
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 403


def test_staff_see_the_metrics(client: Client) -> None:
    """A staff member signed in reads them without a token; a member who is not staff does not."""
    client.force_login(UserFactory(is_staff=False))
    assert client.get("/metrics").status_code == 403
    client.force_login(UserFactory(is_staff=True))
    assert client.get("/metrics").status_code == 200


def test_requests_are_counted_by_route_and_the_database_figures_are_there(client: Client, token: str) -> None:
    """A page's requests count under its route's name; the active version, versions by status and ratings are read
    from the database."""
    auth = {"Authorization": f"Bearer {token}"}
    before = client.get("/metrics", headers=auth).content.decode()
    for _ in range(3):
        client.get("/api/health/live")
    ModelVersion.objects.create(status=ModelVersion.Status.FAILED, algorithm="dot", training_seconds=12.5)
    text = client.get("/metrics", headers=auth).content.decode()

    route = {"route": "api:live", "method": "GET", "status": "2xx"}
    count = "movierec_http_request_duration_seconds_count"
    previous = sample(before, count, **route) if "api:live" in before else 0.0
    assert sample(text, count, **route) == previous + 3
    assert sample(text, "movierec_active_model_version") == 0
    assert sample(text, "movierec_model_versions", status="failed") == 1
    assert sample(text, "movierec_retrain_last_seconds") == 12.5
    assert sample(text, "movierec_ratings") == 0


@pytest.mark.django_db(transaction=True)
def test_gunicorn_workers_are_added_up(tmp_path: Path, settings) -> None:
    """Two gunicorn workers sharing PROMETHEUS_MULTIPROC_DIR: a scrape counts every request, whichever worker served
    it and whichever answers the scrape."""
    directory = tmp_path / "prometheus"
    directory.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(directory), "METRICS_TOKEN": TOKEN, "WEB_CONCURRENCY": "2"}
    web = WebServer(redis_url=settings.REDIS_URL, log=tmp_path / "web.log", env=env).start()
    sent = 0
    try:
        # Until both workers have served (either may take every connection for a while), within a generous bound.
        while sent < 20 or (len(list(directory.glob("histogram_*.db"))) < 2 and sent < 500):
            requests.get(f"{web.url}/api/health/live", timeout=10)
            sent += 1
        text = requests.get(f"{web.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).text
    finally:
        web.stop()
    assert len(list(directory.glob("histogram_*.db"))) == 2
    assert sample(text, "movierec_http_request_duration_seconds_count", route="api:live") == sent
