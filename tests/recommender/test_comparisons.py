"""The online comparison of the active version with a candidate: who sees the interleaved list and how it is recorded,
how people's openings and likes become the verdict, and what may start, stop and promote one (with the registry's
side: activation ends it, a retrain's version is held while it runs, prune keeps its candidate)."""

import uuid

import numpy as np
import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from feedback.metrics import online_metrics
from feedback.models import FollowUp, Impression, ListKind
from ratings.models import Movie, Rating
from recommender.comparison_results import comparison_result
from recommender.models import Comparison, ModelVersion
from recommender.services.comparisons import (
    ALREADY_RUNNING,
    NO_ACTIVE_VERSION,
    ComparisonError,
    comparison_judge,
    comparison_promote,
    comparison_start,
    comparison_stop,
)
from recommender.services.outcomes import OutcomeStatus
from recommender.services.recommendations import recommendations_for_user
from recommender.services.registry import (
    COMPARISON_ENDED_BY_ACTIVATION,
    PROMOTION_HELD_COMPARING,
    version_activate,
    version_promote,
    versions_prune,
)
from recsys.comparison import Verdict
from recsys.interleaving import interleaving_assigned
from tests.factories import GenreFactory, MovieFactory, RatingFactory, UserFactory
from tests.feedback.events import people_prefer
from tests.recommender.served_models import model_version_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_serving")]

N_MOVIES = 30


@pytest.fixture
def catalogue() -> list[Movie]:
    drama = GenreFactory(name="Drama", slug="drama")
    movies = [MovieFactory(title=f"Film {index:02d}", genres=[drama]) for index in range(N_MOVIES)]
    for rater in range(6):
        user = UserFactory(username=f"rater{rater}")
        for index, movie in enumerate(movies):
            if (index + rater) % 3:
                RatingFactory(user=user, movie=movie, score=float(1 + (index * 7 + rater) % 5))
    return movies


def _version(catalogue: list[Movie], *, seed: int, status: str) -> ModelVersion:
    rng = np.random.default_rng(seed)
    user_ids = sorted(Rating.objects.values_list("user_id", flat=True).distinct())
    version = model_version_create(
        name=f"cmp-{uuid.uuid4().hex}",
        user_ids=user_ids,
        user_factors=rng.normal(size=(len(user_ids), 3)),
        movie_ids=[movie.pk for movie in catalogue],
        movie_factors=rng.normal(size=(len(catalogue), 3)),
        status=status,
    )
    version.metrics = {"rmse": 0.9}
    version.save(update_fields=["metrics"])
    return version


@pytest.fixture
def active(catalogue: list[Movie]) -> ModelVersion:
    return _version(catalogue, seed=1, status=ModelVersion.Status.ACTIVE)


@pytest.fixture
def candidate(catalogue: list[Movie]) -> ModelVersion:
    return _version(catalogue, seed=2, status=ModelVersion.Status.READY)


def _person(catalogue: list[Movie], name: str) -> User:
    user = UserFactory(username=name)
    for movie in catalogue[:3]:
        RatingFactory(user=user, movie=movie, score=5.0)
    return user


def _alone(version: ModelVersion, user: User) -> list[int]:
    """The version's own list for ``user``, as the site shows it with that version active and no comparison."""
    version_activate(version=version)
    return [item.movie.pk for item in recommendations_for_user(user=user, limit=N_MOVIES).items]


def test_a_person_in_the_comparison_sees_one_list_drafted_from_both_and_it_is_recorded_so(
    client: Client, catalogue: list[Movie], active: ModelVersion, candidate: ModelVersion
) -> None:
    """Every movie comes from one version's list, in that list's order; both versions have movies in it; the list
    is recorded as interleaved with each movie's version, and a reload shows the same list."""
    person = _person(catalogue, "person")
    list_b, list_a = _alone(candidate, person), _alone(active, person)  # active last: it stays so
    comparison_start(candidate=candidate, share=1.0, started_by=None)
    client.force_login(person)

    client.get(reverse("home"))
    rows = list(Impression.objects.filter(user=person).order_by("position"))
    assert {row.kind for row in rows} == {ListKind.INTERLEAVED}
    assert {row.comparison_id for row in rows} == {Comparison.objects.get().pk}
    teams = {
        version.pk: [row.movie_id for row in rows if row.model_version_id == version.pk]
        for version in (active, candidate)
    }
    assert teams[active.pk] and teams[candidate.pk]
    assert len(teams[active.pk]) + len(teams[candidate.pk]) == len(rows)
    for version, own in ((active, list_a), (candidate, list_b)):
        positions = [own.index(movie) for movie in teams[version.pk]]
        assert positions == sorted(positions)  # a team's movies in its own list's order
    first = [row.movie_id for row in rows]
    client.get(reverse("home"))
    again = Impression.objects.filter(user=person).exclude(shown_id=rows[0].shown_id).order_by("position")
    assert [row.movie_id for row in again] == first


def test_the_versions_own_metrics_leave_the_interleaved_lists_out(
    client: Client, catalogue: list[Movie], active: ModelVersion, candidate: ModelVersion
) -> None:
    comparison_start(candidate=candidate, share=1.0, started_by=None)
    client.force_login(_person(catalogue, "person"))
    client.get(reverse("home"))
    assert Impression.objects.filter(kind=ListKind.INTERLEAVED).exists()
    assert online_metrics(version_id=active.pk, catalogue=N_MOVIES).total.lists == 0


def test_people_outside_the_share_see_the_active_versions_list(
    client: Client, catalogue: list[Movie], active: ModelVersion, candidate: ModelVersion
) -> None:
    comparison = comparison_start(candidate=candidate, share=0.5, started_by=None)
    people = [_person(catalogue, f"p{index}") for index in range(8)]
    inside = [p for p in people if interleaving_assigned(comparison_id=comparison.pk, user_id=p.pk, share=0.5)]
    outside = [p for p in people if p not in inside]
    assert inside and outside  # 8 people at a half: all on one side has probability 1/128
    for person in (inside[0], outside[0]):
        client.force_login(person)
        client.get(reverse("home"))
    assert set(Impression.objects.filter(user=inside[0]).values_list("kind", flat=True)) == {ListKind.INTERLEAVED}
    outside_rows = Impression.objects.filter(user=outside[0])
    assert set(outside_rows.values_list("kind", flat=True)) == {ListKind.HOME}
    assert set(outside_rows.values_list("model_version_id", flat=True)) == {active.pk}


def test_the_api_list_of_a_person_in_the_comparison_is_interleaved_too(
    client: Client, catalogue: list[Movie], active: ModelVersion, candidate: ModelVersion
) -> None:
    comparison_start(candidate=candidate, share=1.0, started_by=None)
    client.force_login(_person(catalogue, "person"))
    answer = client.get("/api/me/recommendations", {"n": 10}).json()
    rows = Impression.objects.filter(shown_id=answer["shown_list"])
    assert rows.count() == len(answer["items"]) == 10
    assert set(rows.values_list("kind", flat=True)) == {ListKind.INTERLEAVED}
    assert set(rows.values_list("model_version_id", flat=True)) == {active.pk, candidate.pk}


def test_opening_a_candidates_movie_from_the_list_credits_the_candidate(
    client: Client, catalogue: list[Movie], active: ModelVersion, candidate: ModelVersion
) -> None:
    comparison = comparison_start(candidate=candidate, share=1.0, started_by=None)
    person = _person(catalogue, "person")
    client.force_login(person)
    client.get(reverse("home"))
    b_movie = Impression.objects.filter(user=person, model_version=candidate).order_by("position").first()
    assert b_movie is not None
    client.get(reverse("movie-detail", args=[b_movie.movie_id]), {"shown_list": str(b_movie.shown_id)})
    assert FollowUp.objects.get().comparison_id == comparison.pk
    result = comparison_result(comparison=comparison)
    assert (result.users, result.clicks.summary.prefer_b, result.clicks.summary.prefer_a) == (1, 1, 0)
    assert result.likes.summary.ties == 1  # shown, nothing liked


def _people_prefer(
    comparison: Comparison, winner: ModelVersion, loser: ModelVersion, *, people: int, score: float
) -> None:
    people_prefer(comparison_id=comparison.pk, winner_id=winner.pk, loser_id=loser.pk, people=people, score=score)


def test_promoting_needs_a_win_and_then_activates_the_candidate_and_ends_the_comparison(
    catalogue: list[Movie], active: ModelVersion, candidate: ModelVersion
) -> None:
    comparison = comparison_start(candidate=candidate, share=1.0, started_by=None)
    _people_prefer(comparison, candidate, active, people=3, score=5.0)
    early = comparison_promote(comparison=comparison)
    assert early.status == OutcomeStatus.REFUSED and "has not won yet" in early.message
    assert Comparison.objects.get().status == Comparison.Status.RUNNING

    _people_prefer(comparison, candidate, active, people=40, score=5.0)
    result = comparison_result(comparison=comparison)
    assert result.clicks.verdict == result.likes.verdict == Verdict.B_WINS
    low, high = result.clicks.interval_b
    assert 0.5 < low < high <= 1.0
    outcome = comparison_promote(comparison=comparison)
    assert outcome.status == OutcomeStatus.ACTIVATED
    comparison.refresh_from_db()
    assert comparison.status == Comparison.Status.PROMOTED and "43 people" in comparison.ended_note
    assert ModelVersion.objects.active().get() == candidate


def test_when_the_active_version_wins_it_cannot_be_promoted_and_stopping_records_why(
    catalogue: list[Movie], active: ModelVersion, candidate: ModelVersion
) -> None:
    comparison = comparison_start(candidate=candidate, share=1.0, started_by=None)
    _people_prefer(comparison, active, candidate, people=40, score=4.0)
    assert comparison_result(comparison=comparison).likes.verdict == Verdict.A_WINS
    assert comparison_promote(comparison=comparison).status == OutcomeStatus.REFUSED
    stopped = comparison_stop(comparison=comparison, stopped_by=UserFactory(username="operator"))
    assert stopped.status == Comparison.Status.STOPPED and "stopped by operator at 40 people" in stopped.ended_note
    assert ModelVersion.objects.active().get() == active
    with pytest.raises(ComparisonError, match="has ended"):
        comparison_stop(comparison=comparison)


def test_what_cannot_be_compared_is_refused_with_the_reason(
    catalogue: list[Movie], active: ModelVersion, candidate: ModelVersion
) -> None:
    with pytest.raises(ComparisonError, match="only a ready version"):
        comparison_start(candidate=active, share=1.0, started_by=None)
    for share in (0.0, -0.1, 1.5):
        with pytest.raises(ComparisonError, match="more than 0% and at most 100%"):
            comparison_start(candidate=candidate, share=share, started_by=None)
    running = comparison_start(candidate=candidate, share=0.2, started_by=None)
    other = _version(catalogue, seed=3, status=ModelVersion.Status.READY)
    with pytest.raises(ComparisonError, match=ALREADY_RUNNING.format(comparison=running.pk)):
        comparison_start(candidate=other, share=0.2, started_by=None)
    assert Comparison.objects.count() == 1


def test_a_candidate_whose_files_are_damaged_is_refused(
    catalogue: list[Movie], active: ModelVersion, candidate: ModelVersion, settings
) -> None:
    damaged = next(iter(candidate.artifact_sha256))
    path = settings.MODEL_DIR / candidate.artifact_dir / damaged
    path.write_bytes(path.read_bytes() + b"!")
    with pytest.raises(ComparisonError, match="cannot be served"):
        comparison_start(candidate=candidate, share=1.0, started_by=None)
    assert not Comparison.objects.exists()


def test_without_an_active_version_there_is_nothing_to_compare_with(catalogue: list[Movie]) -> None:
    ready = _version(catalogue, seed=2, status=ModelVersion.Status.READY)
    with pytest.raises(ComparisonError, match=NO_ACTIVE_VERSION):
        comparison_start(candidate=ready, share=1.0, started_by=None)


def test_activating_another_version_ends_the_comparison(
    catalogue: list[Movie], active: ModelVersion, candidate: ModelVersion
) -> None:
    comparison = comparison_start(candidate=candidate, share=1.0, started_by=None)
    third = _version(catalogue, seed=3, status=ModelVersion.Status.READY)
    version_activate(version=third)
    comparison.refresh_from_db()
    assert comparison.status == Comparison.Status.STOPPED
    assert comparison.ended_note == COMPARISON_ENDED_BY_ACTIVATION.format(version=third.pk)


def test_while_a_comparison_runs_a_retrained_version_is_kept_ready(
    catalogue: list[Movie], active: ModelVersion, candidate: ModelVersion
) -> None:
    comparison = comparison_start(candidate=candidate, share=1.0, started_by=None)
    retrained = _version(catalogue, seed=4, status=ModelVersion.Status.READY)
    assert version_promote(version=retrained) == (False, PROMOTION_HELD_COMPARING.format(comparison=comparison.pk))
    retrained.refresh_from_db()
    assert retrained.status == ModelVersion.Status.READY
    assert ModelVersion.objects.active().get() == active


def test_the_gate_can_ask_an_online_win_of_a_new_algorithm(
    catalogue: list[Movie], active: ModelVersion, settings
) -> None:
    retrained = _version(catalogue, seed=4, status=ModelVersion.Status.READY)
    retrained.algorithm = ModelVersion.Algorithm.NN
    retrained.save(update_fields=["algorithm"])
    settings.RECOMMENDER_PROMOTION_ONLINE_WIN = True
    activated, reason = version_promote(version=retrained)
    assert not activated and "asks an online win" in reason
    settings.RECOMMENDER_PROMOTION_ONLINE_WIN = False
    assert version_promote(version=retrained) == (True, "")


def test_prune_keeps_the_candidate_of_a_running_comparison(
    catalogue: list[Movie], active: ModelVersion, candidate: ModelVersion
) -> None:
    comparison_start(candidate=candidate, share=1.0, started_by=None)
    newer = [_version(catalogue, seed=10 + index, status=ModelVersion.Status.READY) for index in range(2)]
    pruned = versions_prune(keep=0)
    assert set(pruned) == {version.pk for version in newer}
    assert ModelVersion.objects.filter(pk=candidate.pk).exists()


def test_the_first_verdict_stands_whatever_the_people_after_it_do(
    catalogue: list[Movie], active: ModelVersion, candidate: ModelVersion
) -> None:
    """Each reading is one of the test's looks: the first verdict reached is recorded and stays the signal's, with
    the counts it was reached at, even when later people would reverse it (the error rate is the first stop's)."""
    comparison = comparison_start(candidate=candidate, share=1.0, started_by=None)
    _people_prefer(comparison, candidate, active, people=3, score=5.0)
    assert comparison_judge(comparison=comparison).clicks.verdict == Verdict.CONTINUE
    assert Comparison.objects.get().verdicts == {}  # nothing reached, nothing recorded
    _people_prefer(comparison, candidate, active, people=40, score=5.0)
    assert comparison_judge(comparison=comparison).clicks.verdict == Verdict.B_WINS
    _people_prefer(comparison, active, candidate, people=120, score=5.0)
    later = comparison_judge(comparison=Comparison.objects.get())
    assert later.clicks.summary.verdict == Verdict.A_WINS  # what the people now would say alone
    assert later.clicks.verdict == Verdict.B_WINS and later.clicks.decided is not None
    assert later.clicks.decided.prefer_b == 43 and "decided at 43 people" in later.clicks.text
    assert comparison_promote(comparison=comparison).status == OutcomeStatus.ACTIVATED


def test_a_candidate_damaged_after_the_start_leaves_its_people_the_active_list(
    client: Client, catalogue: list[Movie], active: ModelVersion, candidate: ModelVersion, settings, caplog
) -> None:
    comparison_start(candidate=candidate, share=1.0, started_by=None)
    path = settings.MODEL_DIR / candidate.artifact_dir / next(iter(candidate.artifact_sha256))
    path.write_bytes(path.read_bytes() + b"!")
    person = _person(catalogue, "person")
    client.force_login(person)
    assert client.get(reverse("home")).status_code == 200
    rows = Impression.objects.filter(user=person)
    assert set(rows.values_list("kind", flat=True)) == {ListKind.HOME}
    assert set(rows.values_list("model_version_id", flat=True)) == {active.pk}
    assert f"candidate v{candidate.pk} cannot be served" in caplog.text
