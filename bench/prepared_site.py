"""A prepared copy of the site for the web benchmarks: SQLite with MovieLens 100k and an active trained model.

``prepare()`` builds it once under var/bench/site/ (``manage.py migrate``, ``import_movielens``, which fetches
MovieLens into the site's data cache, ``train``: about a minute) and copies it into a temporary folder for each
run, so the development database is never touched and a run's writes never leak into the next. ``server_env()``
is the environment of every process of a run: production settings on that copy, with the HTTPS redirect off
(plain HTTP on localhost) and rate limits out of the way. ``manage()`` is how a bench runs Django code there.
"""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from common import BENCH_DIR, PYTHON, ROOT

PREPARED = BENCH_DIR / "site"


def server_env(workdir: Path, redis_url: str, *, database_url: str | None = None) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "movierec_site.settings.production",
        "SECRET_KEY": "bench-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "False",
        "DEBUG": "False",
        "DATABASE_URL": database_url or f"sqlite:///{workdir / 'db.sqlite3'}",
        "MODEL_DIR": str(workdir / "models"),
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "LOG_LEVEL": "WARNING",
        # Production refuses a mail backend that delivers nothing; the benches send no mail, on purpose.
        "EMAIL_UNDELIVERED_ALLOWED": "true",
        # The benches measure the site, not the limiter: one address drives every client.
        "API_RATE_AUTH": "100000/m",
        "API_RATE_WRITE_USER": "100000/m",
        "API_RATE_WRITE_ADDRESS": "100000/m",
        "AXES_FAILURE_LIMIT": "100000",
    }


def manage(env: dict[str, str], *args: str, capture: bool = False) -> str:
    """``manage.py`` with ``args`` in ``env``; its standard output when ``capture`` (else it goes to the terminal)."""
    done = subprocess.run([PYTHON, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, check=True,
                          capture_output=capture, text=True)  # fmt: skip
    return done.stdout or ""


def prepare(workdir: Path, redis_url: str, *, fresh: bool = False, database_url: str | None = None) -> None:
    """The prepared site in ``workdir`` (SQLite copy and models), built under var/bench/site/ on first use.

    With ``database_url`` (PostgreSQL), that database is migrated, filled and trained in place when it has no
    active model yet; only the model folder lives in ``workdir`` then, and it is kept beside PREPARED.
    """
    if database_url:
        models = PREPARED.parent / "site-postgres-models"
        env = {**server_env(workdir, redis_url, database_url=database_url), "MODEL_DIR": str(models)}
        manage(env, "migrate", "--verbosity", "0")
        if fresh or not models.is_dir() or not any(models.iterdir()):
            print(f"Preparing {database_url}: import MovieLens 100k, train (once)", flush=True)
            manage(env, "import_movielens")
            manage(env, "train", "--force")
        shutil.copytree(models, workdir / "models")
        return
    if fresh or not (PREPARED / "db.sqlite3").is_file():
        shutil.rmtree(PREPARED, ignore_errors=True)
        PREPARED.mkdir(parents=True)
        env = server_env(PREPARED, redis_url)
        print(f"Preparing {PREPARED}: migrate, import MovieLens 100k, train (once)", flush=True)
        manage(env, "migrate", "--verbosity", "0")
        manage(env, "import_movielens")
        manage(env, "train")
        sqlite3.connect(PREPARED / "db.sqlite3").execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    shutil.copy(PREPARED / "db.sqlite3", workdir / "db.sqlite3")
    shutil.copytree(PREPARED / "models", workdir / "models")
    manage(server_env(workdir, redis_url), "migrate", "--verbosity", "0")  # migrations added since preparing
