"""Where a model version's files live, the SHA-256 check every reader runs before trusting them, and the load.

``artifact_load`` is the one way to read a version's model: its files checked against the registry, then the
artifact's own check (``FactorModel.problems``). Promotion, manual activation, serving and the Model pages use it.
"""

import hashlib
import zipfile
from pathlib import Path

from django.conf import settings

from recommender.models import ModelVersion
from recsys.rating_model import FactorModel

ARTIFACT_HASH_MISMATCH = "artifact file {name} of model version {version} does not match its SHA-256 in the registry"
ARTIFACT_FILE_MISSING = "artifact file {name} of model version {version} is missing"
ARTIFACT_NOT_RECORDED = "model version {version} has no recorded artifact"
ARTIFACT_UNREADABLE = "artifact of model version {version} cannot be read: {error}"
ARTIFACT_UNSERVABLE = "model version {version} cannot be served: {problems}"
ARTIFACT_OUTSIDE_MODEL_DIR = "model version {version}'s folder {folder!r} is not a folder inside MODEL_DIR"


class ArtifactError(Exception):
    """A model version's files are missing or differ from what the registry recorded."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def artifact_path(*, version: ModelVersion) -> Path:
    """The version's folder, which must be a folder inside MODEL_DIR: not MODEL_DIR itself, and no path that leaves
    it ("..", an absolute path, a link that points out), else ArtifactError. The registry only records names it
    made, but the folder is read, served and deleted (rmtree): a row edited by hand must not point elsewhere."""
    root = Path(settings.MODEL_DIR)
    resolved, resolved_root = (root / version.artifact_dir).resolve(), root.resolve()
    if resolved_root not in resolved.parents:
        raise ArtifactError(ARTIFACT_OUTSIDE_MODEL_DIR.format(version=version.pk, folder=version.artifact_dir))
    return root / version.artifact_dir


def artifact_verify(*, version: ModelVersion) -> Path:
    """Check every recorded file against its SHA-256; returns the folder, or raises ArtifactError."""
    if not version.artifact_dir or not version.artifact_sha256:
        raise ArtifactError(ARTIFACT_NOT_RECORDED.format(version=version.pk))
    directory = artifact_path(version=version)
    for name, expected in version.artifact_sha256.items():
        path = directory / name
        if not path.is_file():
            raise ArtifactError(ARTIFACT_FILE_MISSING.format(name=name, version=version.pk))
        if file_sha256(path) != expected:
            raise ArtifactError(ARTIFACT_HASH_MISMATCH.format(name=name, version=version.pk))
    return directory


def artifact_load(*, version: ModelVersion) -> FactorModel:
    """The version's model, its files verified and the artifact checked; ArtifactError says why it cannot be served."""
    directory = artifact_verify(version=version)
    try:
        model = FactorModel.load(directory)
    # Authentic files, yet not an artifact we can read: a zip cut short is a BadZipFile, an array cut short EOFError.
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as error:
        raise ArtifactError(ARTIFACT_UNREADABLE.format(version=version.pk, error=error)) from error
    problems = model.problems()
    if problems:
        raise ArtifactError(ARTIFACT_UNSERVABLE.format(version=version.pk, problems="; ".join(problems)))
    return model
