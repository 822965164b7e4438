"""Real services that tests start and stop themselves: a private redis-server, an S3-compatible server (moto), a Celery
worker process on the queues it is given, celery beat, and the Procfile's web server (gunicorn with the site's
config).

A fault test owns its own Redis (a free port, no persistence) so that killing it harms no other test, and
starts its worker in a session of its own so that SIGKILL reaches the pool's children too, as when a machine
or a container dies. Tests that share the developer's Redis keep their keys in a database number of their own
(``redis_database_url``), and point the site's Celery app at it (``celery_app_broker``).
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self
from urllib.parse import quote, urlsplit, urlunsplit

import redis
import requests
from celery import Celery
from django.conf import settings as django_settings
from django.db import connections

from scripts.ensure_redis import LOG_FILE, RedisStartError, free_port, redis_start

ROOT = Path(__file__).resolve().parent.parent
START_S = 90


class ServiceError(Exception):
    """A service did not start; the message holds the end of its log."""


class ServiceProcess:
    """What every process here shares: launched from the repository with its output in ``log``, waited on until it
    is ready, asked to end (``stop``: SIGTERM, then SIGKILL after 30 s) or ended at once (``kill``: SIGKILL, as in a
    crash). With ``own_session`` it runs in a session of its own and every signal goes to its whole group, its
    children included."""

    log: Path
    own_session = False
    process: subprocess.Popen | None = None

    def _launch(
        self,
        command: list[str],
        *,
        env: dict[str, str] | None,
        ready: Callable[[], bool],
        what: str,
        every_s: float = 0.1,
        give_up: Callable[[], None] | None = None,
    ) -> None:
        """``command`` started, then ``ready`` asked every ``every_s`` until it holds; ServiceError saying ``what``,
        with the end of the log, when the process exits first or START_S pass (after ``give_up``, else ``kill``)."""
        with self.log.open("a") as output:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=self.own_session
            )
        deadline = time.monotonic() + START_S
        while not ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                (give_up or self.kill)()
                raise ServiceError(f"{what}; its log:\n{self.log_tail()}")
            time.sleep(every_s)

    def log_tail(self) -> str:
        return self.log.read_text()[-4000:] if self.log.exists() else ""

    def _signal(self, number: signal.Signals) -> None:
        assert self.process is not None
        if self.own_session:
            os.killpg(self.process.pid, number)
        else:
            self.process.send_signal(number)

    def kill(self) -> None:
        """Gone at once (SIGKILL): no cleanup code runs, nothing is released or written down."""
        if self.process is not None and self.process.poll() is None:
            self._signal(signal.SIGKILL)
            self.process.wait()
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None


class RedisServer(ServiceProcess):
    """redis-server on a free local port; ``kill`` (SIGKILL) and ``start`` again on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.log = workdir / LOG_FILE
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=1)

    def start(self) -> Self:
        try:
            self.process = redis_start(port=self.port, directory=self.workdir, seconds=START_S)
        except RedisStartError as error:
            raise ServiceError(str(error)) from error
        return self

    def freeze(self) -> None:
        """Hung, not dead (SIGSTOP): connections are accepted by the kernel and never answered."""
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)


class S3Server(ServiceProcess):
    """moto's S3-compatible server (``moto_server``, in memory) on a free port of ``host``: the stand-in for the
    model store's object storage. ``env(bucket=...)`` is what a process sets to keep its model versions there;
    ``kill`` and ``start`` again on the same port (empty again: moto keeps nothing)."""

    # moto takes any credentials; a region is needed to sign.
    ACCESS_KEY = SECRET_KEY = "moto-testing"
    REGION = "us-east-1"

    def __init__(self, *, log: Path, host: str = "127.0.0.1") -> None:
        self.log = log
        self.host = host
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Self:
        command = [str(Path(sys.executable).parent / "moto_server"), "-H", self.host, "-p", str(self.port)]
        self._launch(command, env=None, ready=self._answers, what="the S3 server did not answer")
        return self

    def _answers(self) -> bool:
        return _answers(f"{self.url}/moto-api/", ok=True)

    def client(self) -> Any:
        """A boto3 S3 client of this server."""
        import boto3  # the web and worker processes import it only with MODEL_STORAGE=s3

        return boto3.client("s3", endpoint_url=self.url, region_name=self.REGION, aws_access_key_id=self.ACCESS_KEY,
                            aws_secret_access_key=self.SECRET_KEY)  # fmt: skip

    def bucket_create(self, name: str | None = None) -> str:
        """A new empty bucket (a fresh name unless given); its name."""
        name = name or f"movierec-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def env(self, *, bucket: str, prefix: str = "models") -> dict[str, str]:
        """The environment of a process whose model store is ``bucket`` under ``prefix`` on this server."""
        return {
            "MODEL_STORAGE": "s3",
            "MODEL_S3_BUCKET": bucket,
            "MODEL_S3_PREFIX": prefix,
            "MODEL_S3_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": self.ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": self.SECRET_KEY,
            "AWS_S3_REGION_NAME": self.REGION,
        }


def _answers(url: str, *, ok: bool = False) -> bool:
    """Whether ``url`` answers at all (with ``ok``: answers a success; an error status raises requests' error)."""
    try:
        response = requests.get(url, timeout=5)
    except (requests.ConnectionError, requests.Timeout):
        return False
    if ok:
        response.raise_for_status()
    return True


def database_url() -> str:
    """The URL of the test database as this process sees it, for a worker process to open the same one."""
    connection = connections["default"]
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        if connection.is_in_memory_db():
            raise ServiceError("the test database is in memory: a worker process cannot open it (tests/conftest.py)")
        return f"sqlite:///{Path(database['NAME']).resolve()}"
    if connection.vendor == "postgresql":
        user = quote(database["USER"] or "", safe="")
        password = f":{quote(database['PASSWORD'], safe='')}" if database["PASSWORD"] else ""
        credentials = f"{user}{password}@" if user else ""
        port = database["PORT"] or 5432
        return f"postgres://{credentials}{database['HOST'] or 'localhost'}:{port}/{database['NAME']}"
    raise ServiceError(f"no worker database URL for {database['ENGINE']}")


def redis_database_url(number: int) -> str:
    """REDIS_URL on database ``number``: the keys, queue and results of one group of tests, apart from others'."""
    return urlunsplit(urlsplit(django_settings.REDIS_URL)._replace(path=f"/{number}"))


# The retrain's queue (settings.CELERY_TASK_ROUTES), where the site's enqueued retrains wait for a worker; the
# Procfile's single-host worker listens on it and on Celery's default queue.
TRAINING_QUEUE = "training"
WORKER_QUEUES = ("celery", TRAINING_QUEUE)


class CeleryWorker(ServiceProcess):
    """``celery -A movierec_site worker`` (prefork unless ``pool`` says otherwise) on the given environment and
    ``queues`` (the Procfile's worker's unless told), in a session of its own so that SIGKILL reaches the pool's
    children too; ``client`` sends tasks by name to it, routed as the site routes them, and reads their results."""

    own_session = True

    def __init__(
        self,
        *,
        env: dict[str, str],
        log: Path,
        broker_url: str,
        pool: str = "prefork",
        concurrency: int = 2,
        queues: tuple[str, ...] = WORKER_QUEUES,
    ) -> None:
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "movierec_site.settings.test", **env}
        self.log = log
        self.pool = pool
        self.concurrency = concurrency
        self.queues = queues
        self.name = f"tests-{uuid.uuid4().hex[:8]}"
        # Not the current app: the site enqueues through the current app, which must stay the project's.
        self.client = Celery(
            f"tests-{uuid.uuid4().hex[:6]}", broker=broker_url, backend=broker_url, set_as_current=False
        )
        self.client.conf.task_routes = django_settings.CELERY_TASK_ROUTES
        self.process: subprocess.Popen | None = None

    def start(self) -> Self:
        command = [sys.executable, "-m", "celery", "-A", "movierec_site", "worker", f"--pool={self.pool}",
                   f"--concurrency={self.concurrency}", f"--queues={','.join(self.queues)}", "--loglevel=INFO",
                   "--without-heartbeat", "--without-gossip", "--without-mingle", "-n", f"{self.name}@%h"]  # fmt: skip
        # No pause between pings: each waits half a second for the answer.
        self._launch(command, env=self.env, ready=self.answers, what="the Celery worker did not start", every_s=0)
        return self

    def answers(self) -> bool:
        """Whether this worker answers a ping (another worker on the same broker, a test's second, answers too)."""
        replies = self.client.control.ping(timeout=0.5)
        return any(node.startswith(f"{self.name}@") for reply in replies for node in reply)

    def stop(self) -> None:
        """Celery's warm shutdown (SIGTERM to the worker and its children), SIGKILL after 30 s; the client closed."""
        super().stop()
        self.client.close()


class CeleryBeat(ServiceProcess):
    """The Procfile's ``celery beat`` on the test settings and the given environment, its pid and schedule files in
    ``workdir`` (two beats in one test must not share a pid file, which refuses the second); ``start`` returns once
    it runs its loop."""

    def __init__(self, *, env: dict[str, str], workdir: Path) -> None:
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "movierec_site.settings.test", **env}
        workdir.mkdir(parents=True, exist_ok=True)
        self.log = workdir / "beat.log"
        self.command = f"{procfile_command('beat')} --schedule={workdir / 'schedule'} --pidfile={workdir / 'beat.pid'}"
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None, "the beat is not running"
        return self.process.pid

    def start(self) -> Self:
        self._launch(["bash", "-c", f"exec {self.command}"], env=self.env, ready=self._started,
                     what="celery beat did not start")  # fmt: skip
        return self

    def _started(self) -> bool:
        return "beat: Starting..." in self.log.read_text()


@contextmanager
def celery_app_broker(url: str) -> Iterator[None]:
    """The site's Celery app (what the admin, the Model pages and the API enqueue with) sends its tasks to ``url``
    and keeps results there until the block ends."""
    from movierec_site.celery import app

    previous = (app.conf.broker_url, app.conf.result_backend)
    _celery_app_point(app, broker_url=url, result_backend=url)
    try:
        yield
    finally:
        _celery_app_point(app, broker_url=previous[0], result_backend=previous[1])


def _celery_app_point(app: Celery, *, broker_url: str, result_backend: str) -> None:
    app.conf.update(broker_url=broker_url, result_backend=result_backend)
    # Pooled connections and producers remember the broker they were made for; drop them (as Celery does after a
    # fork) rather than close them, since another broker's pool must stay usable for whoever restores it.
    app._pool = None
    app.amqp._producer_pool = None
    # The result backend too: it was made for the previous URL, and after a test killed that Redis its consumer
    # gives up for good ("the Celery application must be restarted"); the next use makes one for this URL.
    app._backend_cache = None
    vars(app._local).pop("backend", None)


@contextmanager
def site_redis_database(settings: object, number: int) -> Iterator[redis.Redis]:
    """The site on Redis database ``number`` (``settings`` is pytest-django's fixture): REDIS_URL (retrain lock and
    queued mark) and the Celery app's broker and results; emptied before and after."""
    url = redis_database_url(number)
    client = redis.Redis.from_url(url)
    client.flushdb()
    settings.REDIS_URL = url
    with celery_app_broker(url):
        yield client
    client.flushdb()


def procfile_command(name: str) -> str:
    """The command that `make run` (honcho) starts for the Procfile's process ``name``."""
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())[name]


class WebServer(ServiceProcess):
    """The Procfile's web command (gunicorn with the site's config file) on the test settings, the test database,
    this test's MODEL_DIR and the Redis at ``redis_url``, listening on a free port; ``env`` adds to its environment.

    ``config`` replaces the site's config file (movierec_site/gunicorn.conf.py) with a test's, which runs the site's
    first (``exec``) and adds its hooks.
    """

    def __init__(
        self, *, redis_url: str, log: Path, env: dict[str, str] | None = None, config: Path | None = None
    ) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "movierec_site.settings.test",
            "DATABASE_URL": database_url(),
            "MODEL_DIR": str(django_settings.MODEL_DIR),
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "CELERY_RESULT_BACKEND": redis_url,
            **(env or {}),
            "PORT": str(self.port),
        }
        self.log = log
        # gunicorn reads the last --config of its command line.
        self.command = procfile_command("web") + (f" --config {config}" if config is not None else "")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        # A web server that does not answer is stopped, not killed: SIGKILL to gunicorn's arbiter leaves its workers.
        self._launch(["bash", "-c", f"exec {self.command}"], env=self.env, ready=self._answers,
                     what="the web server did not answer", give_up=self.stop)  # fmt: skip
        return self

    def _answers(self) -> bool:
        return _answers(f"{self.url}/api/health")
