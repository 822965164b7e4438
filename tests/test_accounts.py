"""Accounts: sign up then onboarding, log in and out, change and reset a password, the lockout after failures, sign-up
that reveals no address, and the limits on attempts per address and per account."""

import re
import uuid

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse

from accounts.services import (
    SIGNUP_ADDRESS_TAKEN,
    SIGNUP_ADDRESS_TAKEN_SUBJECT,
    SIGNUP_WELCOME,
    SIGNUP_WELCOME_SUBJECT,
)
from accounts.views import TOO_MANY_ATTEMPTS
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"  # the factories' password
NEW_PASSWORD = "a brand new passphrase 42"


@pytest.fixture(autouse=True)
def _own_rate_limit_counters(settings: object) -> None:
    """Each test counts its attempts in Redis keys of its own."""
    settings.API_RATE_KEY_PREFIX = f"test:accounts:{uuid.uuid4().hex}"


def signup_data(**changes: str) -> dict[str, str]:
    return {
        "username": "grace",
        "email": "grace@example.com",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    } | changes


@pytest.mark.django_db
def test_signup_creates_the_user_signs_in_and_goes_to_onboarding(client: Client) -> None:
    """A valid sign-up makes an account with a hashed password, signs it in, and opens the onboarding page."""
    response = client.post(reverse("signup"), signup_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("onboarding")
    user = get_user_model().objects.get(username="grace")
    assert user.email == "grace@example.com"
    assert user.check_password(NEW_PASSWORD) and user.password != NEW_PASSWORD
    assert int(client.session["_auth_user_id"]) == user.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"password2": "something else entirely"}, "The two password fields didn"),
        ({"password1": "123", "password2": "123"}, "This password is too short."),
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"username": ""}, "This field is required."),
    ],
)
def test_signup_refuses_bad_input_and_says_why(client: Client, changes: dict, message: str) -> None:
    """Mismatched or weak passwords, a bad email or no username: the form shows why and no user is created."""
    response = client.post(reverse("signup"), signup_data(**changes))
    assert response.status_code == 200
    assert message in response.text
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_signup_refuses_a_taken_username(client: Client) -> None:
    """An existing username, in any case, is refused with Django's message (usernames are public on the site)."""
    UserFactory(username="grace", email="grace@example.com")
    assert "A user with that username already exists." in client.post(reverse("signup"), signup_data()).text
    assert get_user_model().objects.count() == 1


@pytest.mark.django_db
def test_signup_answers_alike_whether_or_not_the_address_has_an_account() -> None:
    """Signing up with an address that another account uses gets exactly the answer a new address gets (signed in,
    onboarding); each sends one mail to the address: a welcome for the new one, a note naming the existing
    account for the other. Nothing on the page tells them apart."""
    UserFactory(username="grace", email="grace@example.com")
    fresh, taken = Client(), Client()

    fresh_answer = fresh.post(reverse("signup"), signup_data(username="ada", email="ada@example.com"))
    taken_answer = taken.post(reverse("signup"), signup_data(username="hopper", email="GRACE@example.com"))

    assert (fresh_answer.status_code, fresh_answer["Location"]) == (taken_answer.status_code, taken_answer["Location"])
    assert fresh_answer["Location"] == reverse("onboarding")
    assert fresh.get(reverse("onboarding")).status_code == taken.get(reverse("onboarding")).status_code == 200
    assert get_user_model().objects.get(username="hopper").email == "GRACE@example.com"
    welcome, note = mail.outbox
    assert (welcome.to, welcome.subject, welcome.body) == (
        ["ada@example.com"],
        SIGNUP_WELCOME_SUBJECT,
        SIGNUP_WELCOME.format(username="ada"),
    )
    assert (note.to, note.subject, note.body) == (
        ["GRACE@example.com"],
        SIGNUP_ADDRESS_TAKEN_SUBJECT,
        SIGNUP_ADDRESS_TAKEN.format(username="hopper", owners="grace"),
    )


@pytest.mark.django_db
def test_signup_page_sends_signed_in_users_home(client: Client) -> None:
    """Someone already signed in does not see the sign-up form."""
    client.force_login(UserFactory())
    assert client.get(reverse("signup"))["Location"] == reverse("home")


@pytest.mark.django_db
def test_login_and_post_only_logout() -> None:
    """Logging in goes home (or to next); logging out needs a POST with the CSRF token."""
    UserFactory(username="ada")
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("login"))
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("login"), {"username": "ada", "password": PASSWORD, "next": "/movies/", "csrfmiddlewaretoken": token}
    )
    assert response["Location"] == "/movies/"
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 403  # no token: still signed in
    assert "_auth_user_id" in client.session
    token = client.cookies["csrftoken"].value
    assert client.post(reverse("logout"), {"csrfmiddlewaretoken": token})["Location"] == reverse("home")
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_password_change(client: Client) -> None:
    """A signed-in user changes their password with the old one, and stays signed in."""
    user = UserFactory()
    client.force_login(user)
    data = {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    response = client.post(reverse("password_change"), data)
    assert response["Location"] == reverse("password_change_done")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert "Password changed" in client.get(response["Location"]).text


@pytest.mark.django_db
def test_password_reset_by_email(client: Client) -> None:
    """The reset form mails a one-time link; following it sets a new password that then logs in."""
    user = UserFactory(email="ada@example.com")
    response = client.post(reverse("password_reset"), {"email": "ada@example.com"})
    assert response["Location"] == reverse("password_reset_done")
    [message] = mail.outbox
    assert message.subject == "Reset your MovieRec password"
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body).group(1)
    form_url = client.get(link)["Location"]  # Django swaps the token for a session key, then shows the form
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response["Location"] == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert "This link no longer works" in client.get(link, follow=True).text


@pytest.mark.django_db
def test_password_reset_does_not_reveal_unknown_addresses(client: Client) -> None:
    """An unknown address gets the same answer and no email."""
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


@pytest.mark.django_db
@override_settings(AXES_FAILURE_LIMIT=3)
def test_repeated_failed_logins_lock_out_with_a_clear_page(client: Client) -> None:
    """After the failure limit, even the right password is refused for a while, with a page that explains."""
    UserFactory(username="ada")
    for _ in range(2):
        response = client.post(reverse("login"), {"username": "ada", "password": "wrong"})
        assert response.status_code == 200
        assert "Please enter a correct username and password." in response.text
    locked = client.post(reverse("login"), {"username": "ada", "password": "wrong"})
    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.text
    assert "After 3 wrong passwords" in locked.text
    again = client.post(reverse("login"), {"username": "ada", "password": PASSWORD})
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.filter(username="ada").exists()


@pytest.mark.django_db
def test_lockout_is_per_username_and_address(client: Client) -> None:
    """Locking one username out does not stop another user logging in from the same address."""
    UserFactory(username="ada")
    UserFactory(username="bob")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "ada", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "bob", "password": PASSWORD})
    assert response.status_code == 302


def _from(address: str) -> Client:
    """A client whose requests come from ``address`` (REMOTE_ADDR: production trusts no X-Forwarded-For)."""
    return Client(REMOTE_ADDR=address)


def _assert_too_many(response: object) -> None:
    assert response.status_code == 429
    seconds = int(response["Retry-After"])
    assert 1 <= seconds <= 86400
    assert TOO_MANY_ATTEMPTS.format(seconds=seconds) in response.text


@pytest.mark.django_db
def test_signups_are_limited_per_address(client: Client, settings: object) -> None:
    """Past API_RATE_AUTH sign-ups from one address, the next is refused with 429, Retry-After and a message, and
    creates no account, whatever its username and email."""
    settings.API_RATE_AUTH = "2/d"
    for name in ("one", "two"):
        assert (
            client.post(reverse("signup"), signup_data(username=name, email=f"{name}@example.com")).status_code == 302
        )
        client.logout()
    _assert_too_many(client.post(reverse("signup"), signup_data(username="three", email="three@example.com")))
    assert not get_user_model().objects.filter(username="three").exists()


@pytest.mark.django_db
def test_signups_are_limited_per_email_address_from_any_client_address(settings: object) -> None:
    """One email address gets at most API_RATE_AUTH sign-ups (and so sign-up mails) however many client addresses
    they come from: the next is refused and sends nothing."""
    settings.API_RATE_AUTH = "2/d"
    for number, name in enumerate(("one", "two")):
        answer = _from(f"198.51.100.{number}").post(reverse("signup"), signup_data(username=name))
        assert answer.status_code == 302
    _assert_too_many(_from("198.51.100.9").post(reverse("signup"), signup_data(username="three")))
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_logins_are_limited_per_account_from_any_address(settings: object) -> None:
    """Past API_RATE_AUTH log-in attempts for one username, from however many addresses, the next is refused
    with 429 before its password is even checked, the right one included."""
    settings.API_RATE_AUTH = "2/d"
    UserFactory(username="ada")
    for number in range(2):
        assert (
            _from(f"198.51.100.{number}").post(reverse("login"), {"username": "ada", "password": "wrong"}).status_code
            == 200
        )
    refused = _from("198.51.100.9").post(reverse("login"), {"username": "ADA", "password": PASSWORD})
    _assert_too_many(refused)
    assert "_auth_user_id" not in refused.client.session


@pytest.mark.django_db
def test_logins_are_limited_per_address_across_accounts(client: Client, settings: object) -> None:
    """One address trying many usernames is refused past API_RATE_AUTH attempts, an existing user's included."""
    settings.API_RATE_AUTH = "2/d"
    UserFactory(username="ada")
    for name in ("x1", "x2"):
        client.post(reverse("login"), {"username": name, "password": "guess"})
    _assert_too_many(client.post(reverse("login"), {"username": "ada", "password": PASSWORD}))


@pytest.mark.django_db
def test_password_resets_are_limited_per_email_address(settings: object) -> None:
    """At most API_RATE_AUTH reset requests for one email address, from any client address: past that, 429 and no
    mail; the address's owner is not flooded."""
    settings.API_RATE_AUTH = "2/d"
    UserFactory(email="ada@example.com")
    for number in range(2):
        assert (
            _from(f"198.51.100.{number}").post(reverse("password_reset"), {"email": "ada@example.com"}).status_code
            == 302
        )
    _assert_too_many(_from("198.51.100.9").post(reverse("password_reset"), {"email": "Ada@Example.com"}))
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_the_api_and_the_site_share_one_budget_per_account(settings: object) -> None:
    """Token requests to the API and log-ins on the site for one username count in the same limit."""
    settings.API_RATE_AUTH = "2/d"
    UserFactory(username="ada")
    body = {"username": "ada", "password": "wrong"}
    _from("198.51.100.1").post("/api/auth/token", body, content_type="application/json")
    _from("198.51.100.2").post(reverse("login"), body)
    _assert_too_many(_from("198.51.100.3").post(reverse("login"), {"username": "ada", "password": PASSWORD}))
