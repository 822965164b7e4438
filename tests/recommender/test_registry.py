"""Tests of the model registry: fingerprint, retrain, promotion and rejection, activation, failure, pruning, lock."""

import datetime as dt
import io
import json
from pathlib import Path

import numpy as np
import pytest
import redis
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django_celery_beat.models import PeriodicTask

from ratings.models import Rating
from recommender.models import ModelVersion
from recommender.services.artifacts import ARTIFACT_HASH_MISMATCH, ArtifactError, artifact_path, artifact_verify
from recommender.services.registry import (
    PROMOTION_NOT_FINITE,
    PROMOTION_WORSE,
    RETRAIN_ALREADY_RUNNING,
    RETRAIN_LOCK_KEY,
    RETRAIN_QUEUED_KEY,
    RETRAIN_SCHEDULE_NAME,
    RETRAIN_SKIPPED,
    STAGING_PREFIX,
    VERSION_INTERRUPTED,
    VERSION_NOT_ACTIVATABLE,
    RegistryError,
    model_retrain,
    ratings_fingerprint,
    ratings_frame,
    retrain_enqueue,
    retrain_lock,
    retrain_running,
    version_activate,
    version_promote,
    versions_prune,
)
from recsys.rating_model import FactorModel
from tests.recommender.served_models import model_version_create
from tests.recommender.training_data import SMALL, ratings_create, redis_test_url, synthetic_ratings

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path: Path) -> Path:
    """A model folder per test, and the tests' own Redis database, emptied."""
    settings.MODEL_DIR = tmp_path / "models"
    settings.REDIS_URL = redis_test_url()
    redis.Redis.from_url(settings.REDIS_URL).delete(RETRAIN_LOCK_KEY, RETRAIN_QUEUED_KEY)
    return settings.MODEL_DIR


@pytest.fixture
def ratings():
    return ratings_create(synthetic_ratings())


def _hand_made(name: str, *, status: str = ModelVersion.Status.READY, rmse: float = 0.9, factor: float = 0.5):
    version = model_version_create(
        name=name,
        user_ids=[1, 2],
        user_factors=np.full((2, 2), factor),
        movie_ids=[1, 2, 3],
        movie_factors=np.full((3, 2), factor),
        status=status,
    )
    version.metrics = {"rmse": rmse}
    version.save()
    return version


def _leftovers(model_dir: Path, version: ModelVersion) -> list[Path]:
    return [*model_dir.glob(f"v{version.pk}-*"), *model_dir.glob(f"{STAGING_PREFIX}v{version.pk}-*")]


# --- data and fingerprint ------------------------------------------------------------------------------------------


def test_ratings_frame_reads_pks_scores_and_unix_times(ratings) -> None:
    """Every rating comes back once, with User and Movie pks, its score and its time in Unix seconds."""
    frame = ratings_frame()
    assert len(frame) == len(ratings)
    assert list(frame.columns) == ["id", "user", "movie", "rating", "timestamp"]
    first = Rating.objects.order_by("pk").first()
    row = frame.iloc[0]
    assert (row["user"], row["movie"], row["rating"]) == (first.user_id, first.movie_id, first.score)
    assert row["timestamp"] == int(first.timestamp.timestamp())


def test_fingerprint_changes_on_insert_update_and_delete_only(ratings) -> None:
    """Reading twice gives one fingerprint; adding, changing or deleting a rating gives another."""
    original = ratings_fingerprint(ratings=ratings_frame())
    assert ratings_fingerprint(ratings=ratings_frame()) == original
    rating = Rating.objects.order_by("pk").first()
    score = rating.score
    rating.score = 5.0 if score != 5.0 else 1.0
    rating.save()
    updated = ratings_fingerprint(ratings=ratings_frame())
    rating.score = score
    rating.save()
    assert ratings_fingerprint(ratings=ratings_frame()) == original
    Rating.objects.filter(pk=rating.pk).delete()
    deleted = ratings_fingerprint(ratings=ratings_frame())
    Rating.objects.create(user=rating.user, movie=rating.movie, score=score, timestamp=rating.timestamp)
    reinserted = ratings_fingerprint(ratings=ratings_frame())
    assert len({original, updated, deleted, reinserted}) == 4


# --- retrain -------------------------------------------------------------------------------------------------------


def test_retrain_trains_exports_and_activates(ratings, isolated: Path) -> None:
    """The first retrain yields an active version with metrics, losses, and files that match their SHA-256."""
    outcome = model_retrain(hyperparameters=SMALL)
    version = outcome.version
    assert outcome.status == "activated"
    assert version.status == ModelVersion.Status.ACTIVE
    assert version.activated_at is not None and version.finished_at is not None
    assert version.n_ratings == len(ratings)
    assert version.ratings_fingerprint == ratings_fingerprint(ratings=ratings_frame())
    assert {"rmse", "mae", "ndcg@10"} <= set(version.metrics)
    assert len(version.epoch_losses) == SMALL["epochs"]
    assert version.hyperparameters["bs"] == SMALL["bs"]
    directory = artifact_verify(version=version)
    assert sorted(version.artifact_sha256) == ["learner.pkl", "serving.json", "serving.npz"]
    served = FactorModel.load(directory)
    assert served.movie_factors.shape[1] == SMALL["n_factors"]
    # The site's list comes from the ranking model, trained by the same retrain and shipped in the same files.
    assert served.ranking is not None
    assert served.ranking.movie_factors.shape[0] == len(served.movie_ids)
    assert served.ranking.user_factors.shape[0] == len(served.user_ids)
    assert 0 < version.metrics["ranking_seconds"] <= version.training_seconds
    # Nothing but the version's folder is left in MODEL_DIR: the staging folder was renamed into place.
    assert [path.name for path in isolated.iterdir()] == [version.artifact_dir]


def test_retrain_skips_unchanged_ratings_unless_forced(ratings) -> None:
    """A second retrain on the same ratings trains nothing; forced, it trains; a new rating makes it train."""
    first = model_retrain(hyperparameters=SMALL).version
    skipped = model_retrain(hyperparameters=SMALL)
    assert skipped.status == "skipped"
    assert skipped.message == RETRAIN_SKIPPED.format(version=first.pk)
    assert ModelVersion.objects.count() == 1
    assert model_retrain(force=True, hyperparameters=SMALL).version.pk != first.pk
    changed = Rating.objects.order_by("pk").first()
    Rating.objects.filter(pk=changed.pk).update(score=1.0 if changed.score != 1.0 else 2.0)
    assert model_retrain(hyperparameters=SMALL).status in {"activated", "rejected"}
    assert ModelVersion.objects.count() == 3


def test_a_failing_training_leaves_the_active_version_and_no_files(ratings, isolated: Path) -> None:
    """An error during training marks the version failed with the reason, deletes its files, keeps the active one."""
    active = model_retrain(hyperparameters=SMALL).version
    before = sorted(isolated.iterdir())
    with pytest.raises(RuntimeError):
        model_retrain(force=True, hyperparameters={**SMALL, "n_factors": -1})
    failed = ModelVersion.objects.exclude(pk=active.pk).get()
    assert failed.status == ModelVersion.Status.FAILED
    assert failed.error.startswith("RuntimeError:")
    assert failed.finished_at is not None
    assert _leftovers(isolated, failed) == []
    assert sorted(isolated.iterdir()) == before
    active.refresh_from_db()
    assert active.status == ModelVersion.Status.ACTIVE
    artifact_verify(version=active)


def test_a_version_left_training_by_a_dead_worker_is_failed_and_cleaned(ratings, isolated: Path) -> None:
    """A version still 'training' when the next retrain takes the lock was orphaned: failed, staging folder gone."""
    orphan = ModelVersion.objects.create(status=ModelVersion.Status.TRAINING)
    staging = isolated / f"{STAGING_PREFIX}v{orphan.pk}-20240101"
    staging.mkdir(parents=True)
    (staging / "learner.pkl").write_bytes(b"half")
    model_retrain(hyperparameters=SMALL)
    orphan.refresh_from_db()
    assert orphan.status == ModelVersion.Status.FAILED
    assert orphan.error == VERSION_INTERRUPTED
    assert not staging.exists()


def test_retrain_returns_already_running_while_the_lock_is_held(ratings) -> None:
    """A second retrain while one holds the lock trains nothing and says so."""
    with retrain_lock() as acquired:
        assert acquired
        assert retrain_running()
        outcome = model_retrain(force=True, hyperparameters=SMALL)
    assert outcome.status == RETRAIN_ALREADY_RUNNING
    assert ModelVersion.objects.count() == 0
    assert not retrain_running()


def test_enqueue_refuses_while_running_or_queued(settings) -> None:
    """Nothing is queued while the lock is held, nor twice before the first queued retrain starts."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    with retrain_lock():
        assert retrain_enqueue() is None
    client.set(RETRAIN_QUEUED_KEY, "1")
    assert retrain_enqueue() is None
    assert retrain_running()


# --- promotion, activation, pruning --------------------------------------------------------------------------------


def test_promotion_rejects_a_version_worse_than_the_active_one_beyond_tolerance() -> None:
    """Validation RMSE above the active one's plus the tolerance: rejected with the reason; within it: activated."""
    active = _hand_made("active", status=ModelVersion.Status.ACTIVE, rmse=0.90)
    worse = _hand_made("worse", rmse=0.92)
    activated, reason = version_promote(version=worse, tolerance=0.01)
    assert not activated
    assert reason == PROMOTION_WORSE.format(rmse=0.92, active=active.pk, active_rmse=0.90, tolerance=0.01)
    worse.refresh_from_db()
    assert worse.status == ModelVersion.Status.REJECTED and worse.error == reason
    close = _hand_made("close", rmse=0.905)
    assert version_promote(version=close, tolerance=0.01) == (True, "")
    active.refresh_from_db()
    close.refresh_from_db()
    assert (active.status, close.status) == (ModelVersion.Status.READY, ModelVersion.Status.ACTIVE)


def test_promotion_rejects_weights_that_are_not_finite() -> None:
    """A version whose factors hold NaN is rejected, however good its RMSE, and the active one stays."""
    active = _hand_made("active", status=ModelVersion.Status.ACTIVE, rmse=0.90)
    broken = _hand_made("broken", rmse=0.5, factor=np.nan)
    activated, reason = version_promote(version=broken)
    assert not activated
    assert reason == PROMOTION_NOT_FINITE.format(name="user_factors")
    active.refresh_from_db()
    assert active.status == ModelVersion.Status.ACTIVE


def test_activate_rolls_back_to_a_ready_version_atomically() -> None:
    """Activating a ready version demotes the active one to ready; one version is active at any time."""
    old = _hand_made("old", status=ModelVersion.Status.ACTIVE)
    new = _hand_made("new")
    version_activate(version=new)
    version_activate(version=old)
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.status, new.status) == (ModelVersion.Status.ACTIVE, ModelVersion.Status.READY)
    assert ModelVersion.objects.active().count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.filter(pk=new.pk).update(status=ModelVersion.Status.ACTIVE)


def test_activate_refuses_rejected_and_failed_versions() -> None:
    """Only a ready version can be activated; the refusal names the version and its status."""
    rejected = _hand_made("rejected", status=ModelVersion.Status.REJECTED)
    with pytest.raises(RegistryError) as error:
        version_activate(version=rejected)
    assert str(error.value) == VERSION_NOT_ACTIVATABLE.format(version=rejected.pk, status="rejected")


def test_a_tampered_artifact_is_refused() -> None:
    """One changed byte in a version's files: artifact_verify raises, activation refuses, the active one stays."""
    active = _hand_made("active", status=ModelVersion.Status.ACTIVE)
    tampered = _hand_made("tampered")
    arrays = artifact_path(version=tampered) / "serving.npz"
    content = bytearray(arrays.read_bytes())
    content[-10] ^= 0xFF
    arrays.write_bytes(bytes(content))
    with pytest.raises(ArtifactError) as error:
        artifact_verify(version=tampered)
    assert str(error.value) == ARTIFACT_HASH_MISMATCH.format(name="serving.npz", version=tampered.pk)
    with pytest.raises(ArtifactError):
        version_activate(version=tampered)
    active.refresh_from_db()
    assert active.status == ModelVersion.Status.ACTIVE


def test_prune_keeps_the_newest_versions_and_the_active_one(isolated: Path) -> None:
    """Beyond the newest `keep` versions, rows and folders go; the active version stays however old."""
    active = _hand_made("v-active", status=ModelVersion.Status.ACTIVE)
    others = [_hand_made(f"v-{i}") for i in range(4)]
    for age, version in enumerate([active, *others]):  # the active version is the oldest
        ModelVersion.objects.filter(pk=version.pk).update(created_at=dt.datetime(2024, 1, 1 + age, tzinfo=dt.UTC))
    pruned = versions_prune(keep=2)
    assert sorted(pruned) == sorted(v.pk for v in others[:2])
    assert set(ModelVersion.objects.values_list("pk", flat=True)) == {active.pk, others[2].pk, others[3].pk}
    assert sorted(path.name for path in isolated.iterdir()) == ["v-2", "v-3", "v-active"]


# --- schedule ------------------------------------------------------------------------------------------------------


def test_retrain_schedule_is_idempotent_and_keeps_admin_edits(settings) -> None:
    """Run twice, one nightly task exists; an edited crontab is kept; --reset restores the default."""
    settings.RECOMMENDER_RETRAIN_CRONTAB = "30 3 * * *"
    call_command("retrain_schedule", stdout=io.StringIO())
    call_command("retrain_schedule", stdout=io.StringIO())
    task = PeriodicTask.objects.get(name=RETRAIN_SCHEDULE_NAME)
    assert PeriodicTask.objects.filter(task="recommender.tasks.retrain").count() == 1
    assert (task.crontab.minute, task.crontab.hour) == ("30", "3")
    assert json.loads(task.kwargs) == {"force": False}
    task.crontab.hour = "5"
    task.crontab.save()
    call_command("retrain_schedule", stdout=io.StringIO())
    task.refresh_from_db()
    assert task.crontab.hour == "5"
    call_command("retrain_schedule", "--reset", stdout=io.StringIO())
    task.refresh_from_db()
    assert task.crontab.hour == "3"
