"""The model registry: promotion and rejection, activation (rollback), refused artifacts, pruning."""

import datetime as dt
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from django.db import IntegrityError, transaction

from recommender.models import ModelVersion
from recommender.services.artifact_cache import artifact_fetch
from recommender.services.artifacts import (
    ARTIFACT_HASH_MISMATCH,
    ARTIFACT_UNSERVABLE,
    ArtifactError,
    artifact_path,
    file_sha256,
)
from recommender.services.outcomes import OutcomeStatus
from recommender.services.registry import (
    PROMOTION_WORSE,
    STAGING_PREFIX,
    VERSION_NOT_ACTIVATABLE,
    RegistryError,
    activation_request,
    version_activate,
    version_promote,
    versions_prune,
)
from recsys.rating_model import ARRAY_NOT_FINITE, RANKING_MISSING, FactorModel
from tests.recommender.served_models import model_version_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated")]


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


# --- retrain -------------------------------------------------------------------------------------------------------


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
    assert reason.startswith(ARTIFACT_UNSERVABLE.format(version=broken.pk, problems=""))
    assert ARRAY_NOT_FINITE.format(name="user_factors") in reason
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
    """One changed byte in a version's files: artifact_fetch raises, activation refuses, the active one stays."""
    active = _hand_made("active", status=ModelVersion.Status.ACTIVE)
    tampered = _hand_made("tampered")
    arrays = artifact_path(version=tampered) / "serving.npz"
    content = bytearray(arrays.read_bytes())
    content[-10] ^= 0xFF
    arrays.write_bytes(bytes(content))
    with pytest.raises(ArtifactError) as error:
        artifact_fetch(version=tampered)
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


def test_activation_refuses_an_authentic_artifact_that_cannot_be_served() -> None:
    """Files that match their SHA-256 but fail the artifact's check (no ranking model): activation refuses with
    the reason, and the active version stays."""
    active = _hand_made("active", status=ModelVersion.Status.ACTIVE)
    unservable = _hand_made("unservable")
    directory = artifact_path(version=unservable)
    model = FactorModel.load(directory)
    files = replace(model, ranking=None).save(directory)
    unservable.artifact_sha256 = {path.name: file_sha256(path) for path in files}
    unservable.save()
    with pytest.raises(ArtifactError) as error:
        version_activate(version=unservable)
    assert str(error.value) == ARTIFACT_UNSERVABLE.format(version=unservable.pk, problems=RANKING_MISSING)
    outcome = activation_request(version=unservable)
    assert (outcome.status, outcome.message) == (OutcomeStatus.REFUSED, str(error.value))
    active.refresh_from_db()
    assert active.status == ModelVersion.Status.ACTIVE


def test_activating_the_active_version_again_renews_its_activation() -> None:
    """Activating the active version again checks its artifact and renews activated_at (serving reads it anew)."""
    active = _hand_made("active", status=ModelVersion.Status.ACTIVE)
    before = active.activated_at
    outcome = activation_request(version=active)
    active.refresh_from_db()
    assert outcome.status == OutcomeStatus.ACTIVATED
    assert active.status == ModelVersion.Status.ACTIVE and active.activated_at != before
