"""What every bench shares: the repository's paths, a private Redis, servers started and waited on, quantiles.

Quantiles (p50, p95, p99) are numpy's ``percentile`` with its default linear interpolation between the two
nearest ranks, the one definition every bench prints. Redis comes from the project's one launcher
(scripts/ensure_redis.py). Paths are under the repository's var/, so a fresh clone runs every bench as it is.
"""

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # a bench runs as a script, from bench/: the project's packages are one folder up
    sys.path.insert(0, str(ROOT))

from scripts.ensure_redis import free_port, redis_start  # noqa: E402

PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).parent / "gunicorn")
BENCH_DIR = ROOT / "var" / "bench"
START_S = 120
SEED = 42  # the ML benches' draws (held-out users, torch), and the benchmark's random split
# What the web benches' visitors search for and rate with.
SEARCH_WORDS = ("star", "love", "man", "night", "war", "story", "day", "king", "life", "time", "city", "dead")
SCORES = tuple(step / 2 for step in range(1, 11))
# The variables by which the site's processes run one BLAS thread each (movierec_site/gunicorn.conf.py, Procfile).
BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def quantile(values: Sequence[float], q: float) -> float:
    """The q-quantile (0 to 1) of ``values`` by numpy's linear interpolation; NaN when there are none."""
    return float(np.percentile(values, q * 100)) if len(values) else float("nan")


@contextmanager
def private_redis() -> Iterator[str]:
    """The URL of a redis-server of this run alone (a free port, nothing saved), stopped when the block ends."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="movierec-bench-redis-") as folder:
        server = redis_start(port=port, directory=Path(folder))
        try:
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            processes_stop([server])


def process_start(*, command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """``command`` run from the repository with ``env``, its output in ``log``."""
    with log.open("w") as output:
        return subprocess.Popen(command, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)


def until_answering(*, url: str, process: subprocess.Popen, log: Path, seconds: float = START_S) -> None:
    """Returns once ``url`` answers 200; SystemExit naming ``log`` when ``process`` exits or time runs out."""
    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(url, timeout=10).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or still loading
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer; see {log}")


def gunicorn_start(*, env: dict[str, str], port: int, log: Path, options: Sequence[str] = ()) -> subprocess.Popen:
    """The site under gunicorn, 2 workers, on ``port``; returns once /api/health answers."""
    command = [GUNICORN, "movierec_site.wsgi:application", "--workers", "2", "--bind", f"127.0.0.1:{port}", *options]
    server = process_start(command=command, env=env, log=log)
    try:
        until_answering(url=f"http://127.0.0.1:{port}/api/health", process=server, log=log)
    except SystemExit:
        processes_stop([server])
        raise
    return server


def processes_stop(processes: Sequence[subprocess.Popen]) -> None:
    """Terminate, last started first; kill what has not exited after 30 s."""
    for process in reversed(processes):
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def django_start(env: dict[str, str]) -> None:
    """Django in this process, with ``env`` (settings module, database, ...) in its environment."""
    os.environ.update(env)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def rss_mb(pid: int) -> tuple[float, float]:
    """(resident, peak resident) memory of a process in MiB, from /proc."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("Vm")
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
