"""Your data and account deletion (confirmed with the password, everything owned goes with the account), the
log-out message, and the top bar's log-in link that comes back to the page."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.urls import reverse

from accounts.data_forms import CONFIRM_REQUIRED, WRONG_PASSWORD
from accounts.data_views import ACCOUNT_DELETED
from accounts.session_views import LOGGED_OUT
from api.models import ApiToken
from api.services import token_create
from ratings.models import Mark, MovieMark, Profile, Rating
from ratings.selectors import ratings_frame
from ratings.services.marks import movie_mark_set
from tests.factories import MovieFactory, ProfileFactory, RatingFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # the factories' password


@pytest.fixture
def member() -> object:
    """A user with a rating, a mark, a profile and an API token, beside another user who must keep theirs."""
    user = UserFactory(username="leaving")
    ProfileFactory(user=user)
    RatingFactory(user=user)
    movie_mark_set(user=user, movie=MovieFactory(), mark=Mark.WATCHLIST)
    token_create(user=user)
    RatingFactory(user=UserFactory(username="staying"))
    return user


def test_the_data_page_links_the_exports_and_the_deletion(client: Client, member: object) -> None:
    """Your data: CSV and JSON downloads, the password change and the deletion."""
    client.force_login(member)
    text = client.get(reverse("account-data")).text
    for name in ("my-data-csv", "my-data-json", "password_change", "account-delete"):
        assert f'href="{reverse(name)}"' in text


def test_deleting_with_the_password_removes_the_account_and_all_it_owns(client: Client, member: object) -> None:
    """The right password and the box ticked: the account, its ratings, marks, profile and tokens are gone, the
    session is over, the home page says so, and the next retrain's read of the ratings no longer has them."""
    client.force_login(member)
    response = client.post(reverse("account-delete"), {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert not get_user_model().objects.filter(username="leaving").exists()
    assert not Rating.objects.filter(user_id=member.pk).exists()
    assert not MovieMark.objects.exists() and not Profile.objects.exists() and not ApiToken.objects.exists()
    assert set(ratings_frame()["user"]) == {get_user_model().objects.get(username="staying").pk}
    home = client.get(response["Location"])
    assert ACCOUNT_DELETED.format(username="leaving") in home.text
    assert not home.wsgi_request.user.is_authenticated


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"password": "wrong", "confirm": "on"}, WRONG_PASSWORD),
        ({"password": PASSWORD}, CONFIRM_REQUIRED),
        ({"confirm": "on"}, "This field is required."),
        ({"password": "<script>alert(1)</script>", "confirm": "on"}, WRONG_PASSWORD),
        ({"password": "x" * 5000, "confirm": "on"}, "Ensure this value has at most 4096 characters"),
        ({"password": "\x00", "confirm": "on"}, "Null characters are not allowed."),
    ],
)
def test_a_deletion_without_the_password_and_the_tick_is_refused(
    client: Client, member: object, data: dict, message: str
) -> None:
    """Wrong or missing password, box not ticked, hostile input: 422, the form says why, nothing is deleted."""
    client.force_login(member)
    response = client.post(reverse("account-delete"), data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert get_user_model().objects.filter(username="leaving").exists()
    assert Rating.objects.filter(user=member).exists()


@override_settings(AXES_FAILURE_LIMIT=2)
def test_guessing_the_password_at_the_deletion_counts_as_failed_logins(client: Client, member: object) -> None:
    """django-axes counts each wrong password: a borrowed session cannot be used to guess it."""
    client.force_login(member)
    client.post(reverse("account-delete"), {"password": "guess one", "confirm": "on"})
    assert AccessAttempt.objects.filter(username="leaving").get().failures_since_start == 1


def test_the_deletion_needs_a_login_and_the_csrf_token(member: object) -> None:
    """Anonymous visitors go to log in; a post without the CSRF token is refused; nothing is deleted."""
    client = Client(enforce_csrf_checks=True)
    assert client.get(reverse("account-delete"))["Location"].startswith("/accounts/login/")
    client.force_login(member)
    assert client.post(reverse("account-delete"), {"password": PASSWORD, "confirm": "on"}).status_code == 403
    assert get_user_model().objects.filter(username="leaving").exists()


def test_logging_out_says_so(client: Client, member: object) -> None:
    """The log-out button ends the session and the home page it lands on says so."""
    client.force_login(member)
    response = client.post(reverse("logout"), follow=True)
    assert LOGGED_OUT in response.text
    assert not response.wsgi_request.user.is_authenticated


def test_the_top_bars_log_in_comes_back_to_the_page(client: Client) -> None:
    """On any page, the top bar's log-in link carries the page as next, and logging in returns there."""
    movie = MovieFactory(title="Heat")
    page = reverse("movie-detail", args=[movie.pk])
    text = client.get(page, {"from": "list"}).text
    assert f'href="/accounts/login/?next=/movies/{movie.pk}/%3Ffrom%3Dlist"' in text
    UserFactory(username="returning")
    response = client.post(
        f"/accounts/login/?next={page}", {"username": "returning", "password": PASSWORD, "next": page}
    )
    assert response["Location"] == page
    client.logout()
    assert '<a href="/accounts/login/" aria-current="page">' in client.get(reverse("login")).text  # not itself
