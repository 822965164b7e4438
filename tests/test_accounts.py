"""Accounts: sign up then onboarding, log in and out, change and reset a password, and the lockout after failures."""

import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse

from accounts.forms import EMAIL_TAKEN
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"  # the factories' password
NEW_PASSWORD = "a brand new passphrase 42"


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
def test_signup_refuses_a_taken_username_or_email(client: Client) -> None:
    """An existing username, or an existing email in another case, is refused."""
    UserFactory(username="grace", email="grace@example.com")
    assert "A user with that username already exists." in client.post(reverse("signup"), signup_data()).text
    response = client.post(reverse("signup"), signup_data(username="hopper", email="GRACE@example.com"))
    assert EMAIL_TAKEN in response.text
    assert get_user_model().objects.count() == 1


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
