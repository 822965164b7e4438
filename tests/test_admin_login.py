"""The admin's log-in: limited per address and per account like the site's, in the same budget; within the limit a
staff member still logs in."""

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from accounts.views import TOO_MANY_ATTEMPTS
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"  # the factories' password

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_rate_limit_counters(settings: object) -> None:
    """Each test counts its attempts in Redis keys of its own, and allows 2 a day: a window that a slow run could
    cross between two attempts (a minute's) would let the third through."""
    settings.API_RATE_KEY_PREFIX = f"test:admin-login:{uuid.uuid4().hex}"
    settings.API_RATE_AUTH = "2/d"


def _from(address: str) -> Client:
    """A client whose requests come from ``address`` (REMOTE_ADDR: production trusts no X-Forwarded-For)."""
    return Client(REMOTE_ADDR=address)


def _log_in(client: Client, username: str, password: str) -> object:
    return client.post(reverse("admin:login"), {"username": username, "password": password, "next": "/admin/"})


def _assert_too_many(response: object) -> None:
    """429 with Retry-After, the admin's log-in page with the message, its form empty, and nobody signed in."""
    assert response.status_code == 429
    seconds = int(response["Retry-After"])
    assert 1 <= seconds <= 86400
    assert TOO_MANY_ATTEMPTS.format(seconds=seconds) in response.text
    assert 'id="login-form"' in response.text and 'name="password"' in response.text
    assert "_auth_user_id" not in response.client.session


def test_a_staff_member_logs_in_within_the_limit() -> None:
    """The limit leaves the admin's log-in as it was below it: a wrong password is refused, the right one signs in."""
    UserFactory(username="root", is_staff=True)
    client = _from("198.51.100.1")
    assert "Please enter the correct username and password" in _log_in(client, "root", "wrong").text
    response = _log_in(client, "root", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_admin_logins_are_limited_per_account_from_any_address() -> None:
    """Past API_RATE_AUTH attempts for one username, from however many addresses, the next is refused with 429
    before its password is checked, the right password included (and whatever the username's case)."""
    UserFactory(username="root", is_staff=True)
    for number in range(2):
        assert _log_in(_from(f"198.51.100.{number}"), "root", "wrong").status_code == 200
    _assert_too_many(_log_in(_from("198.51.100.9"), "ROOT", PASSWORD))


def test_admin_logins_are_limited_per_address_across_accounts() -> None:
    """One address trying many usernames is refused past API_RATE_AUTH attempts, an existing staff member's too."""
    UserFactory(username="root", is_staff=True)
    client = _from("198.51.100.1")
    for name in ("admin", "administrator"):
        _log_in(client, name, "guess")
    _assert_too_many(_log_in(client, "root", PASSWORD))


def test_the_admin_and_the_site_share_one_budget_per_account() -> None:
    """Attempts for one username on the site's log-in and on the admin's count in the same limit."""
    UserFactory(username="root", is_staff=True)
    _from("198.51.100.1").post(reverse("login"), {"username": "root", "password": "wrong"})
    _log_in(_from("198.51.100.2"), "root", "wrong")
    _assert_too_many(_log_in(_from("198.51.100.3"), "root", PASSWORD))
