"""The hostile corpus (tests/reliability/test_bad_input.py) at the forms and addresses of issue 14: marks, My
ratings' filters, the onboarding genres and search, account deletion, and the API's watchlist, hidden and account
bodies. Refused with a 4xx and a message (or, for GET filters, reported and ignored), nothing stored or deleted,
nothing echoed raw, never a 5xx."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from api.services import token_create
from ratings.models import MovieMark, Rating
from tests.factories import GenreFactory, MovieFactory, RatingFactory, UserFactory
from tests.reliability.test_bad_input import LONG, MARKUP, ODD, SQL, assert_escaped, assert_json_refusal

pytestmark = pytest.mark.django_db

HOSTILE = [*MARKUP, *SQL, *ODD]
PASSWORD = "correct horse battery staple"  # the factories' password


@pytest.fixture
def user() -> object:
    return UserFactory(username="mallory")


@pytest.fixture
def movie() -> object:
    return MovieFactory(title="Fargo", genres=[GenreFactory(name="Crime", slug="crime")])


@pytest.fixture
def site(user: object) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.fixture
def api(user: object) -> Client:
    return Client(raise_request_exception=False, headers={"Authorization": f"Bearer {token_create(user=user)[0]}"})


def test_hostile_marks_in_the_address_are_404s(site: Client, movie: object) -> None:
    """Any mark but watchlist or hidden, plain or htmx: a 404 with a message, never a mark stored."""
    for mark in [*MARKUP, *SQL, "seen", "HIDDEN", "%00"]:
        for name in ("mark-set", "mark-delete", "recommendation-restore"):
            url = reverse(name, args=[movie.pk, "x"]).replace("/x/", f"/{mark}/")
            response = site.post(url, {"next": "/"}, headers={"HX-Request": "true"})
            assert response.status_code == 404, (name, mark, response.status_code)
            assert_escaped(response, [mark])
    assert not MovieMark.objects.exists()


def test_a_hostile_next_never_leaves_the_site(site: Client, movie: object) -> None:
    """A mark's plain form post with a hostile "next" returns to the movie's page."""
    for next_url in ["https://evil.example/", "//evil.example/", "javascript:alert(1)", "home", *MARKUP]:
        response = site.post(reverse("mark-set", args=[movie.pk, "watchlist"]), {"next": next_url})
        assert response["Location"] == reverse("movie-detail", args=[movie.pk]), next_url


def test_hostile_my_ratings_filters_are_reported_and_ignored(site: Client, user: object, movie: object) -> None:
    """order, genre and page of My ratings: the page answers 200 with the rating, the bad value never raw."""
    RatingFactory(user=user, movie=movie)
    for value in HOSTILE:
        for field in ("order", "genre", "page"):
            response = site.get(reverse("my-ratings"), {field: value})
            assert response.status_code == 200, (field, value)
            assert "Fargo" in response.content.decode()
            assert_escaped(response, [value])


def test_hostile_onboarding_genres_and_searches(site: Client, movie: object) -> None:
    """The genre form refuses every hostile value (422, its message) and keeps the earlier choice; the onboarding
    search shows a hostile query back escaped, if at all."""
    site.post(reverse("onboarding-genres"), {"genres": ["crime"]})
    for value in HOSTILE:
        response = site.post(reverse("onboarding-genres"), {"genres": [value]}, headers={"HX-Request": "true"})
        assert response.status_code in {200, 422}, value
        if value.strip():
            assert response.status_code == 422 and 'class="form-error"' in response.content.decode(), value
        assert_escaped(response, [value])
        found = site.get(reverse("onboarding-search"), {"q": value}, headers={"HX-Request": "true"})
        assert found.status_code == 200, value
        assert_escaped(found, [value])
    assert site.session["onboarding_genres"] in (["crime"], [])


def test_hostile_passwords_never_delete_the_account(site: Client, user: object) -> None:
    """Every hostile password at the deletion form: 422, a message, the account still there."""
    for value in [*HOSTILE, LONG]:
        response = site.post(reverse("account-delete"), {"password": value, "confirm": "on"})
        # Past a few wrong passwords django-axes locks the account out (its lockout answer), as it should.
        assert response.status_code in {403, 422, 429}, value
        assert_escaped(response, [value])
    assert get_user_model().objects.filter(pk=user.pk).exists()


def test_hostile_api_bodies_and_ids_at_the_new_endpoints(api: Client, user: object, movie: object) -> None:
    """Watchlist and hidden ids, export and deletion: JSON refusals with a message; nothing stored or deleted."""
    for path in ("watchlist", "hidden"):
        for movie_id in ["0", "-1", "9" * 30, "abc", "1.5", "%00"]:
            assert_json_refusal(api.put(f"/api/me/{path}/{movie_id}"), {404, 422})
        assert_json_refusal(api.get(f"/api/me/{path}", {"page": "<script>"}), {422})
    for body in [{"password": value} for value in HOSTILE] + [{"password": None}, {"password": ["x"]}, "[]", "{"]:
        response = api.post("/api/me/delete", body, content_type="application/json")
        assert_json_refusal(response, {400, 403, 422, 429})
    assert not MovieMark.objects.exists()
    assert get_user_model().objects.filter(pk=user.pk).exists()
    assert Rating.objects.count() == 0
