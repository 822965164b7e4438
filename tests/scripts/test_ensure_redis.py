"""scripts/ensure_redis.py: uses a Redis that answers, starts one itself when none does."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import redis

from tests.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "ensure_redis.py"


def ensure(url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REDIS_URL": url}
    return subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30)


def test_uses_the_redis_that_answers() -> None:
    """When REDIS_URL answers, the script prints it and starts nothing."""
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    result = ensure(url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == url
    assert "Started" not in result.stderr


def test_starts_a_local_redis_when_none_answers() -> None:
    """On a port where nothing listens, the script starts a server that then answers at that URL."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    result = ensure(url)
    assert result.returncode == 0, result.stderr
    client = redis.Redis.from_url(url)
    try:
        assert client.ping()
        assert "Started" in result.stderr
    finally:
        pid = client.info("server")["process_id"]
        os.kill(pid, signal.SIGTERM)


def test_refuses_to_start_a_remote_redis() -> None:
    """A REDIS_URL on another host that does not answer is an error, not a silent local server."""
    result = ensure("redis://redis.invalid:6379/0")
    assert result.returncode == 1
    assert "not on this machine" in result.stderr
