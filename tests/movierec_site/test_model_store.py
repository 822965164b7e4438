"""The model store's settings: the file system under MODEL_DIR read in place by default, S3 from the environment,
and a clear stop when S3 is asked for without a bucket."""

import pytest

from movierec_site.model_store import MODEL_S3_BUCKET_MISSING, MODEL_STORAGE_UNKNOWN
from tests.movierec_site.production_settings import production_settings_import
from tests.movierec_site.test_settings import SECRET_KEY, SMTP, run_manage

S3_ENV = {
    "MODEL_STORAGE": "s3",
    "MODEL_S3_BUCKET": "movierec-models",
    "MODEL_S3_PREFIX": "site/models/",
    "MODEL_S3_ENDPOINT_URL": "http://objects.internal:9000",
    "AWS_ACCESS_KEY_ID": "key-id",
    "AWS_SECRET_ACCESS_KEY": "secret",
    "AWS_S3_REGION_NAME": "eu-west-3",
}
# Set empty rather than removed: a developer's .env fills in only the variables that are missing.
UNSET = dict.fromkeys([*S3_ENV, "MODEL_CACHE_DIR"], "")


def test_by_default_the_store_is_model_dir_and_the_cache_reads_it_in_place(monkeypatch, tmp_path) -> None:
    """With no MODEL_* variable, versions are stored under MODEL_DIR and no cache folder is set: each host reads
    the store's folders where they are."""
    production = production_settings_import(monkeypatch, {**UNSET, "MODEL_DIR": str(tmp_path)})
    assert production.STORAGES["models"] == {
        "BACKEND": "recommender.storage.ModelDirStorage",
        "OPTIONS": {"allow_overwrite": True},
    }
    assert production.MODEL_CACHE_DIR is None


def test_s3_settings_come_from_the_environment(monkeypatch) -> None:
    """MODEL_STORAGE=s3: django-storages' S3 backend on the bucket, under the prefix, at the endpoint (path-style
    addresses), in the region, with the credentials; the cache defaults to var/model-cache, MODEL_CACHE_DIR
    elsewhere when set."""
    production = production_settings_import(monkeypatch, S3_ENV)
    entry = production.STORAGES["models"]
    assert entry["BACKEND"] == "storages.backends.s3.S3Storage"
    options = entry["OPTIONS"]
    assert {name: options[name] for name in ("bucket_name", "location", "endpoint_url", "region_name")} == {
        "bucket_name": "movierec-models",
        "location": "site/models",
        "endpoint_url": "http://objects.internal:9000",
        "region_name": "eu-west-3",
    }
    assert (options["access_key"], options["secret_key"]) == ("key-id", "secret")
    assert options["client_config"].s3 == {"addressing_style": "path"}
    assert production.MODEL_CACHE_DIR == production.VAR_DIR / "model-cache"
    elsewhere = production_settings_import(monkeypatch, {**S3_ENV, "MODEL_CACHE_DIR": "/srv/movierec/cache"})
    assert str(elsewhere.MODEL_CACHE_DIR) == "/srv/movierec/cache"


def test_s3_at_aws_needs_only_the_bucket(monkeypatch) -> None:
    """Without an endpoint, credentials or prefix: AWS's own addresses, boto3's credentials chain (no key in the
    settings), and the prefix ``models``."""
    production = production_settings_import(monkeypatch, {**UNSET, "MODEL_STORAGE": "s3", "MODEL_S3_BUCKET": "b"})
    options = production.STORAGES["models"]["OPTIONS"]
    assert options["location"] == "models"
    assert not {"endpoint_url", "access_key", "secret_key", "region_name"} & set(options)
    assert options["client_config"].s3 == {"addressing_style": "auto"}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MODEL_STORAGE": "s3", "MODEL_S3_BUCKET": ""}, MODEL_S3_BUCKET_MISSING),
        ({"MODEL_STORAGE": "gcs"}, MODEL_STORAGE_UNKNOWN.format(value="gcs")),
    ],
    ids=["s3-without-bucket", "unknown"],
)
def test_a_store_that_cannot_be_used_stops_the_site_saying_why(env: dict[str, str], message: str) -> None:
    """S3 without a bucket, or a store that does not exist: `manage.py check` exits non-zero with the message
    naming the variable."""
    result = run_manage("check", env={"SECRET_KEY": SECRET_KEY, "EMAIL_URL": SMTP, **env})
    assert result.returncode != 0
    assert message in result.stderr
