"""This host's cache of model versions, keyed by version, and ``artifact_load``, the one way to read a model.

``artifact_fetch`` returns the version's folder in the cache (artifact_path) once every file in it matches the
registry's SHA-256: the copy there when it does, else a fresh download from the store into a temporary folder,
checked file by file and renamed into place, so that no reader ever sees a partial or tampered copy. With the
file-system store and no MODEL_CACHE_DIR the cache is MODEL_DIR itself: the store's folder is the copy, checked in
place, and nothing is copied. Promotion, manual activation, serving and the Model pages read through here.
"""

import os
import re
import shutil
import tempfile
import time
import zipfile
from pathlib import Path

from recommender.models import ModelVersion
from recommender.services.artifact_store import artifact_download
from recommender.services.artifacts import (
    ARTIFACT_UNREADABLE,
    ARTIFACT_UNSERVABLE,
    ArtifactError,
    artifact_check,
    artifact_files,
    artifact_path,
    cache_dir,
)
from recsys.lists import taste_prepare
from recsys.rating_model import FactorModel

DOWNLOAD_PREFIX = ".download-"
DISCARD_PREFIX = ".discard-"
# The folders the registry names (registry.version_finish): the only ones the cache's pruning deletes, so that a
# cache that is MODEL_DIR keeps the folders a person or a test put there.
VERSION_FOLDER = re.compile(r"v\d+-\d{8}-\d{6}")
# A download or discarded copy this old was left by a process that died: no download takes a day.
STALE_TEMPORARY_SECONDS = 24 * 3600


def artifact_fetch(*, version: ModelVersion) -> Path:
    """The version's verified folder in this host's cache, downloaded first when the copy there is missing or
    differs from the registry; ArtifactError says why the store's copy is refused (nothing of it stays)."""
    artifact_files(version=version)  # recorded at all, every name a plain one
    folder = artifact_path(version=version)
    try:
        artifact_check(version=version, directory=folder)
        return folder
    except ArtifactError:
        pass  # not cached, or a damaged copy: the store's decides
    cache = folder.parent
    cache.mkdir(parents=True, exist_ok=True)
    download = Path(tempfile.mkdtemp(prefix=f"{DOWNLOAD_PREFIX}{folder.name}-", dir=cache))
    try:
        artifact_download(version=version, into=download)
        _place(download, folder, version=version)
    finally:
        shutil.rmtree(download, ignore_errors=True)
    artifact_cache_prune()
    return folder


def _place(download: Path, folder: Path, *, version: ModelVersion) -> None:
    """Rename the checked download to the version's folder; another process of this host may have placed its own
    meanwhile (kept when sound, as a reader may be loading it), or a damaged copy may be in the way (set aside)."""
    try:
        download.rename(folder)
        return
    except OSError:
        if not folder.is_dir():
            raise
    try:
        artifact_check(version=version, directory=folder)
        return
    except ArtifactError:
        pass
    discard = Path(tempfile.mkdtemp(prefix=DISCARD_PREFIX, dir=folder.parent)) / folder.name
    os.replace(folder, discard)
    download.rename(folder)
    shutil.rmtree(discard.parent, ignore_errors=True)


def artifact_cache_prune() -> list[str]:
    """Delete this host's copies of the versions the registry no longer keeps, and what dead processes left of
    their downloads; returns the folder names.

    The cache is listed before the registry is read: a version's folder is recorded before its first file is
    written, so a folder seen here that the registry does not know is one it has forgotten, not one being made.
    """
    root = cache_dir()
    if not root.is_dir():
        return []
    listed = [path for path in root.iterdir() if path.is_dir()]
    kept = set(ModelVersion.objects.exclude(artifact_dir="").values_list("artifact_dir", flat=True))
    stale = time.time() - STALE_TEMPORARY_SECONDS
    pruned = [
        path
        for path in listed
        if (VERSION_FOLDER.fullmatch(path.name) and path.name not in kept)
        or (path.name.startswith((DOWNLOAD_PREFIX, DISCARD_PREFIX)) and _modified(path) < stale)
    ]
    for path in pruned:
        shutil.rmtree(path, ignore_errors=True)
    return [path.name for path in pruned]


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # removed meanwhile by the process that made it
        return float("inf")


def artifact_load(*, version: ModelVersion) -> FactorModel:
    """The version's model, its files verified and the artifact checked; ArtifactError says why it cannot be served."""
    directory = artifact_fetch(version=version)
    try:
        model = FactorModel.load(directory)
    # Authentic files, yet not an artifact we can read: a zip cut short is a BadZipFile, an array cut short EOFError.
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as error:
        raise ArtifactError(ARTIFACT_UNREADABLE.format(version=version.pk, error=error)) from error
    problems = model.problems()
    if problems:
        raise ArtifactError(ARTIFACT_UNSERVABLE.format(version=version.pk, problems="; ".join(problems)))
    taste_prepare(model=model)
    return model
