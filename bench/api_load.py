"""Load on the JSON API: gunicorn (2 workers, production settings) driven by concurrent clients.

Runs on a copy of the prepared site (bench/prepared_site.py: SQLite with MovieLens 100k and an active model,
built once under var/bench/site/) with a Redis of its own, starts gunicorn on a free local port, signs up one API
user per client (each rates a few movies first), then runs:

1. baseline: 1 client, the same request mix, paced like every client of the next phase;
2. load: 20 clients (default) for 30 s (default), each paced at --rate requests per second (default 2, a busy
   app user; 40 requests per second in all);
3. saturation: the same clients with no pause, to find the most requests per second the server gives.

The mix: GET /api/me/recommendations (45%), GET /api/movies?search= (30%), PUT /api/me/ratings/{id} (25%).
Latency is measured from the moment a request was due, not when it was sent, so a server that falls behind
is charged for the wait (no coordinated omission); quantiles are bench/common.py's. The "in server" columns are
gunicorn's own request times from its access log, without the wait for a free worker. Afterwards every
acknowledged rating is looked up in the database: each client's last written score per movie must be there.

    .venv/bin/python bench/api_load.py [--clients 20] [--seconds 30] [--rate 2] [--fresh] [--keep]

Goal (issue 5): GET /api/me/recommendations p99 <= 20 ms at 20 clients, zero errors, no rating lost.
"""

import argparse
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import requests
from common import SCORES, SEARCH_WORDS, free_port, gunicorn_start, private_redis, processes_stop, quantile
from prepared_site import prepare, server_env

RECOMMENDATIONS, SEARCH, RATE = "GET /api/me/recommendations", "GET /api/movies?search=", "PUT /api/me/ratings/{id}"
MIX = ((RECOMMENDATIONS, 0.45), (SEARCH, 0.30), (RATE, 0.25))
FIRST_RATINGS = 10
GOAL_P99_MS = 20.0
ACCESS_LOG = "access.log"
PASSWORD = "bench passphrase 2024!"  # noqa: S105 (throwaway users of a throwaway database)
# The access log holds the time spent in the server per request (microseconds), to tell it from the time spent
# queueing for a worker or in the clients.
ACCESS_LOG_FORMAT = "%(m)s %(U)s %(s)s %(D)s"


@dataclass
class Client:
    base: str
    token: str
    movie_ids: list[int]
    rng: random.Random
    session: requests.Session = field(default_factory=requests.Session)
    written: dict[int, float] = field(default_factory=dict)  # movie id -> last acknowledged score

    def __post_init__(self) -> None:
        self.session.headers["Authorization"] = f"Bearer {self.token}"

    def request(self, kind: str) -> tuple[int, str]:
        if kind == RECOMMENDATIONS:
            response = self.session.get(f"{self.base}/api/me/recommendations", params={"n": 20}, timeout=10)
            return response.status_code, response.json().get("source", "") if response.ok else ""
        if kind == SEARCH:
            word = self.rng.choice(SEARCH_WORDS)
            response = self.session.get(f"{self.base}/api/movies", params={"search": word, "page_size": 20}, timeout=10)
            return response.status_code, ""
        movie_id, score = self.rng.choice(self.movie_ids), self.rng.choice(SCORES)
        response = self.session.put(f"{self.base}/api/me/ratings/{movie_id}", json={"rating": score}, timeout=10)
        if response.status_code == 200:
            self.written[movie_id] = score
        return response.status_code, ""


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    server: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # seconds inside gunicorn
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    sources: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def drive(clients: list[Client], seconds: float, rate: float | None, log: Path) -> Results:
    """Each client in its own thread for ``seconds``; paced at ``rate`` requests/s each, or flat out when None."""
    results = Results()
    logged_before = len(log.read_text().splitlines())
    kinds, weights = zip(*MIX, strict=True)
    start = time.perf_counter() + 0.05
    stop = start + seconds

    def run(client: Client, offset: float) -> None:
        due = start + offset
        while due < stop:
            now = time.perf_counter()
            if now < due:
                time.sleep(due - now)
            kind = client.rng.choices(kinds, weights)[0]
            sent = time.perf_counter() if rate is None else due
            try:
                status, source = client.request(kind)
                error = None if 200 <= status < 300 else f"HTTP {status}"
            except (requests.RequestException, ValueError) as exc:
                error, source = type(exc).__name__, ""
            elapsed = time.perf_counter() - sent
            with results.lock:
                results.latencies[kind].append(elapsed)
                if error:
                    results.errors[kind].append(error)
                if source:
                    results.sources[source] += 1
            due = time.perf_counter() if rate is None else due + 1.0 / rate

    # Clients start spread over one period, as independent users would, not in lock step.
    threads = [
        threading.Thread(target=run, args=(client, (i / len(clients)) / rate if rate else 0.0))
        for i, client in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.seconds = time.perf_counter() - start
    time.sleep(0.5)  # gunicorn writes the access line after the response
    server_times(log, results, skip=logged_before)
    return results


def endpoint_of(method: str, path: str) -> str | None:
    if method == "GET" and path == "/api/me/recommendations":
        return RECOMMENDATIONS
    if method == "GET" and path == "/api/movies":
        return SEARCH
    if method == "PUT" and path.startswith("/api/me/ratings/"):
        return RATE
    return None


def server_times(log: Path, results: Results, *, skip: int) -> int:
    """Add the server-side times of the access log's lines after the first ``skip``; returns the lines read."""
    lines = log.read_text().splitlines()
    for line in lines[skip:]:
        method, path, _status, micros = line.split()
        kind = endpoint_of(method, path)
        if kind:
            results.server[kind].append(int(micros) / 1e6)
    return len(lines)


def report(title: str, results: Results) -> dict[str, tuple[float, float]]:
    total = sum(len(v) for v in results.latencies.values())
    errors = sum(len(v) for v in results.errors.values())
    print(
        f"\n{title}: {total} requests in {results.seconds:.1f} s = {total / results.seconds:.0f} req/s, {errors} errors"
    )
    print(
        f"  {'endpoint':32} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'errors':>6}"
        f"   in server: {'p50 ms':>7} {'p99 ms':>7}"
    )
    figures = {}
    for kind, _ in MIX:
        values = results.latencies[kind]
        p50, p99 = quantile(values, 0.5) * 1000, quantile(values, 0.99) * 1000
        figures[kind] = (p50, p99)
        print(
            f"  {kind:32} {len(values):>8} {len(values) / results.seconds:>7.1f} {p50:>7.2f} {p99:>7.2f} "
            f"{max(values, default=0) * 1000:>7.1f} {len(results.errors[kind]):>6}"
            f"              {quantile(results.server[kind], 0.5) * 1000:>7.2f} "
            f"{quantile(results.server[kind], 0.99) * 1000:>7.2f}"
        )
    for kind, found in results.errors.items():
        if found:
            print(f"  errors of {kind}: {dict((e, found.count(e)) for e in set(found))}")
    if results.sources:
        print(f"  recommendation sources: {dict(results.sources)}")
    return figures


def signup(base: str, username: str) -> str:
    response = requests.post(f"{base}/api/auth/signup", json={"username": username, "password": PASSWORD}, timeout=10)
    response.raise_for_status()
    return response.json()["token"]


def ratings_verify(db_path: Path, clients: list[Client], usernames: list[str]) -> tuple[int, int]:
    """(acknowledged final ratings, of which missing or different in the database)."""
    connection = sqlite3.connect(db_path)
    expected = missing = 0
    for client, username in zip(clients, usernames, strict=True):
        stored = dict(
            connection.execute(
                "SELECT r.movie_id, r.score FROM ratings_rating r JOIN auth_user u ON u.id = r.user_id "
                "WHERE u.username = ?",
                (username,),
            ).fetchall()
        )
        for movie_id, score in client.written.items():
            expected += 1
            missing += stored.get(movie_id) != score
    connection.close()
    return expected, missing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the load phase (at least 30)")
    parser.add_argument("--baseline-seconds", type=float, default=10.0)
    parser.add_argument("--saturation-seconds", type=float, default=10.0, help="0 skips the saturation phase")
    parser.add_argument("--rate", type=float, default=2.0, help="requests per second of each paced client")
    parser.add_argument("--fresh", action="store_true", help="import and train again instead of reusing var/bench/")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", action="store_true", help="keep the temporary database, model and server logs")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="movierec-api-load-"))
    try:
        with private_redis() as redis_url:
            return run(args, workdir, redis_url)
    finally:
        if args.keep:
            print(f"Kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def run(args: argparse.Namespace, workdir: Path, redis_url: str) -> int:
    prepare(workdir, redis_url, fresh=args.fresh)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    options = ["--access-logfile", str(workdir / ACCESS_LOG), "--access-logformat", ACCESS_LOG_FORMAT]
    server = gunicorn_start(
        env=server_env(workdir, redis_url), port=port, log=workdir / "gunicorn.log", options=options
    )
    try:
        connection = sqlite3.connect(workdir / "db.sqlite3")
        popular = [row[0] for row in connection.execute(
            "SELECT movie_id FROM ratings_rating GROUP BY movie_id ORDER BY COUNT(*) DESC LIMIT 300"
        )]  # fmt: skip
        connection.close()
        rng = random.Random(args.seed)
        run_id = f"{int(time.time())}"
        usernames = [f"bench{run_id}c{i}" for i in range(args.clients + 1)]
        clients = []
        for username in usernames:
            client = Client(base=base, token=signup(base, username), movie_ids=popular, rng=random.Random(rng.random()))
            for movie_id in rng.sample(popular[:100], FIRST_RATINGS):  # a new user's first ratings, as on onboarding
                score = rng.choice(SCORES)
                url = f"{base}/api/me/ratings/{movie_id}"
                client.session.put(url, json={"rating": score}, timeout=10).raise_for_status()
                client.written[movie_id] = score
            clients.append(client)
        log = workdir / ACCESS_LOG
        drive(clients[:1], 3.0, args.rate, log)  # warm both workers' model and statistics caches
        drive(clients[1:], 3.0, args.rate, log)

        print(f"gunicorn, 2 workers, production settings, SQLite copy in {workdir}; clients paced at {args.rate:g}/s")
        # The figures depend on what else the machine runs: say how busy it was.
        print(f"{os.cpu_count()} CPUs; load average before the run: {os.getloadavg()[0]:.2f}")
        baseline_results = drive(clients[:1], args.baseline_seconds, args.rate, log)
        baseline = report(f"Baseline: 1 client, {args.baseline_seconds:g} s", baseline_results)
        load_results = drive(clients[1:], args.seconds, args.rate, log)
        load = report(f"Load: {args.clients} clients, {args.seconds:g} s", load_results)
        saturation_errors = 0
        if args.saturation_seconds > 0:
            saturation_results = drive(clients[1:], args.saturation_seconds, None, log)
            report(
                f"Saturation: {args.clients} clients with no pause, {args.saturation_seconds:g} s", saturation_results
            )
            saturation_errors = sum(len(v) for v in saturation_results.errors.values())

        print(f"\nRatio {args.clients} clients / 1 client (same per-client pace):")
        for kind, _ in MIX:
            print(
                f"  {kind:32} p50 x{load[kind][0] / baseline[kind][0]:.2f}   "
                f"p99 x{load[kind][1] / baseline[kind][1]:.2f}"
            )
        print(f"\nLoad average after the run: {os.getloadavg()[0]:.2f}")
        expected, missing = ratings_verify(workdir / "db.sqlite3", clients, usernames)
        print(f"\nRatings acknowledged (last score per user and movie): {expected}; missing or different: {missing}")
        errors = sum(len(v) for v in load_results.errors.values()) + saturation_errors
        p99 = load[RECOMMENDATIONS][1]
        verdict = "met" if p99 <= GOAL_P99_MS and errors == 0 and missing == 0 else "NOT met"
        print(f"Goal (p99 of recommendations <= {GOAL_P99_MS:g} ms at {args.clients} clients, 0 errors, 0 lost): "
              f"{verdict} (p99 {p99:.2f} ms, {errors} errors, {missing} lost)")  # fmt: skip
        return 0 if verdict == "met" else 1
    finally:
        processes_stop([server])
        failures = [line for line in (workdir / "gunicorn.log").read_text().splitlines() if "Error" in line]
        if failures:
            print(f"\nErrors logged by the server ({len(failures)} lines), the last ones:", *failures[-5:], sep="\n  ")


if __name__ == "__main__":
    sys.exit(main())
