"""The ``models`` entry of STORAGES, read from the environment: the file system under MODEL_DIR, or S3.

https://django-storages.readthedocs.io/en/latest/backends/amazon-S3.html: with ``MODEL_STORAGE=s3`` the model
versions' files live in the bucket MODEL_S3_BUCKET under the prefix MODEL_S3_PREFIX (``models`` when unset or empty),
at AWS or at the S3-compatible server MODEL_S3_ENDPOINT_URL (MinIO, Ceph, moto), signed with AWS_ACCESS_KEY_ID
and AWS_SECRET_ACCESS_KEY (else boto3's own chain: an instance role, ~/.aws) in AWS_S3_REGION_NAME.
"""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

MODEL_STORAGE_UNKNOWN = "MODEL_STORAGE is {value!r}: it must be filesystem (the default) or s3"
MODEL_S3_BUCKET_MISSING = "MODEL_STORAGE=s3 needs MODEL_S3_BUCKET, the bucket that holds the model versions' files"
MODEL_S3_PREFIX_DEFAULT = "models"
# A downloaded object is held in memory up to this size, then spooled to a temporary file.
S3_MAX_MEMORY_BYTES = 64 << 20
# A store that does not answer costs a host seconds, not minutes (botocore waits 60 s and tries 5 times by default):
# the web process keeps serving what it holds and asks again at its next check.
S3_CONNECT_TIMEOUT_S = 5
S3_READ_TIMEOUT_S = 30
S3_ATTEMPTS = 3

_S3_CREDENTIALS = {
    "region_name": "AWS_S3_REGION_NAME",
    "access_key": "AWS_ACCESS_KEY_ID",
    "secret_key": "AWS_SECRET_ACCESS_KEY",
}


def model_storage_entry(environ: Mapping[str, str]) -> dict[str, Any]:
    """STORAGES["models"] for the variables in ``environ``; ImproperlyConfigured names the one that is wrong."""
    kind = environ.get("MODEL_STORAGE") or "filesystem"
    if kind == "filesystem":
        # A retried upload of a version replaces its files, as S3 does, rather than saving beside them.
        return {"BACKEND": "recommender.storage.ModelDirStorage", "OPTIONS": {"allow_overwrite": True}}
    if kind != "s3":
        raise ImproperlyConfigured(MODEL_STORAGE_UNKNOWN.format(value=kind))
    bucket = environ.get("MODEL_S3_BUCKET")
    if not bucket:
        raise ImproperlyConfigured(MODEL_S3_BUCKET_MISSING)
    options: dict[str, Any] = {
        "bucket_name": bucket,
        "location": (environ.get("MODEL_S3_PREFIX") or MODEL_S3_PREFIX_DEFAULT).strip("/"),
        "file_overwrite": True,
        "default_acl": None,
        "querystring_auth": False,
        "max_memory_size": S3_MAX_MEMORY_BYTES,
    }
    endpoint = environ.get("MODEL_S3_ENDPOINT_URL")
    if endpoint:
        options["endpoint_url"] = endpoint
    from botocore.config import Config  # type: ignore[import-untyped]  # only where the store is S3

    options["client_config"] = Config(
        connect_timeout=S3_CONNECT_TIMEOUT_S,
        read_timeout=S3_READ_TIMEOUT_S,
        retries={"mode": "standard", "max_attempts": S3_ATTEMPTS},
        # S3-compatible servers answer at one host name, not one per bucket: path-style addresses.
        s3={"addressing_style": "path" if endpoint else "auto"},
    )
    options.update({option: environ[name] for option, name in _S3_CREDENTIALS.items() if environ.get(name)})
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
