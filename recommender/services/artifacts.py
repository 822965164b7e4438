"""What every reader of a model version's files checks: the names the registry recorded, and their SHA-256.

A version's files live in the model store (artifact_store) under ``<artifact_dir>/<name>``; each host reads them
from its own cache (artifact_cache), ``artifact_path`` here, after checking them with ``artifact_check``.
"""

import hashlib
import re
from pathlib import Path

from django.conf import settings

from recommender.models import ModelVersion

ARTIFACT_HASH_MISMATCH = "artifact file {name} of model version {version} does not match its SHA-256 in the registry"
ARTIFACT_FILE_MISSING = "artifact file {name} of model version {version} is missing"
ARTIFACT_NOT_RECORDED = "model version {version} has no recorded artifact"
ARTIFACT_UNREADABLE = "artifact of model version {version} cannot be read: {error}"
ARTIFACT_UNSERVABLE = "model version {version} cannot be served: {problems}"
ARTIFACT_OUTSIDE_STORE = "model version {version}'s folder {folder!r} is not a folder of its own in the model store"
ARTIFACT_FILE_NAME_INVALID = "artifact file {name!r} of model version {version} is not a file name of its folder"
ARTIFACT_STORE_FAILED = "model version {version}'s files could not be read from the model store: {error}"

# One path segment: no separator, no "." or "..", nothing hidden (the registry's staging and download folders).
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class ArtifactError(Exception):
    """A model version's files are missing or differ from what the registry recorded."""


class ArtifactStoreError(ArtifactError):
    """The model store did not answer or refused: not the artifact's fault, so worth asking again later."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def artifact_folder(*, version: ModelVersion) -> str:
    """The version's folder name, the same in the store and in every cache; ArtifactError unless it is one plain
    path segment. The registry only records names it made, but the folder is read, served and deleted: a row edited
    by hand must not point at another prefix of the bucket or another folder of the disk ("..", "/etc", ".")."""
    if not _NAME.fullmatch(version.artifact_dir):
        raise ArtifactError(ARTIFACT_OUTSIDE_STORE.format(version=version.pk, folder=version.artifact_dir))
    return version.artifact_dir


def artifact_files(*, version: ModelVersion) -> dict[str, str]:
    """{file name: SHA-256} as recorded, each name checked as the folder's is (a download writes to it)."""
    if not version.artifact_dir or not version.artifact_sha256:
        raise ArtifactError(ARTIFACT_NOT_RECORDED.format(version=version.pk))
    for name in version.artifact_sha256:
        if not _NAME.fullmatch(name):
            raise ArtifactError(ARTIFACT_FILE_NAME_INVALID.format(name=name, version=version.pk))
    return dict(version.artifact_sha256)


def cache_dir() -> Path:
    """This host's cache of versions: MODEL_CACHE_DIR, else MODEL_DIR (the file-system store, read in place)."""
    return Path(settings.MODEL_CACHE_DIR or settings.MODEL_DIR)


def artifact_path(*, version: ModelVersion) -> Path:
    """The version's folder in this host's cache, which must be a folder right inside it, also once links are
    resolved, else ArtifactError."""
    root = cache_dir()
    folder = root / artifact_folder(version=version)
    if folder.resolve().parent != root.resolve():
        raise ArtifactError(ARTIFACT_OUTSIDE_STORE.format(version=version.pk, folder=version.artifact_dir))
    return folder


def artifact_check(*, version: ModelVersion, directory: Path) -> None:
    """Every recorded file present in ``directory`` with its recorded SHA-256, else ArtifactError naming the first
    that is not."""
    for name, expected in artifact_files(version=version).items():
        path = directory / name
        if not path.is_file():
            raise ArtifactError(ARTIFACT_FILE_MISSING.format(name=name, version=version.pk))
        if file_sha256(path) != expected:
            raise ArtifactError(ARTIFACT_HASH_MISMATCH.format(name=name, version=version.pk))
