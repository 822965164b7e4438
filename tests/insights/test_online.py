"""The Model pages show how people responded to each version's lists beside its offline metrics: the version page
by day (a chart, its caption and a table), the history page per version; and GET /api/models/{id}/online gives
the same figures to staff alone."""

import datetime as dt
import html

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.auth import STAFF_ONLY
from api.services import token_create
from feedback.models import Action
from recommender.models import ModelVersion
from tests.api.conftest import bearer
from tests.factories import UserFactory
from tests.feedback.events import follow, list_show

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client: Client) -> Client:
    client.force_login(UserFactory(username="operator", is_staff=True))
    return client


@pytest.fixture
def responded(written_model) -> dict:
    """Yesterday four lists of the version's first 12 movies: one opened and rated 5 (liked), one hidden. Today one
    list, nothing done. The version knows 55 movies; 12 of them were shown."""
    version, movies = written_model.version, written_model.movies
    user, today = UserFactory(username="viewer"), timezone.now().date()
    yesterday = today - dt.timedelta(days=1)
    ids = [m.pk for m in movies[:12]]
    lists = [list_show(user=user, movie_ids=ids, version_id=version.pk, on=yesterday) for _ in range(4)]
    follow(user=user, shown=lists[0], movie_id=ids[1], action=Action.OPENED)
    follow(user=user, shown=lists[0], movie_id=ids[1], action=Action.RATED, score=5.0)
    follow(user=user, shown=lists[1], movie_id=ids[0], action=Action.HIDDEN)
    list_show(user=user, movie_ids=ids[:5], version_id=version.pk, on=today)
    return {"version": version, "today": today, "yesterday": yesterday}


def test_the_version_page_shows_the_online_metrics_beside_the_offline_ones(staff_client: Client, responded) -> None:
    """Click-through and liked at 10 over the period among the version's metrics; the section's caption gives
    every measure, the chart a bar per day with its tooltip, the table a row per day."""
    text = html.unescape(staff_client.get(reverse("insights:version", args=[responded["version"].pk])).text)
    assert "Online: click-through at 10</dt><dd>20.0% of 5 lists shown" in text
    assert "Online: liked at 10</dt><dd>20.0%" in text
    assert f"Over 2 days from {responded['yesterday']:%Y-%m-%d} to {responded['today']:%Y-%m-%d} (UTC)" in text
    assert "Click-through at 10 20.0%; Rated from the list at 10 20.0%" in text
    assert "Not interested at 10 20.0%; Coverage of the catalogue 21.8%" in text
    assert f"<title>{responded['yesterday']:%Y-%m-%d}: 25.0% of 4 lists</title>" in text
    assert f'<th scope="row">{responded["today"]:%Y-%m-%d}</th><td class="num">1</td><td class="num">0.0%</td>' in text


def test_a_version_nobody_was_shown_says_so(staff_client: Client, written_model) -> None:
    """No lists: a dash for the rates, and a caption saying that no list was shown."""
    text = html.unescape(staff_client.get(reverse("insights:version", args=[written_model.version.pk])).text)
    assert "Online: click-through at 10</dt><dd>\N{EN DASH} of 0 lists shown" in text
    assert "No list of this version was shown to a signed-in person in the days kept." in text


def test_the_history_page_gives_each_version_its_lists_and_rates(staff_client: Client, responded) -> None:
    """The versions table: lists shown, click-through and liked at 10 of the version; 0 and dashes for another."""
    ModelVersion.objects.create(status=ModelVersion.Status.READY)
    text = staff_client.get(reverse("insights:history")).text
    assert '<td class="num">5</td>\n      <td class="num">20.0%</td>\n      <td class="num">20.0%</td>' in text
    dash = '<td class="num">\N{EN DASH}</td>'
    assert f'<td class="num">0</td>{dash}{dash}' in text


def test_the_api_gives_staff_the_same_figures(client: Client, responded) -> None:
    """Each day's counts and rates, and the period's, with the catalogue coverage counts against."""
    staff = bearer(token_create(user=UserFactory(username="op", is_staff=True))[0])
    body = client.get(f"/api/models/{responded['version'].pk}/online", headers=staff).json()
    assert [day["day"] for day in body["days"]] == [f"{responded['yesterday']}", f"{responded['today']}"]
    yesterday = body["days"][0]
    assert (yesterday["lists"], yesterday["opened"], yesterday["liked"], yesterday["hidden"]) == (4, 1, 1, 1)
    assert (yesterday["click_through"], yesterday["hidden_share"], yesterday["coverage"]) == (0.25, 0.25, 12 / 55)
    assert (body["total"]["lists"], body["total"]["click_through"], body["catalogue"]) == (5, 0.2, 55)
    last_day = client.get(f"/api/models/{responded['version'].pk}/online", {"days": 1}, headers=staff).json()
    assert [day["day"] for day in last_day["days"]] == [f"{responded['today']}"]


def test_the_api_metrics_are_for_staff_only(client: Client, responded) -> None:
    """Anonymous: 401; signed in but not staff: 403 with the reason; an unknown version: 404; a bad `days`: 422."""
    url = f"/api/models/{responded['version'].pk}/online"
    assert client.get(url).status_code == 401
    member = bearer(token_create(user=UserFactory(username="member"))[0])
    refused = client.get(url, headers=member)
    assert refused.status_code == 403 and refused.json()["detail"] == STAFF_ONLY
    staff = bearer(token_create(user=UserFactory(username="op", is_staff=True))[0])
    assert client.get("/api/models/999999/online", headers=staff).status_code == 404
    assert client.get(url, {"days": 0}, headers=staff).status_code == 422
