"""The active version's artifact corrupted or missing: refused by its SHA-256, the popularity list served and the
error logged, on the site and the API; activating a healthy version brings personal lists back, with no restart.
An artifact whose files match the registry but cannot be read is explained on the staff version page, not a 500;
a version folder outside the model store is refused.
"""

import logging
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from api.routers.health import NO_ACTIVE_MODEL
from recommender.models import ModelVersion
from recommender.services.artifacts import (
    ARTIFACT_FILE_MISSING,
    ARTIFACT_HASH_MISMATCH,
    ARTIFACT_OUTSIDE_STORE,
    ARTIFACT_UNREADABLE,
    ArtifactError,
    artifact_path,
    file_sha256,
)
from recommender.services.recommendations import Fallback
from recommender.services.serving import MODEL_LOAD_FAILED, serving_reset
from recsys.rating_model import SERVING_ARRAYS
from tests.recommender.served_models import world_model_create

pytestmark = pytest.mark.django_db


def _corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte: the same size, a different SHA-256
    path.write_bytes(bytes(data))


FAULTS = {
    "corrupted": (_corrupt, ARTIFACT_HASH_MISMATCH),
    "missing": (Path.unlink, ARTIFACT_FILE_MISSING),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_broken_active_artifact_falls_back_until_a_healthy_version_is_activated(
    fault: str, served_world, client_for, bearer_for, manager_token, settings, caplog
) -> None:
    """A web process that starts while the active version's serving arrays are broken refuses them (error
    logged, naming the file), serves the popularity list on the home page and the API, and its health check
    says no model is served. Activating a healthy version through the API makes the same process personal again."""
    settings.RECOMMENDER_ACTIVE_CHECK_SECONDS = 0  # the process looks up the active version on every request
    damage, error = FAULTS[fault]
    broken = served_world.version
    healthy = world_model_create(served_world, name="v2", status=ModelVersion.Status.READY)
    damage(Path(settings.MODEL_DIR) / broken.artifact_dir / SERVING_ARRAYS)
    serving_reset()  # as a web process that starts now
    site, api = client_for(served_world.action_fan), Client(raise_request_exception=False)
    fan = bearer_for(served_world.action_fan)

    with caplog.at_level(logging.ERROR, logger="recommender.services.serving"):
        home = site.get("/")
    assert home.status_code == 200
    assert home.context["no_model"] is True
    assert home.context["result"].is_fallback is True
    expected = MODEL_LOAD_FAILED.format(version=broken.pk, error=error.format(name=SERVING_ARRAYS, version=broken.pk))
    assert expected in [record.getMessage() for record in caplog.records if record.levelno == logging.ERROR]
    listed = api.get("/api/me/recommendations", headers=fan).json()
    assert (listed["source"], listed["fallback_reason"]) == ("popularity", Fallback.NO_MODEL)
    health = api.get("/api/health").json()
    assert health["checks"]["model"] == {"ok": False, "detail": NO_ACTIVE_MODEL}

    # Activating the broken version again is refused with the reason: its artifact cannot be served.
    again = api.post(f"/api/models/{broken.pk}/activate", headers=manager_token)
    assert (again.status_code, again.json()) == (409, {"detail": error.format(name=SERVING_ARRAYS, version=broken.pk)})
    activated = api.post(f"/api/models/{healthy.pk}/activate", headers=manager_token)
    assert activated.status_code == 200, activated.content
    home = site.get("/")
    assert home.context["no_model"] is False
    assert home.context["result"].is_fallback is False
    assert home.context["result"].model_version.pk == healthy.pk
    assert api.get("/api/me/recommendations", headers=fan).json()["source"] == "model"
    assert api.get("/api/health").status_code == 200


def _truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # a zip without its directory


def _not_an_array_file(path: Path) -> None:
    path.write_bytes(b"\x93NUMPY garbage that is neither a zip nor an array")


@pytest.mark.parametrize("damage", [_truncated, _not_an_array_file], ids=["truncated", "garbage"])
def test_the_version_page_explains_an_authentic_artifact_that_cannot_be_read(
    damage, served_world, manager_client, settings
) -> None:
    """A version's serving arrays rewritten and their new SHA-256 recorded (the files are what the registry says,
    yet not an artifact): the staff version page answers 200 and says why it cannot be read, naming the version."""
    version = served_world.version
    arrays = Path(settings.MODEL_DIR) / version.artifact_dir / SERVING_ARRAYS
    damage(arrays)
    version.artifact_sha256 = {**version.artifact_sha256, SERVING_ARRAYS: file_sha256(arrays)}
    version.save(update_fields=["artifact_sha256"])

    response = manager_client.get(reverse("insights:version", args=[version.pk]))

    assert response.status_code == 200
    assert response.context["artifact_error"].startswith(ARTIFACT_UNREADABLE.format(version=version.pk, error=""))


@pytest.mark.parametrize("folder", ["../elsewhere", "/etc", "v1/../../escape", "."])
def test_a_version_folder_outside_model_dir_is_refused(served_world, settings, folder: str) -> None:
    """artifact_dir is a folder of its own in the store (one name): a path that leaves it (.., absolute) or is the
    store itself is an ArtifactError naming the version, before any file is opened."""
    version = served_world.version
    version.artifact_dir = folder
    with pytest.raises(ArtifactError) as refused:
        artifact_path(version=version)
    assert str(refused.value) == ARTIFACT_OUTSIDE_STORE.format(version=version.pk, folder=folder)
