"""A person's events are theirs: exported with their data (the JSON and CSV downloads, the API's export) and deleted
with their account, while another person's stay."""

import csv
import io
import json

import pytest
from django.test import Client
from django.urls import reverse

from accounts.services import account_delete
from feedback.models import Action, FollowUp, Impression, ListKind
from feedback.services import follow_up_record, shown_list_record
from recommender.models import ModelVersion
from tests.factories import MovieFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def history() -> dict:
    """A list of two movies shown to ``user`` by a version, the second rated 4 from it; another person's list."""
    user, other = UserFactory(username="leaving"), UserFactory(username="staying")
    first, second = MovieFactory(title="Heat", year=1995), MovieFactory(title="=cmd()", year=None)
    version = ModelVersion.objects.create()
    shown = shown_list_record(
        user=user, kind=ListKind.HOME, movie_ids=[first.pk, second.pk], model_version_id=version.pk
    )
    follow_up_record(user=user, movie_id=second.pk, shown_list=shown, action=Action.RATED, score=4.0)
    theirs = shown_list_record(user=other, kind=ListKind.SIMILAR, movie_ids=[first.pk], model_version_id=None)
    follow_up_record(user=other, movie_id=first.pk, shown_list=theirs, action=Action.OPENED)
    return {"user": user, "other": other, "shown": shown, "version": version, "movies": (first, second)}


def test_the_json_export_holds_the_lists_shown_and_what_followed(client: Client, history: dict) -> None:
    """Each list with its kind, version, time and movies in order; each follow-up with its list and position;
    another person's events are not there."""
    client.force_login(history["user"])
    data = json.loads(client.get(reverse("my-data-json")).content)
    first, second = history["movies"]
    [shown] = data["lists_shown"]
    assert (shown["id"], shown["kind"], shown["model_version"]) == (
        str(history["shown"]),
        "home",
        history["version"].pk,
    )
    assert [(m["movie_id"], m["title"], m["position"]) for m in shown["movies"]] == [
        (first.pk, "Heat", 1),
        (second.pk, "=cmd()", 2),
    ]
    [follow_up] = data["list_follow_ups"]
    assert (follow_up["shown_list"], follow_up["movie_id"], follow_up["position"]) == (
        str(history["shown"]),
        second.pk,
        2,
    )
    assert (follow_up["action"], follow_up["rating"]) == ("rated", 4.0)


def test_the_csv_export_has_a_row_per_movie_shown_and_per_follow_up(client: Client, history: dict) -> None:
    """Rows `lists_shown` (one per movie, with the list and position) and `list_follow_ups`, formulas quoted."""
    client.force_login(history["user"])
    rows = list(csv.DictReader(io.StringIO(client.get(reverse("my-data-csv")).content.decode())))
    events = [(r["list"], r["title"], r["position"], r["action"], r["rating"]) for r in rows if r["shown_list"]]
    assert events == [
        ("lists_shown", "Heat", "1", "", ""),
        ("lists_shown", "'=cmd()", "2", "", ""),
        ("list_follow_ups", "'=cmd()", "2", "rated", "4.0"),
    ]
    assert {r["shown_list"] for r in rows if r["shown_list"]} == {str(history["shown"])}
    assert all(r["date"] for r in rows)


def test_the_api_export_is_the_same_document(client: Client, history: dict) -> None:
    """GET /api/me/export gives the same lists and follow-ups as the download."""
    client.force_login(history["user"])
    body = client.get("/api/me/export").json()
    download = json.loads(client.get(reverse("my-data-json")).content)["lists_shown"]
    without_time = [{k: v for k, v in shown.items() if k != "shown_at"} for shown in body["lists_shown"]]
    assert without_time == [{k: v for k, v in shown.items() if k != "shown_at"} for shown in download]
    assert [f["action"] for f in body["list_follow_ups"]] == ["rated"]


def test_deleting_the_account_deletes_its_events_only(history: dict) -> None:
    """The account's lists shown and follow-ups go with it; the other person's stay."""
    account_delete(user=history["user"])
    assert set(Impression.objects.values_list("user_id", flat=True)) == {history["other"].pk}
    assert set(FollowUp.objects.values_list("user_id", flat=True)) == {history["other"].pk}


def test_deleting_the_account_from_the_site_deletes_its_events(client: Client, history: dict) -> None:
    """Through the confirmed deletion page, as a person does it."""
    client.force_login(history["user"])
    response = client.post(reverse("account-delete"), {"password": "correct horse battery staple", "confirm": "on"})
    assert response.status_code == 302
    assert not Impression.objects.filter(user_id=history["user"].pk).exists()
    assert not FollowUp.objects.filter(user_id=history["user"].pk).exists()
