"""Redis down, and back: the site keeps serving and saving ratings, retrains are refused with a reason, the health
check names Redis, and everything resumes when Redis returns on the same port.

Redis is a redis-server of the test's own (tests/processes.py), killed with SIGKILL; the site's retrain lock,
Celery broker, rate limits and health check all point at it.
"""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.rate_limits import REDIS_DOWN_FAIL_OPEN
from api.api import RETRY_AFTER_SECONDS
from api.routers.health import REDIS_DOWN
from ratings.models import Rating
from recommender.services.retrain import RETRAIN_BUSY, RETRAIN_QUEUED_KEY, RETRAIN_UNAVAILABLE
from tests.processes import TRAINING_QUEUE

pytestmark = pytest.mark.django_db

# Far more than the site's Redis timeouts add up to over the requests below; a hang never ends.
HUNG_REDIS_PATIENCE_S = 60


def _messages(response: object) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _prefix(template: str) -> str:
    return template.split("{")[0]


def test_pages_still_render_with_redis_down(site_redis, served_world, client_for, manager_client) -> None:
    """With Redis killed: the catalogue, a movie, the login page and the API answer 200; a model user's home page
    is still personal; the Model section and the registry's admin list still show for staff."""
    site_redis.kill()
    anonymous = Client(raise_request_exception=False)
    movie = served_world.action_movies[0]
    for url in ["/", reverse("movie-list"), reverse("movie-detail", args=[movie.pk]), reverse("login"), "/api/movies"]:
        assert anonymous.get(url).status_code == 200, url
    home = client_for(served_world.action_fan).get("/")
    assert home.status_code == 200
    assert home.context["result"].is_fallback is False
    assert manager_client.get(reverse("insights:history")).status_code == 200
    assert manager_client.get(reverse("admin:recommender_modelversion_changelist")).status_code == 200


def test_ratings_are_still_saved_with_redis_down(site_redis, served_world, client_for, bearer_for, caplog) -> None:
    """With Redis killed, a rating from the site's form and one from the API are stored; the API's rate limit is
    skipped with a warning (it fails open rather than losing the rating)."""
    site_redis.kill()
    fan = served_world.action_fan
    first, second = served_world.romance_movies[2], served_world.romance_movies[3]
    response = client_for(fan).post(reverse("rating-set", args=[first.pk]), {"score": "3.5"})
    assert response.status_code == 302
    api = Client(raise_request_exception=False).put(
        f"/api/me/ratings/{second.pk}", {"rating": 4.5}, content_type="application/json", headers=bearer_for(fan)
    )
    assert api.status_code == 200, api.content
    assert Rating.objects.get(user=fan, movie=first).score == 3.5
    assert Rating.objects.get(user=fan, movie=second).score == 4.5
    assert _prefix(REDIS_DOWN_FAIL_OPEN.replace("%s", "{")) in caplog.text


def test_retrains_are_refused_with_a_reason_while_redis_is_down(
    site_redis, served_world, manager_client, manager_token
) -> None:
    """The API answers 503 with a message and Retry-After; the Model section and the admin say the broker does not
    answer. When Redis returns, no retrain was queued by those attempts."""
    site_redis.kill()
    api = Client(raise_request_exception=False).post("/api/models/retrain", headers=manager_token)
    assert api.status_code == 503
    assert api.json() == {"detail": RETRAIN_UNAVAILABLE}
    assert api["Retry-After"] == str(RETRY_AFTER_SECONDS)
    insights = manager_client.post(reverse("insights:retrain"), follow=True)
    assert insights.status_code == 200
    assert any(m.startswith(_prefix(RETRAIN_UNAVAILABLE)) for m in _messages(insights))
    admin = manager_client.post(reverse("admin:recommender_modelversion_retrain"), follow=True)
    assert admin.status_code == 200
    assert any(m.startswith(_prefix(RETRAIN_UNAVAILABLE)) for m in _messages(admin))
    site_redis.start()
    assert site_redis.client().llen(TRAINING_QUEUE) == 0
    assert not site_redis.client().exists(RETRAIN_QUEUED_KEY)


def test_health_says_redis_is_down(site_redis, served_world) -> None:
    """/api/health answers 503 and names Redis; the database and the model still report ok."""
    site_redis.kill()
    response = Client().get("/api/health")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["redis"] == {"ok": False, "detail": REDIS_DOWN}
    assert checks["database"]["ok"] is True
    assert checks["model"]["ok"] is True
    assert REDIS_DOWN in response.json()["detail"]


def test_everything_resumes_when_redis_returns(site_redis, served_world, manager_client, manager_token) -> None:
    """Killed, then started again on the same port: health is 200 again, a retrain is queued (202, one message
    on the broker), the next is refused as running (API 409, Model section "busy"), and the rate limits count."""
    client = Client(raise_request_exception=False)
    site_redis.kill()
    assert client.get("/api/health").status_code == 503
    assert client.post("/api/models/retrain", headers=manager_token).status_code == 503
    site_redis.start()
    assert client.get("/api/health").status_code == 200
    queued = client.post("/api/models/retrain", headers=manager_token)
    assert queued.status_code == 202, queued.content
    assert site_redis.client().llen(TRAINING_QUEUE) == 1
    again = client.post("/api/models/retrain", headers=manager_token)
    assert again.status_code == 409
    assert again.json() == {"detail": RETRAIN_BUSY}
    busy = manager_client.post(reverse("insights:retrain"), follow=True)
    assert RETRAIN_BUSY in _messages(busy)
    assert site_redis.client().keys("test:reliability:*"), "the rate limits did not count in Redis"


@pytest.mark.django_db(transaction=True)  # the requests run in a thread of their own, on its own connection
def test_a_hung_redis_delays_answers_but_never_blocks_them(
    site_redis, served_world, client_for, bearer_for, manager_client, manager_token
) -> None:
    """Redis stopped (SIGSTOP: connections accepted, never answered): the staff pages, a rating through the API,
    the health check and a retrain request all still answer, as they do when Redis is down, because every Redis
    client of the site has timeouts. Run in a thread so that a hang fails the test instead of blocking it."""
    fan = served_world.action_fan
    movie = served_world.romance_movies[3]
    answers: dict[str, int] = {}

    def visit() -> None:
        api = Client(raise_request_exception=False)
        answers["history"] = manager_client.get(reverse("insights:history")).status_code
        answers["admin"] = manager_client.get(reverse("admin:recommender_modelversion_changelist")).status_code
        answers["rating"] = api.put(
            f"/api/me/ratings/{movie.pk}", {"rating": 4}, content_type="application/json", headers=bearer_for(fan)
        ).status_code
        answers["health"] = api.get("/api/health").status_code
        answers["retrain"] = api.post("/api/models/retrain", headers=manager_token).status_code
        connection.close()

    site_redis.freeze()
    try:
        thread = threading.Thread(target=visit)
        thread.start()
        thread.join(timeout=HUNG_REDIS_PATIENCE_S)
        assert not thread.is_alive(), f"a request hung on the stopped Redis; answered so far: {answers}"
    finally:
        site_redis.thaw()
        thread.join()
    assert answers == {"history": 200, "admin": 200, "rating": 200, "health": 503, "retrain": 503}
    assert Rating.objects.get(user=fan, movie=movie).score == 4.0
