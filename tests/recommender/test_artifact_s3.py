"""The model store in S3-compatible object storage (moto's server, a real S3 API over HTTP): a version's files
written all or nothing and read back checked, each host's cache keyed by version and read without the store once
filled, old versions pruned in the bucket and in every cache, a tampered object refused before it enters a cache."""

import datetime as dt
import hashlib
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from storages.backends.s3 import S3Storage

from movierec_site.model_store import model_storage_entry
from recommender.models import ModelVersion
from recommender.services.artifact_cache import DOWNLOAD_PREFIX, artifact_load
from recommender.services.artifact_store import artifact_delete, artifact_upload
from recommender.services.artifacts import (
    ARTIFACT_FILE_MISSING,
    ARTIFACT_FILE_NAME_INVALID,
    ARTIFACT_HASH_MISMATCH,
    ARTIFACT_OUTSIDE_STORE,
    ARTIFACT_STORE_FAILED,
    ArtifactError,
    artifact_path,
)
from recommender.services.outcomes import OutcomeStatus
from recommender.services.registry import (
    STAGING_PREFIX,
    activation_request,
    version_activate,
    versions_interrupted_fail,
    versions_prune,
)
from recommender.services.retrain import model_retrain
from recommender.services.serving import MODEL_LOAD_FAILED, served_model, serving_reset
from recsys.rating_model import SERVING_ARRAYS, SERVING_META
from tests.processes import S3Server
from tests.recommender.served_models import model_version_create
from tests.recommender.training_data import ratings_create
from tests.recsys.arrays import SMALL, synthetic_ratings

pytestmark = pytest.mark.django_db

PREFIX = "models"
CONNECTION_DROPPED = "the connection to the store dropped"


@dataclass
class Bucket:
    """A test's bucket on the S3 server, read and written as an outsider (boto3), not through the site."""

    server: S3Server
    name: str

    def objects(self) -> list[str]:
        listed = self.server.client().list_objects_v2(Bucket=self.name, Prefix=f"{PREFIX}/")
        return sorted(entry["Key"] for entry in listed.get("Contents", []))

    def body(self, key: str) -> bytes:
        return self.server.client().get_object(Bucket=self.name, Key=key)["Body"].read()

    def put(self, key: str, body: bytes) -> None:
        self.server.client().put_object(Bucket=self.name, Key=key, Body=body)

    def delete(self, key: str) -> None:
        self.server.client().delete_object(Bucket=self.name, Key=key)


def _point(settings, server: S3Server, tmp_path: Path) -> Bucket:
    """This process as a host whose model store is a new bucket on ``server``: MODEL_DIR (the worker's staging
    folders) and MODEL_CACHE_DIR folders of its own."""
    bucket = Bucket(server=server, name=server.bucket_create())
    settings.STORAGES = {**settings.STORAGES, "models": model_storage_entry(server.env(bucket=bucket.name))}
    settings.MODEL_DIR = tmp_path / "models"
    settings.MODEL_CACHE_DIR = tmp_path / "cache"
    return bucket


@pytest.fixture
def bucket(fresh_serving, isolated, s3_server: S3Server, settings, tmp_path: Path) -> Bucket:
    return _point(settings, s3_server, tmp_path)


@pytest.fixture
def ratings(bucket):
    return ratings_create(synthetic_ratings())


def _keys_of(version: ModelVersion) -> list[str]:
    return sorted(f"{PREFIX}/{version.artifact_dir}/{name}" for name in version.artifact_sha256)


def _stored(name: str, *, status: str = ModelVersion.Status.READY, keep_local: bool = False) -> ModelVersion:
    """A hand-made version written to the store as a worker writes it; nothing of it left on this host unless
    ``keep_local`` (its files stay in MODEL_DIR/<name>, to write them again)."""
    version = model_version_create(
        name=name,
        user_ids=[1, 2],
        user_factors=np.full((2, 2), 0.5),
        movie_ids=[1, 2, 3],
        movie_factors=np.full((3, 2), 0.5),
        status=status,
    )
    version.metrics = {"rmse": 0.9}
    version.save()
    local = _local(version)
    artifact_upload(version=version, directory=local)
    if not keep_local:
        shutil.rmtree(local)
    return version


def _local(version: ModelVersion) -> Path:
    return Path(django_settings.MODEL_DIR) / version.artifact_dir


def _cached(settings) -> list[str]:
    return sorted(path.name for path in Path(settings.MODEL_CACHE_DIR).iterdir())


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_retrain_writes_every_file_to_the_bucket_and_the_host_serves_its_checked_copy(
    ratings, bucket: Bucket, settings
) -> None:
    """A retrain's version is in the bucket, one object per recorded file under <prefix>/<artifact_dir>/, each
    with its recorded SHA-256; no staging folder is left; the worker read it back into its cache (one folder, no
    download left over), and the site serves it."""
    version = model_retrain(hyperparameters=SMALL).version
    assert version.status == ModelVersion.Status.ACTIVE
    assert bucket.objects() == _keys_of(version)
    for name, expected in version.artifact_sha256.items():
        assert _sha256(bucket.body(f"{PREFIX}/{version.artifact_dir}/{name}")) == expected
    assert list(Path(settings.MODEL_DIR).iterdir()) == []
    assert _cached(settings) == [version.artifact_dir]
    assert served_model().version.pk == version.pk


# The names of the objects the dropping store wrote before it reported a failure.
dropped: list[str] = []


class DroppingS3Storage(S3Storage):
    """S3 whose connection drops as the version's last file is written: the object is there, the upload failed."""

    def _save(self, name: str, content) -> str:
        saved = super()._save(name, content)
        dropped.append(name)
        if name.endswith(SERVING_META):
            raise ConnectionError(CONNECTION_DROPPED)
        return saved


def test_a_failed_upload_fails_the_version_and_leaves_nothing_of_it(ratings, bucket: Bucket, settings) -> None:
    """The store fails while a retrain writes its version: the version is failed with the reason, every object it
    had written is deleted from the bucket, nothing is left in MODEL_DIR or the cache, and the active version is
    served as before."""
    active = model_retrain(hyperparameters=SMALL).version
    before = bucket.objects()
    dropping = model_storage_entry(bucket.server.env(bucket=bucket.name))
    settings.STORAGES = {**settings.STORAGES, "models": {**dropping, "BACKEND": f"{__name__}.DroppingS3Storage"}}
    dropped.clear()
    with pytest.raises(ConnectionError):
        model_retrain(force=True, hyperparameters=SMALL)
    failed = ModelVersion.objects.exclude(pk=active.pk).get()
    assert (failed.status, failed.error) == (ModelVersion.Status.FAILED, f"ConnectionError: {CONNECTION_DROPPED}")
    assert failed.artifact_dir == ""
    assert len(dropped) >= 2, "the upload had written objects before it failed"
    assert bucket.objects() == before
    assert list(Path(settings.MODEL_DIR).iterdir()) == []
    assert _cached(settings) == [active.artifact_dir]
    active.refresh_from_db()
    assert active.status == ModelVersion.Status.ACTIVE
    assert served_model().version.pk == active.pk


def test_a_version_left_half_written_by_a_killed_worker_is_deleted_from_the_bucket(bucket: Bucket) -> None:
    """A version still training whose folder is recorded and partly written (the worker died while writing) is
    failed by the next retrain's clean-up, and its objects are deleted from the bucket."""
    version = _stored("v1-20240101-000001", status=ModelVersion.Status.TRAINING)
    bucket.delete(_keys_of(version)[0])
    assert bucket.objects() != []
    assert versions_interrupted_fail() == [version.pk]
    version.refresh_from_db()
    assert (version.status, version.artifact_dir) == (ModelVersion.Status.FAILED, "")
    assert bucket.objects() == []


def test_a_cached_version_is_served_again_without_downloading_it(bucket: Bucket, settings) -> None:
    """Once a host has a version's checked copy, a process that starts there serves it from the cache: the same
    files (not written again), with the bucket emptied meanwhile."""
    version = _stored("v1-20240101-000001", status=ModelVersion.Status.ACTIVE)
    assert served_model().version.pk == version.pk
    folder = artifact_path(version=version)
    written = {path.name: path.stat().st_ino for path in folder.iterdir()}
    for key in bucket.objects():
        bucket.delete(key)

    serving_reset()  # a process that starts on this host
    assert served_model().version.pk == version.pk
    assert {path.name: path.stat().st_ino for path in folder.iterdir()} == written
    assert _cached(settings) == [version.artifact_dir]


def test_a_damaged_cached_copy_is_replaced_by_the_store_s(bucket: Bucket, settings) -> None:
    """A cached file that no longer matches its SHA-256 (the host's disk) is not served: the store's copy is
    downloaded again, checked, and served."""
    version = _stored("v1-20240101-000001", status=ModelVersion.Status.ACTIVE)
    assert served_model().version.pk == version.pk
    arrays = artifact_path(version=version) / SERVING_ARRAYS
    arrays.write_bytes(b"damaged on this host's disk")

    serving_reset()
    assert served_model().version.pk == version.pk
    assert _sha256(arrays.read_bytes()) == version.artifact_sha256[SERVING_ARRAYS]
    assert _cached(settings) == [version.artifact_dir]


def _flip_a_byte(bucket: Bucket, key: str) -> None:
    body = bytearray(bucket.body(key))
    body[len(body) // 2] ^= 0xFF
    bucket.put(key, bytes(body))


TAMPERINGS = {
    "corrupted": (_flip_a_byte, ARTIFACT_HASH_MISMATCH),
    "deleted": (Bucket.delete, ARTIFACT_FILE_MISSING),
}


@pytest.mark.parametrize("tampering", TAMPERINGS)
def test_a_tampered_object_is_refused_and_never_enters_a_cache(
    tampering: str, bucket: Bucket, settings, tmp_path: Path, caplog
) -> None:
    """A version activated while sound, whose serving arrays are then changed or deleted in the bucket: a host
    that starts with an empty cache refuses it (the error logged, naming the file), serves the popularity list,
    and keeps nothing of it, not even a download folder; activating it again is refused with the same reason."""
    tamper, error = TAMPERINGS[tampering]
    version = _stored("v1-20240101-000001")
    version_activate(version=version)  # checked: sound when activated
    tamper(bucket, f"{PREFIX}/{version.artifact_dir}/{SERVING_ARRAYS}")
    settings.MODEL_CACHE_DIR = tmp_path / "another-host-cache"
    serving_reset()
    expected = error.format(name=SERVING_ARRAYS, version=version.pk)

    with caplog.at_level(logging.ERROR, logger="recommender.services.serving"):
        assert served_model() is None
    assert MODEL_LOAD_FAILED.format(version=version.pk, error=expected) in caplog.messages
    with pytest.raises(ArtifactError) as refused:
        artifact_load(version=version)
    assert str(refused.value) == expected
    assert not Path(settings.MODEL_CACHE_DIR).exists() or _cached(settings) == []
    outcome = activation_request(version=version)
    assert (outcome.status, outcome.message) == (OutcomeStatus.REFUSED, expected)


def test_prune_deletes_old_versions_in_the_bucket_and_in_each_host_s_cache(
    bucket: Bucket, settings, tmp_path: Path
) -> None:
    """Pruning deletes the old versions' objects in the bucket and the worker host's copies; another host drops
    its copies of them when it next downloads a version. The active and the newest versions stay everywhere."""
    names = [f"v{number}-20240101-00000{number}" for number in range(1, 5)]
    versions = [_stored(name) for name in names]
    for age, version in enumerate(versions):  # the first, to be active, is the oldest
        ModelVersion.objects.filter(pk=version.pk).update(created_at=dt.datetime(2024, 1, 1 + age, tzinfo=dt.UTC))
    worker_cache, web_cache = settings.MODEL_CACHE_DIR, tmp_path / "web-host-cache"
    for cache in (web_cache, worker_cache):
        settings.MODEL_CACHE_DIR = cache
        for version in versions:
            artifact_load(version=version)
    version_activate(version=versions[0])

    assert sorted(versions_prune(keep=1)) == sorted(version.pk for version in versions[1:3])
    kept = [versions[0], versions[3]]
    assert bucket.objects() == sorted(key for version in kept for key in _keys_of(version))
    assert _cached(settings) == [version.artifact_dir for version in kept]

    settings.MODEL_CACHE_DIR = web_cache
    assert _cached(settings) == names  # the web host has not downloaded anything since
    newer = _stored("v5-20240105-000005")
    artifact_load(version=newer)
    assert _cached(settings) == [*(version.artifact_dir for version in kept), newer.artifact_dir]


def test_a_store_that_does_not_answer_is_asked_again_and_the_held_model_served(
    fresh_serving, isolated, settings, tmp_path: Path, caplog
) -> None:
    """The S3 server dies after another host activated a new version: this host keeps serving the model it holds
    (not the popularity list), activation is refused saying the store could not be read, and once the store
    answers again the new version is served, with no restart."""
    server = S3Server(log=tmp_path / "moto.log").start()
    try:
        bucket = _point(settings, server, tmp_path)
        held = _stored("v1-20240101-000001", status=ModelVersion.Status.ACTIVE)
        assert served_model().version.pk == held.pk
        new = _stored("v2-20240101-000002", keep_local=True)
        ModelVersion.objects.filter(pk=held.pk).update(status=ModelVersion.Status.READY)
        ModelVersion.objects.filter(pk=new.pk).update(status=ModelVersion.Status.ACTIVE, activated_at=timezone.now())
        server.kill()

        with caplog.at_level(logging.ERROR, logger="recommender.services.serving"):
            assert served_model().version.pk == held.pk
        assert any(record.exc_info for record in caplog.records), "the store's error is logged with its traceback"
        outcome = activation_request(version=new)
        assert outcome.status == OutcomeStatus.REFUSED
        assert outcome.message.startswith(ARTIFACT_STORE_FAILED.format(version=new.pk, error=""))

        server.start()  # the same address, empty: the worker's copy is written again
        server.bucket_create(bucket.name)
        artifact_upload(version=new, directory=_local(new))
        assert served_model().version.pk == new.pk
        assert not list(Path(settings.MODEL_CACHE_DIR).glob(f"{DOWNLOAD_PREFIX}*"))
        assert not list(Path(settings.MODEL_DIR).glob(f"{STAGING_PREFIX}*"))
    finally:
        server.kill()


@pytest.mark.parametrize("folder", ["../elsewhere", "/elsewhere", "v1/../../elsewhere", "."])
def test_a_version_folder_outside_the_prefix_is_refused_before_any_request(
    bucket: Bucket, settings, folder: str
) -> None:
    """A row edited by hand to name a folder that leaves the bucket's prefix, or is the prefix itself: reading,
    writing and deleting it are refused, naming the version, and the objects outside the prefix stay untouched."""
    outside = "elsewhere/serving.npz"
    bucket.put(outside, b"not the site's")
    version = _stored("v1-20240101-000001", keep_local=True)
    local = _local(version)
    version.artifact_dir = folder
    operations = {
        "read": lambda: artifact_load(version=version),
        "write": lambda: artifact_upload(version=version, directory=local),
        "delete": lambda: artifact_delete(version=version),
    }
    for operation in operations.values():
        with pytest.raises(ArtifactError) as refused:
            operation()
        assert str(refused.value) == ARTIFACT_OUTSIDE_STORE.format(version=version.pk, folder=folder)
    assert bucket.body(outside) == b"not the site's"
    assert bucket.objects() == _keys_of(ModelVersion.objects.get(pk=version.pk))  # its recorded folder's too


def test_a_recorded_file_name_that_leaves_the_folder_is_refused(bucket: Bucket, settings) -> None:
    """A recorded file name with a path in it is refused before anything is downloaded or written."""
    version = _stored("v1-20240101-000001")
    version.artifact_sha256 = {"../../escaped": "0" * 64}
    with pytest.raises(ArtifactError) as refused:
        artifact_load(version=version)
    assert str(refused.value) == ARTIFACT_FILE_NAME_INVALID.format(name="../../escaped", version=version.pk)
    assert not Path(settings.MODEL_CACHE_DIR).exists()
