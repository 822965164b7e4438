"""The retrain: trained, exported and activated under one lock, skipped when nothing changed, queued once, scheduled."""

import io
import json
from pathlib import Path

import pytest
import redis
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from ratings.models import Rating
from ratings.selectors import ratings_fingerprint, ratings_frame
from recommender.models import ModelVersion
from recommender.services.artifact_cache import artifact_fetch
from recommender.services.outcomes import OutcomeStatus
from recommender.services.registry import (
    STAGING_PREFIX,
    VERSION_INTERRUPTED,
)
from recommender.services.retrain import (
    RETRAIN_QUEUED_KEY,
    RETRAIN_SCHEDULE_NAME,
    RETRAIN_SKIPPED,
    model_retrain,
    retrain_enqueue,
    retrain_lock,
    retrain_running,
)
from recsys.rating_model import FactorModel
from tests.recommender.training_data import ratings_create, redis_test_url
from tests.recsys.arrays import SMALL, synthetic_ratings

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated")]


@pytest.fixture
def ratings():
    return ratings_create(synthetic_ratings())


def _leftovers(model_dir: Path, version: ModelVersion) -> list[Path]:
    return [*model_dir.glob(f"v{version.pk}-*"), *model_dir.glob(f"{STAGING_PREFIX}v{version.pk}-*")]


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
    directory = artifact_fetch(version=version)
    assert sorted(version.artifact_sha256) == ["learner.pkl", "serving.json", "serving.npz"]
    served = FactorModel.load(directory)
    assert served.movie_factors.shape[1] == SMALL["n_factors"]
    # The site's list comes from the ranking model, trained by the same retrain and shipped in the same files.
    assert served.ranking is not None
    assert served.ranking.movie_factors.shape[0] == len(served.movie_ids)
    assert served.ranking.user_factors.shape[0] == len(served.user_ids)
    assert 0 < version.metrics["ranking_seconds"] <= version.training_seconds
    # Nothing but the version's folder is left in MODEL_DIR (the store): the staging folder was copied there, removed.
    assert [path.name for path in isolated.iterdir()] == [version.artifact_dir]


def test_the_artifact_carries_the_training_ratings_only_for_the_classic_cold_start(ratings, settings) -> None:
    """By default a version ships its users' fingerprints and none of the training ratings; a site placing new
    users the classic way gets the ratings too."""
    shipped = {}
    for method in ("fold_in", "classic"):
        settings.RECOMMENDER_COLD_START = method
        version = model_retrain(force=True, hyperparameters=SMALL).version
        shipped[method] = FactorModel.load(artifact_fetch(version=version))
    assert not shipped["fold_in"].has_training_ratings
    assert len(shipped["classic"].training_ratings()) == len(ratings) - int(0.2 * len(ratings))  # valid_pct 0.2
    for model in shipped.values():
        assert model.user_fingerprints is not None and len(model.user_fingerprints) == len(model.user_ids)


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
    artifact_fetch(version=active)


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
    assert outcome.status == OutcomeStatus.BUSY
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


@pytest.mark.slow
def test_movielens_100k_default_training_reaches_the_target_rmse(movielens_100k_imported, settings, tmp_path) -> None:
    """On all of MovieLens 100k, the default dot training validates at RMSE <= 0.915 and is activated."""
    settings.MODEL_DIR = tmp_path
    settings.REDIS_URL = redis_test_url()
    outcome = model_retrain()
    assert outcome.status == "activated", outcome.as_dict()
    assert outcome.version.status == ModelVersion.Status.ACTIVE
    assert outcome.version.n_ratings == 100_000
    assert outcome.version.metrics["rmse"] <= 0.915
