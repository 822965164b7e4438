"""The Model pages' comparison: started from the history page, observed on its own page (people, the verdict of each
signal, the chart), promoted once the candidate has won, or stopped; bad input and other staff are refused."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from insights.forms import CANDIDATE_NOT_READY, SHARE_INVALID
from recommender.models import Comparison, ModelVersion
from recommender.services.comparisons import ALREADY_RUNNING
from tests.factories import UserFactory
from tests.feedback.events import people_prefer
from tests.insights.conftest import write_model_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager() -> Client:
    user = UserFactory(username="manager", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="manage_modelversion"))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def candidate(written_model) -> ModelVersion:
    return write_model_version(model=written_model.model, status=ModelVersion.Status.READY, metrics={"rmse": 0.95})


def _start(client: Client, candidate: ModelVersion, share: object = 50) -> object:
    return client.post(reverse("insights:comparison-start"), {"candidate": candidate.pk, "share": share}, follow=True)


def _people_prefer_candidate(comparison: Comparison, people: int) -> None:
    people_prefer(
        comparison_id=comparison.pk, winner_id=comparison.version_b_id, loser_id=comparison.version_a_id, people=people
    )


def test_a_comparison_is_started_observed_and_promoted_from_the_model_pages(
    manager: Client, written_model, candidate: ModelVersion
) -> None:
    history = manager.get(reverse("insights:history")).text
    assert f"Compare with v{written_model.version.pk}" in history

    page = _start(manager, candidate)
    comparison = Comparison.objects.get()
    assert (comparison.version_a, comparison.version_b, comparison.share) == (written_model.version, candidate, 0.5)
    assert page.redirect_chain[-1][0] == reverse("insights:comparison", args=[comparison.pk])
    text = page.text
    assert f"Comparison {comparison.pk} started: 50% of signed-in people" in text
    assert "not clear yet" in text and "<svg" in text
    assert 'disabled aria-describedby="promote-help"' in text  # nothing won yet

    _people_prefer_candidate(comparison, people=30)
    text = manager.get(reverse("insights:comparison", args=[comparison.pk])).text
    assert '<dd id="comparison-people">30</dd>' in text
    assert "the candidate wins" in text and "promote-help" not in text

    promoted = manager.post(reverse("insights:comparison-promote", args=[comparison.pk]), follow=True).text
    assert f"v{candidate.pk} won comparison {comparison.pk} on openings" in promoted
    comparison.refresh_from_db()
    assert comparison.status == Comparison.Status.PROMOTED
    assert ModelVersion.objects.active().get() == candidate


def test_a_comparison_can_be_stopped_and_then_neither_stopped_nor_promoted_again(
    manager: Client, written_model, candidate: ModelVersion
) -> None:
    _start(manager, candidate)
    comparison = Comparison.objects.get()
    stop = reverse("insights:comparison-stop", args=[comparison.pk])
    assert "The comparison is stopped" in manager.post(stop, follow=True).text
    assert "has ended" in manager.post(stop, follow=True).text
    promote = manager.post(reverse("insights:comparison-promote", args=[comparison.pk]), follow=True).text
    assert "has ended" in promote
    comparison.refresh_from_db()
    assert comparison.status == Comparison.Status.STOPPED and "stopped by manager at 0 people" in comparison.ended_note
    assert ModelVersion.objects.active().get() == written_model.version


@pytest.mark.parametrize("share", [0, 101, "half", ""])
def test_a_share_that_is_not_a_percentage_is_refused_with_the_reason(
    manager: Client, written_model, candidate: ModelVersion, share: object
) -> None:
    assert SHARE_INVALID in _start(manager, candidate, share).text
    assert not Comparison.objects.exists()


def test_only_a_ready_version_can_be_the_candidate_and_only_one_runs(
    manager: Client, written_model, candidate: ModelVersion
) -> None:
    assert CANDIDATE_NOT_READY in _start(manager, written_model.version).text
    _start(manager, candidate)
    running = Comparison.objects.get()
    second = write_model_version(model=written_model.model, status=ModelVersion.Status.READY, metrics={"rmse": 0.9})
    assert ALREADY_RUNNING.format(comparison=running.pk) in _start(manager, second).text
    assert Comparison.objects.count() == 1


def test_staff_without_the_permission_may_look_but_not_start_stop_or_promote(
    client: Client, manager: Client, written_model, candidate: ModelVersion
) -> None:
    _start(manager, candidate)
    comparison = Comparison.objects.get()
    client.force_login(UserFactory(username="viewer", is_staff=True))
    page = client.get(reverse("insights:comparison", args=[comparison.pk])).text
    assert "Stop the comparison" not in page and "Compare with" not in client.get(reverse("insights:history")).text
    for name in ("comparison-stop", "comparison-promote"):
        assert client.post(reverse(f"insights:{name}", args=[comparison.pk])).status_code == 403
    assert client.post(reverse("insights:comparison-start"), {"candidate": candidate.pk, "share": 5}).status_code == 403
    client.force_login(UserFactory(username="reader"))
    assert client.get(reverse("insights:comparison", args=[comparison.pk])).status_code == 403
    comparison.refresh_from_db()
    assert comparison.status == Comparison.Status.RUNNING
