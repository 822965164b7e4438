"""The model registry's writes: versions created, finished, failed, promoted, activated and pruned; the retrain.

A version's files are written into a staging folder under MODEL_DIR and renamed into place once complete, so
no reader ever sees half a model. Training imports torch, so ``model_retrain`` imports the training service
when it runs: this module is safe for the web process (the admin calls it).
"""

import hashlib
import json
import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from ratings.models import Rating
from recommender.models import ModelVersion
from recommender.services.artifacts import ArtifactError, artifact_path, artifact_verify, file_sha256
from recommender.services.factors import FactorModel

if TYPE_CHECKING:
    from recommender.services.training import TrainedModel

logger = logging.getLogger(__name__)

RETRAIN_LOCK_KEY = "movierec:recommender:retrain:lock"
RETRAIN_QUEUED_KEY = "movierec:recommender:retrain:queued"
RETRAIN_SCHEDULE_NAME = "recommender: retrain"
REDIS_TIMEOUT_S = 2.0
STAGING_PREFIX = ".staging-"
RATINGS_DTYPES = {"id": "int64", "user": "int64", "movie": "int64", "rating": "float64", "timestamp": "int64"}
# Users whose predictions the sanity check computes against y_range (each one against every movie).
SANITY_USERS = 200

RETRAIN_ALREADY_RUNNING = "already running"
RETRAIN_SKIPPED = "the ratings have not changed since the active version v{version}"
VERSION_NOT_ACTIVATABLE = "version v{version} is {status}: only a ready version can be activated"
VERSION_INTERRUPTED = "interrupted: the worker stopped before the version was finished (time limit or lost worker)"
PROMOTION_NOT_FINITE = "{name} has values that are not finite"
PROMOTION_OUT_OF_RANGE = "predictions leave y_range [{low}, {high}]: from {min:.4f} to {max:.4f}"
PROMOTION_NO_RMSE = "it has no validation RMSE"
PROMOTION_WORSE = (
    "validation RMSE {rmse:.4f} is worse than the active version v{active}'s {active_rmse:.4f} + tolerance {tolerance}"
)


class RegistryError(Exception):
    """A registry operation that the version's state does not allow."""


@dataclass(frozen=True)
class RetrainOutcome:
    status: str  # "activated", "rejected", "ready" (not asked to activate), "skipped", "already running"
    version: ModelVersion | None = None
    message: str = ""
    pruned: tuple[int, ...] = ()

    def as_dict(self) -> dict:
        version = self.version
        return {
            "status": self.status,
            "version": version.pk if version else None,
            "version_status": version.status if version else None,
            "metrics": version.metrics if version else {},
            "message": self.message,
            "pruned": list(self.pruned),
        }


# --- data ---------------------------------------------------------------------------------------------------------


def ratings_frame() -> pd.DataFrame:
    """Every rating, MovieLens raters' and site users' alike: id, user (User pk), movie (Movie pk), rating,
    timestamp (Unix seconds), in id order. Read as tuples; no model objects are built."""
    rows = Rating.objects.order_by("pk").values_list("pk", "user_id", "movie_id", "score", "timestamp")
    frame = pd.DataFrame.from_records(list(rows), columns=["id", "user", "movie", "rating", "timestamp"])
    since_epoch = pd.to_datetime(frame["timestamp"], utc=True) - pd.Timestamp(0, tz="UTC")
    frame["timestamp"] = since_epoch // pd.Timedelta(seconds=1)
    return frame.astype(RATINGS_DTYPES)


def ratings_fingerprint(*, ratings: pd.DataFrame) -> str:
    """SHA-256 over the ratings table's content in id order: any insert, update or delete changes it."""
    digest = hashlib.sha256()
    ordered = ratings.sort_values("id", kind="stable")
    for column, dtype in (("id", "<i8"), ("user", "<i8"), ("movie", "<i8"), ("rating", "<f8"), ("timestamp", "<i8")):
        digest.update(column.encode())
        digest.update(np.ascontiguousarray(ordered[column].to_numpy(), dtype=dtype).tobytes())
    return digest.hexdigest()


# --- the lock ------------------------------------------------------------------------------------------------------


def _redis() -> redis.Redis:
    # Timeouts: a Redis that hangs (not dead, not answering) must cost the admin and the API seconds, not forever.
    return redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S
    )


@contextmanager
def retrain_lock() -> Iterator[bool]:
    """Yields whether this caller holds the retrain lock. It expires on its own, so a killed worker frees it."""
    lock = _redis().lock(RETRAIN_LOCK_KEY, timeout=settings.RECOMMENDER_RETRAIN_LOCK_SECONDS)
    acquired = lock.acquire(blocking=False)
    try:
        yield acquired
    finally:
        if acquired:
            try:
                lock.release()
            except redis.exceptions.LockError:
                logger.warning("the retrain lock expired before the retrain finished")


def retrain_running() -> bool:
    """Whether a retrain holds the lock, or has been queued and not started yet."""
    return bool(_redis().exists(RETRAIN_LOCK_KEY, RETRAIN_QUEUED_KEY))


def retrain_enqueue(*, force: bool = True, algorithm: str | None = None) -> str | None:
    """Queue the retrain task unless one is queued or running: the task id, or None ("already running").

    The lock alone cannot tell two clicks apart while the first task waits in the queue of a one-process
    worker; the queued mark can. The task clears it when it starts, and it expires like the lock.
    """
    client = _redis()
    if client.exists(RETRAIN_LOCK_KEY):
        return None
    if not client.set(RETRAIN_QUEUED_KEY, "1", nx=True, ex=settings.RECOMMENDER_RETRAIN_LOCK_SECONDS):
        return None
    from recommender.tasks import retrain  # the task module imports this one

    try:
        return retrain.delay(force=force, algorithm=algorithm).id
    except Exception:
        client.delete(RETRAIN_QUEUED_KEY)
        raise


# --- versions ------------------------------------------------------------------------------------------------------


def _staging_dirs(version: ModelVersion) -> list[Path]:
    return list(Path(settings.MODEL_DIR).glob(f"{STAGING_PREFIX}v{version.pk}-*"))


def version_create(
    *, algorithm: str, hyperparameters: dict, ratings: pd.DataFrame, fingerprint: str
) -> tuple[ModelVersion, Path]:
    """A version in ``training`` status and its empty staging folder under MODEL_DIR."""
    version = ModelVersion.objects.create(
        algorithm=algorithm,
        hyperparameters=hyperparameters,
        status=ModelVersion.Status.TRAINING,
        n_ratings=len(ratings),
        n_users=int(ratings["user"].nunique()),
        n_movies=int(ratings["movie"].nunique()),
        ratings_fingerprint=fingerprint,
    )
    root = Path(settings.MODEL_DIR)
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f"{STAGING_PREFIX}v{version.pk}-{timezone.now():%Y%m%d%H%M%S%f}"
    staging.mkdir()
    return version, staging


def version_finish(*, version: ModelVersion, trained: "TrainedModel", staging: Path) -> ModelVersion:
    """Export into the staging folder, hash every file, rename the folder into place and mark the version ready."""
    from recommender.services.training import learner_export

    files = learner_export(trained=trained, directory=staging)
    hashes = {path.name: file_sha256(path) for path in files}
    final_name = f"v{version.pk}-{timezone.now():%Y%m%d-%H%M%S}"
    staging.rename(Path(settings.MODEL_DIR) / final_name)
    version.artifact_dir = final_name
    version.artifact_sha256 = hashes
    version.metrics = trained.metrics
    version.epoch_losses = trained.epoch_losses
    version.training_seconds = trained.train_seconds
    version.status = ModelVersion.Status.READY
    version.finished_at = timezone.now()
    version.save()
    return version


def version_fail(*, version: ModelVersion, error: str) -> ModelVersion:
    """Mark the version failed with ``error`` and delete whatever it wrote; the active version is not touched."""
    for directory in _staging_dirs(version):
        shutil.rmtree(directory, ignore_errors=True)
    if version.artifact_dir:
        shutil.rmtree(artifact_path(version=version), ignore_errors=True)
    version.status = ModelVersion.Status.FAILED
    version.error = error
    version.artifact_dir = ""
    version.artifact_sha256 = {}
    version.finished_at = timezone.now()
    version.save(update_fields=["status", "error", "artifact_dir", "artifact_sha256", "finished_at"])
    return version


def versions_interrupted_fail() -> list[int]:
    """Fail the versions left in ``training`` by a worker that died; call only while holding the retrain lock."""
    stale = list(ModelVersion.objects.filter(status=ModelVersion.Status.TRAINING))
    for version in stale:
        version_fail(version=version, error=VERSION_INTERRUPTED)
    return [version.pk for version in stale]


def _sanity_problem(version: ModelVersion) -> str | None:
    """Why the version's artifact cannot be served (ArtifactError, not finite, out of range), or None."""
    try:
        model = FactorModel.load(artifact_verify(version=version))
    except ArtifactError as error:
        return str(error)
    arrays = {
        "user_factors": model.user_factors,
        "user_bias": model.user_bias,
        "movie_factors": model.movie_factors,
        "movie_bias": model.movie_bias,
    }
    for i, layer in enumerate(model.mlp):
        parts = {"weight": layer.weight, "bias": layer.bias, "scale": layer.scale, "shift": layer.shift}
        arrays.update({f"mlp layer {i} {part}": a for part, a in parts.items() if a is not None})
    if model.ranking is not None:
        parts = ("user_factors", "user_mean", "movie_factors", "movie_bias")
        arrays.update({f"ranking {part}": getattr(model.ranking, part) for part in parts})
    for name, array in arrays.items():
        if not np.isfinite(array).all():
            return PROMOTION_NOT_FINITE.format(name=name)
    low, high = model.y_range
    predictions = np.concatenate([model.predict_user(row) for row in range(min(SANITY_USERS, len(model.user_ids)))])
    if len(predictions) and not (
        np.isfinite(predictions).all() and low <= predictions.min() <= predictions.max() <= high
    ):
        return PROMOTION_OUT_OF_RANGE.format(low=low, high=high, min=predictions.min(), max=predictions.max())
    return None


def version_promote(*, version: ModelVersion, tolerance: float | None = None) -> tuple[bool, str]:
    """Activate a ready version that passes the sanity checks and whose validation RMSE is no worse than the
    active one's plus ``tolerance`` (setting RECOMMENDER_PROMOTION_TOLERANCE); otherwise mark it rejected.
    Returns (activated, reason)."""
    tolerance = settings.RECOMMENDER_PROMOTION_TOLERANCE if tolerance is None else tolerance
    problem = _sanity_problem(version)
    rmse = version.metrics.get("rmse")
    if problem is None and (rmse is None or not np.isfinite(rmse)):
        problem = PROMOTION_NO_RMSE
    with transaction.atomic():
        active = ModelVersion.objects.select_for_update().active().exclude(pk=version.pk).first()
        if problem is None and active is not None and active.rmse is not None and rmse > active.rmse + tolerance:
            problem = PROMOTION_WORSE.format(rmse=rmse, active=active.pk, active_rmse=active.rmse, tolerance=tolerance)
        if problem is not None:
            ModelVersion.objects.filter(pk=version.pk).update(status=ModelVersion.Status.REJECTED, error=problem)
            version.refresh_from_db()
            return False, problem
        version_activate(version=version)
    version.refresh_from_db()
    return True, ""


def version_activate(*, version: ModelVersion) -> ModelVersion:
    """Make a ready version the active one (a rollback when it was active before), atomically: the previous
    active version becomes ready. Refuses a version whose files do not match the registry (ArtifactError)."""
    with transaction.atomic():
        target = ModelVersion.objects.select_for_update().get(pk=version.pk)
        if target.status == ModelVersion.Status.ACTIVE:
            return target
        if target.status != ModelVersion.Status.READY:
            raise RegistryError(VERSION_NOT_ACTIVATABLE.format(version=target.pk, status=target.status))
        artifact_verify(version=target)
        # Demote first: the database allows one active version at any moment.
        ModelVersion.objects.select_for_update().active().update(status=ModelVersion.Status.READY)
        target.status = ModelVersion.Status.ACTIVE
        target.activated_at = timezone.now()
        target.save(update_fields=["status", "activated_at"])
    return target


def versions_prune(*, keep: int | None = None) -> list[int]:
    """Delete, files and rows, every version beyond the ``keep`` newest (setting RECOMMENDER_KEEP_VERSIONS) besides
    the active one; a version in training is never pruned. Returns the deleted version ids."""
    keep = settings.RECOMMENDER_KEEP_VERSIONS if keep is None else keep
    candidates = ModelVersion.objects.exclude(status__in=[ModelVersion.Status.ACTIVE, ModelVersion.Status.TRAINING])
    pruned = []
    for version in candidates.order_by("-created_at", "-id")[keep:]:
        if version.artifact_dir:
            shutil.rmtree(artifact_path(version=version), ignore_errors=True)
        pruned.append(version.pk)
        version.delete()
    return pruned


# --- the retrain ---------------------------------------------------------------------------------------------------


def model_retrain(
    *,
    force: bool = False,
    algorithm: str | None = None,
    hyperparameters: dict | None = None,
    activate: bool = True,
    progress: bool = False,
) -> RetrainOutcome:
    """Train a new version from every rating in the database, promote it, prune old versions.

    Runs alone (Redis lock; otherwise "already running"); skips when the ratings are unchanged since the active
    version unless ``force``. Any error marks the version failed, deletes its files and is raised again; the
    active version stays as it was.
    """
    with retrain_lock() as acquired:
        if not acquired:
            return RetrainOutcome(status=RETRAIN_ALREADY_RUNNING, message=RETRAIN_ALREADY_RUNNING)
        _redis().delete(RETRAIN_QUEUED_KEY)
        interrupted = versions_interrupted_fail()
        if interrupted:
            logger.warning("marked interrupted versions failed: %s", interrupted)
        ratings = ratings_frame()
        fingerprint = ratings_fingerprint(ratings=ratings)
        active = ModelVersion.objects.active().first()
        if not force and active is not None and active.ratings_fingerprint == fingerprint:
            return RetrainOutcome(status="skipped", version=active, message=RETRAIN_SKIPPED.format(version=active.pk))

        from recommender.services.training import hyperparameters_resolve, model_train

        algorithm = algorithm or settings.RECOMMENDER_ALGORITHM
        resolved = hyperparameters_resolve(algorithm=algorithm, overrides=hyperparameters)
        version, staging = version_create(
            algorithm=algorithm, hyperparameters=resolved, ratings=ratings, fingerprint=fingerprint
        )
        try:
            # The site's list comes from the ranking model, trained beside the rating model on the same ratings.
            trained = model_train(
                ratings=ratings,
                algorithm=algorithm,
                hyperparameters=resolved,
                progress=progress,
                path=staging,
                ranking=True,
            )
            version = version_finish(version=version, trained=trained, staging=staging)
        except BaseException as error:  # the soft time limit and interrupts too: the files must go
            version_fail(version=version, error=f"{type(error).__name__}: {error}")
            raise
        status, message = ModelVersion.Status.READY.value, ""
        if activate:
            activated, message = version_promote(version=version)
            status = "activated" if activated else ModelVersion.Status.REJECTED.value
        pruned = versions_prune()
        version.refresh_from_db()
        return RetrainOutcome(status=status, version=version, message=message, pruned=tuple(pruned))


# --- the schedule --------------------------------------------------------------------------------------------------


def retrain_schedule_ensure(*, reset: bool = False) -> tuple[PeriodicTask, bool]:
    """The periodic retrain in django-celery-beat, created from RECOMMENDER_RETRAIN_CRONTAB when missing.

    Idempotent: an existing schedule, perhaps edited in the admin, is kept unless ``reset``. The scheduled run is
    not forced, so a night without new ratings trains nothing. Returns (task, created).
    """
    existing = PeriodicTask.objects.filter(name=RETRAIN_SCHEDULE_NAME).first()
    if existing is not None and not reset:
        return existing, False
    minute, hour, day_of_month, month_of_year, day_of_week = settings.RECOMMENDER_RETRAIN_CRONTAB.split()
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
        timezone=settings.CELERY_TIMEZONE,
    )
    task, created = PeriodicTask.objects.update_or_create(
        name=RETRAIN_SCHEDULE_NAME,
        defaults={
            "task": "recommender.tasks.retrain",
            "crontab": crontab,
            "interval": None,
            "kwargs": json.dumps({"force": False}),
            "enabled": True,
        },
    )
    return task, created
