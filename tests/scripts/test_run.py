"""`make run` (scripts/run.sh) as a newcomer meets it in a terminal: each phase says what it does, the address comes
once the site answers, and Ctrl-C stops web, worker, beat and the Redis it started, with exit status 0 and no error
from make; a Redis it found running is left alone."""

import os
import pty
import select
import signal
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from scripts.ensure_redis import free_port
from tests.processes import RedisServer

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
READY = b"MovieRec is ready at "
PHASES = [
    "==> Installing the site's dependencies",
    "==> Looking for Redis at",
    "==> Applying database migrations",
    "==> Collecting static files",
    "==> Preparing the site",
    "==> Starting web, worker and beat",
]
MARKER = "MOVIEREC_RUN_TEST"


@dataclass
class Run:
    output: str
    status: int
    answered_when_announced: bool
    marker: str


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database and model folder for the module's runs: the first prepares the site, later ones find it ready."""
    return tmp_path_factory.mktemp("make-run")


def _read(fd: int, seconds: float) -> bytes:
    ready, _, _ = select.select([fd], [], [], seconds)
    if not ready:
        return b""
    try:
        return os.read(fd, 65536)
    except OSError:  # the other end closed: the run is over
        return b"<eof>"


def make_run(*, site_dir: Path, redis_url: str, seconds: float = 300) -> Run:
    """``make run`` in a terminal of its own until the site is announced, then Ctrl-C, as a person would type it."""
    port = free_port()
    marker = uuid.uuid4().hex
    env = {key: value for key, value in os.environ.items() if key not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}}
    env.update(
        PORT=str(port),
        HOST="127.0.0.1",
        REDIS_URL=redis_url,
        DATABASE_URL=f"sqlite:///{site_dir / 'db.sqlite3'}",
        MODEL_DIR=str(site_dir / "models"),
        DJANGO_SUPERUSER_PASSWORD="make-run-test",
        **{MARKER: marker},
    )
    pid, fd = pty.fork()
    if pid == 0:  # the child: make, in the terminal that pty.fork made
        os.chdir(ROOT)
        os.execvpe("make", ["make", "run"], env)  # noqa: S606 (make, found on PATH as a person runs it)
    output = b""
    answered = False
    deadline = time.monotonic() + seconds
    try:
        while READY not in output or not output.endswith(b"\n"):
            assert time.monotonic() < deadline, output.decode(errors="replace")[-3000:]
            chunk = _read(fd, 1.0)
            assert chunk != b"<eof>", output.decode(errors="replace")[-3000:]
            output += chunk
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            answered = response.status == 200
        os.write(fd, b"\x03")
        while (chunk := _read(fd, 60.0)) not in {b"", b"<eof>"}:
            output += chunk
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return Run(
        output=output.decode(errors="replace"),
        status=os.waitstatus_to_exitcode(status),
        answered_when_announced=answered,
        marker=marker,
    )


def processes_of(marker: str) -> list[int]:
    """The processes whose environment holds this run's marker: what `make run` started, however deep."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                environ = (entry / "environ").read_bytes()
            except OSError:
                continue
            if f"{MARKER}={marker}".encode() in environ.split(b"\0"):
                found.append(int(entry.name))
    return found


def test_ctrl_c_stops_everything_it_started_and_exits_0(site_dir: Path) -> None:
    """With no Redis at REDIS_URL, make run starts one; after Ctrl-C, no process of the run is left, that Redis
    included, make reports no error and exits 0, and every phase was announced, the address once the site answered."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    run = make_run(site_dir=site_dir, redis_url=url)
    try:
        assert run.status == 0, run.output[-3000:]
        assert "make: ***" not in run.output
        assert "Traceback" not in run.output
        for phase in PHASES:
            assert phase in run.output
        assert run.answered_when_announced
        assert "Stopped web, worker and beat." in run.output
        assert "Stopped the Redis that make run started." in run.output
        with pytest.raises(redis.ConnectionError):
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        assert processes_of(run.marker) == []
    finally:
        for pid in processes_of(run.marker):
            os.kill(pid, signal.SIGKILL)


def test_a_redis_it_found_running_is_left_alone(site_dir: Path, tmp_path: Path) -> None:
    """When a Redis already answers at REDIS_URL, make run uses it and Ctrl-C leaves it running."""
    server = RedisServer(tmp_path).start()
    try:
        run = make_run(site_dir=site_dir, redis_url=server.url)
        assert run.status == 0, run.output[-3000:]
        assert "Stopped the Redis" not in run.output
        assert server.client().ping()
        assert processes_of(run.marker) == []
    finally:
        server.kill()
