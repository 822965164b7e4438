"""A prepared copy of the site for the web benchmarks: SQLite with MovieLens 100k and an active trained model.

``prepare()`` builds it once under var/bench/site/ (``manage.py migrate``, ``import_movielens``, ``train``: about a
minute) and copies it into a temporary folder for each run, so the development database is never touched and a
run's writes never leak into the next. ``server_env()`` is the environment of every process of a run: production
settings on that copy, with the HTTPS redirect off (plain HTTP on localhost) and rate limits out of the way.
"""

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PREPARED = ROOT / "var" / "bench" / "site"
# A local MovieLens copy in recbole layout, when this machine has one; else import_movielens fetches ml-100k.
RECBOLE_COPY = Path("/tmp/rb/x/recbole/dataset_example/ml-100k")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
        # The benches measure the site, not the limiter: one address drives every client.
        "API_RATE_AUTH": "100000/m",
        "API_RATE_WRITE_USER": "100000/m",
        "API_RATE_WRITE_ADDRESS": "100000/m",
        "AXES_FAILURE_LIMIT": "100000",
    }


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, check=True)


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
            manage(env, "import_movielens", *_source())
            manage(env, "train", "--force")
        shutil.copytree(models, workdir / "models")
        return
    if fresh or not (PREPARED / "db.sqlite3").is_file():
        shutil.rmtree(PREPARED, ignore_errors=True)
        PREPARED.mkdir(parents=True)
        env = server_env(PREPARED, redis_url)
        print(f"Preparing {PREPARED}: migrate, import MovieLens 100k, train (once)", flush=True)
        manage(env, "migrate", "--verbosity", "0")
        manage(env, "import_movielens", *_source())
        manage(env, "train")
        sqlite3.connect(PREPARED / "db.sqlite3").execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    shutil.copy(PREPARED / "db.sqlite3", workdir / "db.sqlite3")
    shutil.copytree(PREPARED / "models", workdir / "models")
    manage(server_env(workdir, redis_url), "migrate", "--verbosity", "0")  # migrations added since preparing


def _source() -> list[str]:
    return ["--source", str(RECBOLE_COPY)] if RECBOLE_COPY.is_dir() else []


class PrivateRedis:
    """redis-server on a free port with no persistence, for one run; stopped by ``stop()``."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server is not installed (apt install redis-server)")
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                   "--dir", str(workdir)]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        import redis

        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                break
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise SystemExit("redis-server did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def rss_mb(pid: int) -> tuple[float, float]:
    """(resident, peak resident) memory of a process in MiB, from /proc."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("Vm")
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def quantile(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of values; NaN when there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]
