"""Slow clients cannot starve the web server: while connections dribble their request headers a byte at a time,
the Procfile's gunicorn (the site's config, two workers as in production) still answers /api/health (issue 15).

Real sockets against the real server. The test waits on conditions (bytes sent, answers received), each with a
bound far above what it needs; it never sleeps to make something true, and measures no duration.
"""

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.processes import RedisServer, WebServer
from tests.recommender.served_models import world_create, world_model_create

pytestmark = pytest.mark.django_db(transaction=True)  # the server reads what this test committed

SLOW_CLIENTS = 2
PROBES = 4
DRIP_S = 0.2  # one byte of header this often: far inside any timeout of the server, so the connection stays open
DRIPS_BEFORE_PROBING = 5
# Below the server's worker timeout (30 s): a sync worker held by a slow client answers nothing for that long.
PROBE_TIMEOUT_S = 20
WAIT_S = 60


class SlowClient:
    """A connection that sends a request line at once, then one byte of a header every DRIP_S, never finishing."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT_S)
        self.sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        self.drips = 0
        self.dripped = threading.Condition()
        self.error: OSError | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drip, daemon=True)
        self._thread.start()

    def _drip(self) -> None:
        while not self._stop.wait(DRIP_S):
            try:
                self.sock.sendall(b"a")
            except OSError as error:
                self.error = error
                return
            with self.dripped:
                self.drips += 1
                self.dripped.notify_all()

    def wait_for_drips(self, count: int) -> bool:
        with self.dripped:
            return self.dripped.wait_for(lambda: self.drips >= count or self.error is not None, timeout=WAIT_S)

    def unanswered(self) -> bool:
        """Still open, and the server has sent nothing back: it is still waiting for the rest of the headers."""
        self.sock.setblocking(False)
        try:
            self.sock.recv(1)  # b"" once closed, else the start of an answer
        except BlockingIOError:
            return self.error is None
        finally:
            self.sock.setblocking(True)
        return False

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=WAIT_S)
        self.sock.close()


@pytest.fixture
def web(settings: object, tmp_path: Path) -> Iterator[WebServer]:
    """The Procfile's web command with two workers, on the test database with a served model and a Redis of its own."""
    settings.MODEL_DIR = tmp_path / "models"
    world_model_create(world_create())
    redis_server = RedisServer(tmp_path / "redis").start()
    server = WebServer(redis_url=redis_server.url, log=tmp_path / "web.log", env={"WEB_CONCURRENCY": "2"})
    try:
        yield server.start()
    finally:
        server.stop()
        redis_server.kill()


def test_health_answers_while_slow_clients_dribble_their_headers(web: WebServer) -> None:
    """Two connections send their headers a byte at a time and never finish; meanwhile every GET /api/health is
    answered 200 (database, Redis and model up), and the slow connections are still open and unanswered."""
    slow = [SlowClient(web.port) for _ in range(SLOW_CLIENTS)]
    try:
        assert all(client.wait_for_drips(DRIPS_BEFORE_PROBING) for client in slow)
        assert [client.error for client in slow] == [None] * SLOW_CLIENTS

        answers = []
        for _ in range(PROBES):
            try:
                answers.append(requests.get(f"{web.url}/api/health", timeout=PROBE_TIMEOUT_S).status_code)
            except requests.Timeout:
                answers.append("no answer")

        assert answers == [200] * PROBES, web.log_tail()
        assert all(client.unanswered() for client in slow)
    finally:
        for client in slow:
            client.close()
