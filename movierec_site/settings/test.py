"""Test settings: fast password hashing, a throwaway model folder, real database and Redis from the environment."""

import tempfile
from pathlib import Path

from movierec_site.model_store import model_storage_entry

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = "test-secret-key"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MODEL_DIR = Path(env("MODEL_DIR", default=tempfile.mkdtemp(prefix="movierec-test-models-")))
POSTER_DIR = Path(tempfile.mkdtemp(prefix="movierec-test-posters-"))
TMDB_API_KEY = ""  # a developer's key in .env must never send the tests to TMDB
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The file-system model store under MODEL_DIR, read in place: MODEL_STORAGE=s3 in a developer's .env must never
# send the tests to a bucket (the S3 tests point the store at their own server).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "models": model_storage_entry({}),
}
MODEL_CACHE_DIR = None
# Each test process its own cache: a test's cached pages are not another's, nor a running site's.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Every test sees the ratings it wrote, not a previous test's cached statistics.
RECOMMENDER_STATS_SECONDS = 0
