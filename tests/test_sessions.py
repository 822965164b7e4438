"""Browser sessions end with the person's say-so: log out everywhere (DELETE /api/auth/tokens) signs out every
browser of the user, the one that asked included; a password change signs out the other browsers and keeps this one;
a password reset signs out all of them. Two clients signed in as the same user stand for two browsers."""

import re
import uuid

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import UserSession
from api.services import token_create
from api.web_views import LOGGED_OUT_EVERYWHERE
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # the factories' password
NEW_PASSWORD = "a brand new passphrase 42"


@pytest.fixture(autouse=True)
def _own_rate_limit_counters(settings: object) -> None:
    settings.API_RATE_KEY_PREFIX = f"test:sessions:{uuid.uuid4().hex}"


def browser(user: object, **options: object) -> Client:
    client = Client(**options)
    client.force_login(user)
    return client


def signed_in(client: Client) -> bool:
    """Whether the client's session still signs it in: the account page answers, or sends it to log in."""
    response = client.get(reverse("account-data"))
    assert response.status_code in {200, 302}
    return response.status_code == 200


def test_a_session_knows_the_user_it_signs_in() -> None:
    """The session row carries its user once signed in, through the new key a log-in gives it; a log-out leaves
    the user no session."""
    user = UserFactory(username="ada")
    client = Client()
    client.get(reverse("login"))
    client.post(reverse("login"), {"username": "ada", "password": PASSWORD})
    assert list(UserSession.objects.filter(user=user).values_list("session_key", flat=True)) == [
        client.session.session_key
    ]
    client.post(reverse("logout"))
    assert not UserSession.objects.filter(user=user).exists()


def test_log_out_everywhere_signs_out_every_browser_of_the_user() -> None:
    """DELETE /api/auth/tokens with a Bearer token signs out both browsers of the user at once (their next request
    is a visitor's) and ends the token; another user's browser stays signed in."""
    user = UserFactory(username="ada")
    laptop, phone, someone_else = browser(user), browser(user), browser(UserFactory(username="bob"))
    token = token_create(user=user)[0]
    assert signed_in(laptop) and signed_in(phone)

    response = Client().delete("/api/auth/tokens", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 204
    assert (signed_in(laptop), signed_in(phone), signed_in(someone_else)) == (False, False, True)
    assert Client().get("/api/me/ratings", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_log_out_everywhere_from_a_browser_signs_out_that_one_too() -> None:
    """Asked from one browser's session (with its CSRF header), log out everywhere answers 204 and signs out that
    browser as well as the other."""
    user = UserFactory(username="ada")
    laptop, phone = browser(user, enforce_csrf_checks=True), browser(user)
    laptop.get("/api/docs")  # hands out the CSRF cookie

    response = laptop.delete("/api/auth/tokens", headers={"X-CSRFToken": laptop.cookies["csrftoken"].value})

    assert response.status_code == 204
    assert (signed_in(laptop), signed_in(phone)) == (False, False)


def test_the_account_page_button_logs_out_everywhere() -> None:
    """The "Log out everywhere" button of the account page (a POST with the CSRF token) signs out this browser and
    the others, revokes the API tokens, and says so on the log-in page it lands on; a GET changes nothing."""
    user = UserFactory()
    token = token_create(user=user)[0]
    laptop, phone = browser(user, enforce_csrf_checks=True), browser(user)
    page = laptop.get(reverse("account-data")).text
    assert f'action="{reverse("logout-everywhere")}"' in page
    assert laptop.get(reverse("logout-everywhere")).status_code == 405 and signed_in(phone)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    response = laptop.post(reverse("logout-everywhere"), {"csrfmiddlewaretoken": csrf}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert LOGGED_OUT_EVERYWHERE in response.text
    assert not signed_in(laptop) and not signed_in(phone)
    assert Client().get("/api/me/ratings", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_password_change_signs_out_the_other_browsers_and_keeps_this_one() -> None:
    """Changing the password in one browser keeps that browser signed in and signs out the user's other browsers
    (Django checks each session against a hash of the password)."""
    user = UserFactory(username="ada")
    here, elsewhere = browser(user), browser(user)
    data = {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    assert here.post(reverse("password_change"), data).status_code == 302
    assert (signed_in(here), signed_in(elsewhere)) == (True, False)


def test_a_password_reset_signs_out_every_browser() -> None:
    """Setting a new password through the emailed reset link signs out every browser that was signed in."""
    user = UserFactory(username="ada", email="ada@example.com")
    laptop, phone = browser(user), browser(user)
    resetting = Client()
    resetting.post(reverse("password_reset"), {"email": "ada@example.com"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = resetting.get(link)["Location"]
    data = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    assert resetting.post(form_url, data)["Location"] == reverse("password_reset_complete")
    assert (signed_in(laptop), signed_in(phone)) == (False, False)


def test_a_deleted_account_leaves_no_session() -> None:
    """Deleting the account (confirmed with the password) ends the sessions of its other browsers with it."""
    user = UserFactory(username="ada")
    here, elsewhere = browser(user), browser(user)
    assert here.post(reverse("account-delete"), {"password": PASSWORD, "confirm": "on"}).status_code == 302
    assert not signed_in(elsewhere)
    assert not UserSession.objects.filter(user_id=user.pk).exists()
