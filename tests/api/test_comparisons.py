"""The staff API of comparisons: start, read, promote and stop, with the permission; what is refused and why."""

import numpy as np
import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from ratings.models import Movie
from recommender.models import Comparison, ModelVersion
from tests.factories import MovieFactory, UserFactory
from tests.feedback.events import people_prefer
from tests.recommender.served_models import model_version_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager() -> Client:
    user = UserFactory(username="api-manager", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="manage_modelversion"))
    client = Client()
    client.force_login(user)
    return client


def _version(movies: list[Movie], *, seed: int, status: str) -> ModelVersion:
    rng = np.random.default_rng(seed)
    users = [UserFactory() for _ in range(3)]
    return model_version_create(
        name=f"api-cmp-{seed}",
        user_ids=[user.pk for user in users],
        user_factors=rng.normal(size=(3, 2)),
        movie_ids=[movie.pk for movie in movies],
        movie_factors=rng.normal(size=(len(movies), 2)),
        status=status,
    )


@pytest.fixture
def active(settings, tmp_path) -> ModelVersion:
    settings.MODEL_DIR = tmp_path
    return _version([MovieFactory() for _ in range(4)], seed=1, status=ModelVersion.Status.ACTIVE)


@pytest.fixture
def candidate(active: ModelVersion) -> ModelVersion:
    return _version(list(Movie.objects.order_by("pk")), seed=2, status=ModelVersion.Status.READY)


def _post(client: Client, path: str, body: object = None) -> object:
    return client.post(path, body or {}, content_type="application/json")


def test_a_comparison_started_read_and_promoted_through_the_api(manager: Client, active, candidate) -> None:
    started = _post(manager, "/api/comparisons", {"candidate": candidate.pk, "share": 0.25})
    assert started.status_code == 201
    body = started.json()
    assert (body["version_a"], body["version_b"], body["share"], body["status"]) == (
        active.pk,
        candidate.pk,
        0.25,
        "running",
    )
    assert body["openings"]["verdict"] == "continue" and body["people"] == 0
    assert _post(manager, f"/api/comparisons/{body['id']}/promote").status_code == 409  # nothing won

    comparison = Comparison.objects.get()
    people_prefer(comparison_id=comparison.pk, winner_id=candidate.pk, loser_id=active.pk, people=30)
    read = manager.get(f"/api/comparisons/{comparison.pk}").json()
    assert read["people"] == 30 and read["openings"]["prefer_candidate"] == 30
    assert read["openings"]["verdict"] == "b_wins" and read["openings"]["interval"][0] > 0.5
    assert read["likes"]["verdict"] == "continue"
    assert [c["id"] for c in manager.get("/api/comparisons").json()] == [comparison.pk]

    promoted = _post(manager, f"/api/comparisons/{comparison.pk}/promote")
    assert promoted.status_code == 200 and promoted.json()["id"] == candidate.pk
    assert ModelVersion.objects.active().get() == candidate
    assert _post(manager, f"/api/comparisons/{comparison.pk}/stop").status_code == 409  # ended


@pytest.mark.parametrize(
    "body", [{"candidate": 1, "share": 0}, {"candidate": 1, "share": 1.5}, {"candidate": "1", "share": 0.5}, {}]
)
def test_a_bad_request_is_a_422_and_starts_nothing(manager: Client, active, body: dict) -> None:
    assert _post(manager, "/api/comparisons", body).status_code == 422
    assert not Comparison.objects.exists()


def test_what_cannot_be_compared_is_a_409_with_the_reason(manager: Client, active, candidate) -> None:
    refused = _post(manager, "/api/comparisons", {"candidate": active.pk, "share": 0.5})
    assert refused.status_code == 409 and "only a ready version" in refused.json()["detail"]
    assert _post(manager, "/api/comparisons", {"candidate": 10**9, "share": 0.5}).status_code == 404
    assert manager.get("/api/comparisons/12345").status_code == 404


def test_staff_without_the_permission_read_but_do_not_change(client: Client, manager: Client, candidate) -> None:
    started = _post(manager, "/api/comparisons", {"candidate": candidate.pk, "share": 0.5}).json()
    client.force_login(UserFactory(username="api-viewer", is_staff=True))
    assert client.get(f"/api/comparisons/{started['id']}").status_code == 200
    assert _post(client, f"/api/comparisons/{started['id']}/stop").status_code == 403
    client.force_login(UserFactory(username="api-reader"))
    assert client.get("/api/comparisons").status_code == 403
    assert Comparison.objects.get().status == Comparison.Status.RUNNING
