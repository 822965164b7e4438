"""Log lines: plain text by default, one JSON object a line with LOG_FORMAT=json, each with the request id, which a
client's sane X-Request-ID sets and which a retrain asked for from a page carries into the queued task."""

import base64
import io
import json
import logging.config
from collections.abc import Iterator

import pytest
import redis
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from movierec_site import logs
from movierec_site.celery import REQUEST_ID_HEADER
from movierec_site.logs import UNKNOWN_FORMAT, gunicorn_logconfig, logging_config
from tests.factories import UserFactory
from tests.processes import TRAINING_QUEUE, site_redis_database

pytestmark = pytest.mark.django_db
REQUEST_ID_REDIS_DB = 14  # 11 to 13 and 15 are taken by the e2e, api, recommender and insights tests


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """The site's logging in JSON, into a buffer instead of stderr; the settings' own logging again afterwards."""
    buffer = io.StringIO()
    config = logging_config(log_format="json", level="INFO")
    config["handlers"]["console"]["stream"] = buffer
    logging.config.dictConfig(config)
    yield buffer
    logging.config.dictConfig(django_settings.LOGGING)


def parsed(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_plain_text_is_the_default() -> None:
    """Without LOG_FORMAT, the one handler writes plain text, and gunicorn keeps its own format."""
    assert django_settings.LOGGING["handlers"]["console"]["formatter"] == "plain"
    assert gunicorn_logconfig(log_format="plain") == {}


def test_an_unknown_format_is_refused() -> None:
    """A LOG_FORMAT that is neither plain nor json stops the settings with the two choices, rather than guessing."""
    with pytest.raises(ValueError, match="plain, json") as raised:
        logging_config(log_format="xml", level="INFO")
    assert str(raised.value) == UNKNOWN_FORMAT.format(value="xml")


def test_json_lines_carry_the_request_id(json_lines: io.StringIO, client: Client) -> None:
    """In JSON, a line logged while a request is served is one object with time, level, logger, message and the
    request's id, which the client's X-Request-ID set and the response repeats."""
    response = client.get("/no-such-page/", headers={"X-Request-ID": "proxy-4f2a.17"})
    assert response.status_code == 404
    assert response["X-Request-ID"] == "proxy-4f2a.17"
    (line,) = [line for line in parsed(json_lines) if line["logger"] == "django.request"]
    assert line["request_id"] == "proxy-4f2a.17"
    assert line["level"] == "WARNING"
    assert line["message"] == "Not Found: /no-such-page/"
    assert line["time"]
    assert line["task_id"] is None


def test_a_line_outside_a_request_has_no_request_id(json_lines: io.StringIO) -> None:
    """A line logged outside any request or task still parses, with null ids."""
    logging.getLogger("movierec.test").warning("outside")
    (line,) = parsed(json_lines)
    assert (line["message"], line["request_id"], line["task_id"]) == ("outside", None, None)


@pytest.mark.parametrize("incoming", [None, "", "has space", "x" * 129, "new\nline"])
def test_a_missing_or_odd_request_id_is_replaced(client: Client, incoming: str | None) -> None:
    """Without X-Request-ID, or with one that could forge a log line, each request gets a new id of its own."""
    headers = {} if incoming is None else {"X-Request-ID": incoming}
    first = client.get("/", headers=headers)["X-Request-ID"]
    second = client.get("/", headers=headers)["X-Request-ID"]
    assert len(first) == 32 and int(first, 16) >= 0
    assert first != second


@pytest.fixture
def broker(settings) -> Iterator[redis.Redis]:
    with site_redis_database(settings, REQUEST_ID_REDIS_DB) as client:
        yield client


def test_a_retrain_asked_for_from_a_page_carries_the_request_id(broker: redis.Redis) -> None:
    """Retrain now, clicked on the Model page, queues a task whose message headers hold the request's id, which the
    worker puts in each line of that task (movierec_site.celery)."""
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="manage_modelversion"))
    client = Client()
    client.force_login(user)
    response = client.post(reverse("insights:retrain"), headers={"X-Request-ID": "click-1"})
    assert response.status_code == 302
    (message,) = [json.loads(raw) for raw in broker.lrange(TRAINING_QUEUE, 0, -1)]
    assert message["headers"]["task"] == "recommender.tasks.retrain"
    assert message["headers"][REQUEST_ID_HEADER] == "click-1"
    _args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
    assert kwargs == {"force": True}
    assert logs.request_id.get() == ""  # the request's id does not leak into what this thread does next
