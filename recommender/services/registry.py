"""The model registry's writes: versions created, finished, failed, promoted, activated and pruned.

A version is exported into a staging folder under MODEL_DIR, then every file of it is written to the model store
(artifact_store) and read back, checked, before it is ready: no host ever serves half a model. Nothing here imports
torch or pandas at import time: the admin, the Model pages and the API call it from the web process.
"""

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from recommender.models import Comparison, ModelVersion
from recommender.services.artifact_cache import artifact_cache_prune, artifact_fetch, artifact_load
from recommender.services.artifact_store import artifact_delete, artifact_upload
from recommender.services.artifacts import ArtifactError, artifact_path, file_sha256
from recommender.services.onboarding import cold_start_setting
from recommender.services.outcomes import Outcome, OutcomeStatus

if TYPE_CHECKING:
    from recsys.params import RatingParams
    from recsys.trainers import TrainedModel

STAGING_PREFIX = ".staging-"

VERSION_NOT_ACTIVATABLE = "version v{version} is {status}: only a ready version can be activated"
VERSION_INTERRUPTED = "interrupted: the worker stopped before the version was finished (time limit or lost worker)"
VERSION_ACTIVATED = "v{version} is now the active version: the site serves it from its next request."
PROMOTION_NO_RMSE = "it has no validation RMSE"
PROMOTION_HELD_COMPARING = "kept ready, not activated: comparison {comparison} is running, and activating would end it"
PROMOTION_HELD_ALGORITHM = (
    "kept ready, not activated: its algorithm ({new}) is not the active version v{active}'s ({old}), and the gate"
    " asks an online win first (RECOMMENDER_PROMOTION_ONLINE_WIN): compare it on the Model pages"
)
COMPARISON_ENDED_BY_ACTIVATION = "ended when v{version} was activated: its version A is no longer the active one"
PROMOTION_WORSE = (
    "validation RMSE {rmse:.4f} is worse than the active version v{active}'s {active_rmse:.4f} + tolerance {tolerance}"
)


class RegistryError(Exception):
    """A registry operation that the version's state does not allow."""


def _staging_dirs(version: ModelVersion) -> list[Path]:
    return list(Path(settings.MODEL_DIR).glob(f"{STAGING_PREFIX}v{version.pk}-*"))


def version_create(
    *, params: "RatingParams", n_ratings: int, n_users: int, n_movies: int, fingerprint: str
) -> tuple[ModelVersion, Path]:
    """A version in ``training`` status and its empty staging folder under MODEL_DIR."""
    version = ModelVersion.objects.create(
        algorithm=params.algorithm,
        hyperparameters=params.as_dict(),
        status=ModelVersion.Status.TRAINING,
        n_ratings=n_ratings,
        n_users=n_users,
        n_movies=n_movies,
        ratings_fingerprint=fingerprint,
    )
    root = Path(settings.MODEL_DIR)
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f"{STAGING_PREFIX}v{version.pk}-{timezone.now():%Y%m%d%H%M%S%f}"
    staging.mkdir()
    return version, staging


def version_finish(*, version: ModelVersion, trained: "TrainedModel", staging: Path) -> ModelVersion:
    """Export into the staging folder, hash every file, write them all to the model store, read them back checked
    (into this host's cache), and only then mark the version ready.

    The folder and the hashes are recorded first, so that whatever a worker killed while writing leaves in the store
    is found and deleted (version_fail). The artifact carries the training ratings only where the configured cold
    start needs them.
    """
    from recsys.trainers import models_export

    files = models_export(trained=trained, directory=staging, cold_start=cold_start_setting())
    version.artifact_dir = f"v{version.pk}-{timezone.now():%Y%m%d-%H%M%S}"
    version.artifact_sha256 = {path.name: file_sha256(path) for path in files}
    version.save(update_fields=["artifact_dir", "artifact_sha256"])
    artifact_upload(version=version, directory=staging)
    shutil.rmtree(staging)
    artifact_fetch(version=version)
    version.metrics = trained.metrics
    version.epoch_losses = trained.epoch_losses
    version.training_seconds = trained.train_seconds
    version.status = ModelVersion.Status.READY
    version.finished_at = timezone.now()
    version.save()
    return version


def version_fail(*, version: ModelVersion, error: str) -> ModelVersion:
    """Mark the version failed with ``error`` and delete whatever it wrote, in MODEL_DIR, the store and this host's
    cache; the active version is not touched. A store that does not answer keeps the failed version's folder on
    record, for the next prune to delete."""
    for directory in _staging_dirs(version):
        shutil.rmtree(directory, ignore_errors=True)
    if version.artifact_dir and _files_delete(version):
        version.artifact_dir = ""
        version.artifact_sha256 = {}
    version.status = ModelVersion.Status.FAILED
    version.error = error
    version.finished_at = timezone.now()
    version.save(update_fields=["status", "error", "artifact_dir", "artifact_sha256", "finished_at"])
    return version


def _files_delete(version: ModelVersion) -> bool:
    """The version's files gone from the store and from this host's cache: whether the store could delete them."""
    deleted = artifact_delete(version=version)
    shutil.rmtree(artifact_path(version=version), ignore_errors=True)
    return deleted


def versions_interrupted_fail() -> list[int]:
    """Fail the versions left in ``training`` by a worker that died; call only while holding the retrain lock."""
    stale = list(ModelVersion.objects.filter(status=ModelVersion.Status.TRAINING))
    for version in stale:
        version_fail(version=version, error=VERSION_INTERRUPTED)
    return [version.pk for version in stale]


def _serving_problem(version: ModelVersion) -> str | None:
    """Why the version's artifact cannot be served, or None."""
    try:
        artifact_load(version=version)
    except ArtifactError as error:
        return str(error)
    return None


def _held_back(version: ModelVersion, active: ModelVersion | None) -> str | None:
    """Why a version that passed the offline checks is kept ready rather than activated, or None: a comparison is
    running (activating would end it), or the gate asks an online win of a version whose algorithm is new."""
    running = Comparison.objects.running().first()
    if running is not None:
        return PROMOTION_HELD_COMPARING.format(comparison=running.pk)
    if settings.RECOMMENDER_PROMOTION_ONLINE_WIN and active is not None and active.algorithm != version.algorithm:
        return PROMOTION_HELD_ALGORITHM.format(active=active.pk, old=active.algorithm, new=version.algorithm)
    return None


def version_promote(*, version: ModelVersion, tolerance: float | None = None) -> tuple[bool, str]:
    """Activate a ready version that passes the sanity checks and whose validation RMSE is no worse than the
    active one's plus ``tolerance`` (setting RECOMMENDER_PROMOTION_TOLERANCE); otherwise mark it rejected. A
    version held back for an online comparison (``_held_back``) stays ready. Returns (activated, reason)."""
    tolerance = settings.RECOMMENDER_PROMOTION_TOLERANCE if tolerance is None else tolerance
    problem = _serving_problem(version)
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
        held = _held_back(version, active)
        if held is not None:
            return False, held
        version_activate(version=version)
    version.refresh_from_db()
    return True, ""


def version_activate(*, version: ModelVersion) -> ModelVersion:
    """Make a ready version the active one (a rollback when it was active before), atomically: the previous
    active version becomes ready. Refuses (ArtifactError) a version whose files do not match the registry or whose
    artifact cannot be served; a repaired artifact is read again."""
    with transaction.atomic():
        target = ModelVersion.objects.select_for_update().get(pk=version.pk)
        if target.status not in (ModelVersion.Status.READY, ModelVersion.Status.ACTIVE):
            raise RegistryError(VERSION_NOT_ACTIVATABLE.format(version=target.pk, status=target.status))
        artifact_load(version=target)
        # Demote first: the database allows one active version at any moment. Activating the active version
        # again only renews activated_at, which tells every web process to read its (repaired) artifact again.
        ModelVersion.objects.select_for_update().active().exclude(pk=target.pk).update(status=ModelVersion.Status.READY)
        target.status = ModelVersion.Status.ACTIVE
        target.activated_at = timezone.now()
        target.save(update_fields=["status", "activated_at"])
        # A comparison of another version has nothing left to compare.
        Comparison.objects.running().exclude(version_a=target).update(
            status=Comparison.Status.STOPPED,
            ended_at=target.activated_at,
            ended_note=COMPARISON_ENDED_BY_ACTIVATION.format(version=target.pk),
        )
    return target


def activation_request(*, version: ModelVersion) -> Outcome:
    """Activate ``version`` for a person who asked (a rollback when it was active before)."""
    try:
        activated = version_activate(version=version)
    except (RegistryError, ArtifactError) as error:
        return Outcome(status=OutcomeStatus.REFUSED, message=str(error), version=version)
    message = VERSION_ACTIVATED.format(version=activated.pk)
    return Outcome(status=OutcomeStatus.ACTIVATED, message=message, version=activated)


def versions_prune(*, keep: int | None = None) -> list[int]:
    """Delete, files (in the store and this host's cache) and rows, every version beyond the ``keep`` newest
    (setting RECOMMENDER_KEEP_VERSIONS) besides the active one; a version in training or the candidate of a running
    comparison is never pruned. A version
    whose files the store could not delete keeps its row, for the next prune. Returns the deleted version ids.

    Every other host drops its copies of them from its cache when it next downloads a version."""
    keep = settings.RECOMMENDER_KEEP_VERSIONS if keep is None else keep
    candidates = ModelVersion.objects.exclude(
        status__in=[ModelVersion.Status.ACTIVE, ModelVersion.Status.TRAINING]
    ).exclude(pk__in=Comparison.objects.running().values("version_b"))
    pruned = []
    for version in candidates.order_by("-created_at", "-id")[keep:]:
        if version.artifact_dir and not _files_delete(version):
            continue
        pruned.append(version.pk)
        version.delete()
    artifact_cache_prune()
    return pruned
