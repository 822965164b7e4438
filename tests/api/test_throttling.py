"""Rate limits on writes and authentication: per user and per address, counted in Redis, failing open without it."""

import pytest
from django.test import Client

from accounts.rate_limits import parse_rate
from api.services import token_create
from ratings.models import Rating
from tests.api.conftest import DEAD_REDIS_URL, bearer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_parse_rate() -> None:
    """ "<count>/<period>" gives the count and the window in seconds."""
    assert parse_rate("120/m") == (120, 60)
    assert parse_rate("5/s") == (5, 1)
    assert parse_rate("1000/hour") == (1000, 3600)
    assert parse_rate("10/d") == (10, 86400)


def test_token_requests_are_limited_per_address(api_client: Client, settings) -> None:
    """Past the auth rate, one address gets 429 with Retry-After, whichever usernames it tries."""
    settings.API_RATE_AUTH = "3/d"
    for i in range(3):
        response = api_client.post(
            "/api/auth/token", {"username": f"u{i}", "password": "x"}, content_type="application/json"
        )
        assert response.status_code == 401
    response = api_client.post("/api/auth/token", {"username": "u9", "password": "x"}, content_type="application/json")
    assert response.status_code == 429
    assert response.json()["detail"].startswith("too many requests")
    assert 1 <= int(response["Retry-After"]) <= 86400


def test_auth_requests_are_limited_per_username_across_addresses(api_client: Client, settings) -> None:
    """Spreading guesses for one username over many addresses still hits the per-username limit."""
    settings.API_RATE_AUTH = "3/d"
    for i in range(3):
        api_client.post(
            "/api/auth/token",
            {"username": "alice", "password": "x"},
            content_type="application/json",
            REMOTE_ADDR=f"10.0.0.{i}",
        )
    response = api_client.post(
        "/api/auth/token",
        {"username": "Alice", "password": "x"},
        content_type="application/json",
        REMOTE_ADDR="10.0.0.9",
    )
    assert response.status_code == 429


def test_signup_is_limited_per_address(api_client: Client, settings) -> None:
    """Sign-ups count against the same auth rate: no mass account creation from one address."""
    settings.API_RATE_AUTH = "2/d"
    statuses = [
        api_client.post(
            "/api/auth/signup",
            {"username": f"n{i}", "password": "a sturdy passphrase 42"},
            content_type="application/json",
        ).status_code
        for i in range(3)
    ]
    assert statuses == [201, 201, 429]


def test_writes_are_limited_per_user(api_client: Client, auth: dict, catalogue: list, settings) -> None:
    """A user past the write rate gets 429, and the refused write is not stored; another user is unaffected."""
    settings.API_RATE_WRITE_USER = "2/d"
    url = f"/api/me/ratings/{catalogue[0].pk}"
    assert api_client.put(url, {"rating": 1}, content_type="application/json", headers=auth).status_code == 200
    assert api_client.put(url, {"rating": 2}, content_type="application/json", headers=auth).status_code == 200
    refused = api_client.put(url, {"rating": 5}, content_type="application/json", headers=auth)
    assert refused.status_code == 429
    assert "Retry-After" in refused
    assert Rating.objects.get(user__username="alice", movie=catalogue[0]).score == 2
    other = bearer(token_create(user=UserFactory())[0])
    assert api_client.put(url, {"rating": 5}, content_type="application/json", headers=other).status_code == 200


def test_writes_are_limited_per_address(api_client: Client, catalogue: list, settings) -> None:
    """Many users behind one address share the per-address write limit."""
    settings.API_RATE_WRITE_ADDRESS = "2/d"
    url = f"/api/me/ratings/{catalogue[0].pk}"
    statuses = [
        api_client.put(
            url, {"rating": 3}, content_type="application/json", headers=bearer(token_create(user=UserFactory())[0])
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]


def test_x_forwarded_for_does_not_escape_the_address_limit(api_client: Client, settings) -> None:
    """With no proxy configured, a client cannot pick its address through X-Forwarded-For."""
    settings.API_RATE_AUTH = "2/d"
    statuses = [
        api_client.post(
            "/api/auth/token",
            {"username": f"u{i}", "password": "x"},
            content_type="application/json",
            headers={"X-Forwarded-For": f"10.1.1.{i}"},
        ).status_code
        for i in range(3)
    ]
    assert statuses == [401, 401, 429]


def test_limits_fail_open_when_redis_is_down(api_client: Client, auth: dict, catalogue: list, settings) -> None:
    """Without Redis, writes and logins still work (and are not counted): ratings must not be lost to a cache outage."""
    settings.REDIS_URL = DEAD_REDIS_URL
    settings.API_RATE_WRITE_USER = "1/d"
    url = f"/api/me/ratings/{catalogue[0].pk}"
    for score in (1, 2, 3):
        assert api_client.put(url, {"rating": score}, content_type="application/json", headers=auth).status_code == 200
    assert Rating.objects.get(user__username="alice", movie=catalogue[0]).score == 3
    response = api_client.post(
        "/api/auth/token",
        {"username": "alice", "password": "correct horse battery staple"},
        content_type="application/json",
    )
    assert response.status_code == 200
