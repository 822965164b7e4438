"""The model store, STORAGES["models"]: every file of a version written there, read back, and deleted.

A version's files are the objects ``<artifact_dir>/<name>`` (under MODEL_DIR, or under the bucket's prefix). The
worker writes them all or none; hosts read them into their caches, each file checked against its SHA-256 on the
way; the registry deletes them when it prunes or fails a version.
"""

import hashlib
import logging
from pathlib import Path

from django.core.files import File
from django.core.files.storage import Storage, storages

from recommender.models import ModelVersion
from recommender.services.artifacts import (
    ARTIFACT_FILE_MISSING,
    ARTIFACT_HASH_MISMATCH,
    ARTIFACT_STORE_FAILED,
    ArtifactError,
    ArtifactStoreError,
    artifact_files,
    artifact_folder,
)

logger = logging.getLogger(__name__)

MODEL_STORAGE_ALIAS = "models"
ARTIFACT_UPLOAD_RENAMED = "the model store saved {name} as {saved}: a version's files keep their names"
ARTIFACT_DELETE_FAILED = "model version %s's files could not be deleted from the model store: %s"


def model_storage() -> Storage:
    return storages[MODEL_STORAGE_ALIAS]


def artifact_upload(*, version: ModelVersion, directory: Path) -> None:
    """Write every recorded file of the version from ``directory`` into the store; all or nothing: on any error
    (or interrupt) the files it wrote are deleted and the error raised."""
    storage, folder = model_storage(), artifact_folder(version=version)
    try:
        for name in artifact_files(version=version):
            key = f"{folder}/{name}"
            with (directory / name).open("rb") as handle:
                saved = storage.save(key, File(handle, name=name))
            if saved != key:
                raise ArtifactError(ARTIFACT_UPLOAD_RENAMED.format(name=key, saved=saved))
    except BaseException:
        artifact_delete(version=version)
        raise


def artifact_download(*, version: ModelVersion, into: Path) -> None:
    """Every recorded file of the version from the store into the folder ``into``, each refused (ArtifactError,
    as artifact_check words it) as soon as it differs from its recorded SHA-256; ArtifactStoreError when the store
    does not answer."""
    storage, folder = model_storage(), artifact_folder(version=version)
    for name, expected in artifact_files(version=version).items():
        digest = hashlib.sha256()
        try:
            with storage.open(f"{folder}/{name}", "rb") as source, (into / name).open("wb") as target:
                for chunk in source.chunks():
                    digest.update(chunk)
                    target.write(chunk)
        except FileNotFoundError as error:
            raise ArtifactError(ARTIFACT_FILE_MISSING.format(name=name, version=version.pk)) from error
        except Exception as error:  # boto3's and the disk's: the store's fault, not the artifact's
            raise ArtifactStoreError(ARTIFACT_STORE_FAILED.format(version=version.pk, error=error)) from error
        if digest.hexdigest() != expected:
            raise ArtifactError(ARTIFACT_HASH_MISMATCH.format(name=name, version=version.pk))


def artifact_delete(*, version: ModelVersion) -> bool:
    """Delete every object under the version's folder in the store (whatever an interrupted upload left too);
    whether it could (a store that does not answer is logged, and the caller keeps the version's record)."""
    storage, folder = model_storage(), artifact_folder(version=version)
    try:
        try:
            _directories, names = storage.listdir(folder)
        except FileNotFoundError:  # the file system: no folder, nothing to delete
            return True
        for name in names:
            storage.delete(f"{folder}/{name}")
        storage.delete(folder)  # the file system's empty folder; no such object in a bucket
    except Exception as error:
        logger.warning(ARTIFACT_DELETE_FAILED, version.pk, error)
        return False
    return True
