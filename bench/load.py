"""The site under load while a retrain trains and activates a new version, served before and after issue 15.

Runs the whole stack on a copy of the prepared site (bench/prepared_site.py: ml-100k and an active model):
a private redis-server (bench/common.py), gunicorn with 2 workers (production settings) and a Celery worker.
Then 100 signed-in users (default) browse for 60 s, each a thread with its own session, pausing about --think
seconds between requests: the catalogue (lists and searches), movie pages, their recommendations, and ratings
(htmx and plain form posts, with the CSRF token, as the browser sends them). At --retrain-at seconds a staff
client asks the API for a retrain; the worker trains on every rating, the new version is activated, and the web
workers swap it in.

--server picks how the web and worker processes are started, each run on a fresh copy of the site:

- ``after``: as the Procfile starts them now: gunicorn with movierec_site/gunicorn.conf.py (threaded workers, one
  BLAS thread each), the worker with the BLAS variables of its Procfile line;
- ``before``: as the Procfile started them before issue 15: sync gunicorn workers and BLAS pools at their default
  size, in both processes (bench/gunicorn_variant.conf.py);
- ``both`` (default): before, then after, and a table of the two with the ratio after / before.

Figures: requests, errors (goal 0), p50/p99 per page over the run and in three phases (before the retrain,
while it trains until activation, after), with the ratio of p99 during the retrain to p99 before it; then every
acknowledged rating is looked up in the database (goal: 0 lost), and the logs are searched for "database is
locked" and tracebacks. Goal (issue 15): p99 of the recommendations page at most 1 s at 100 users.

    .venv/bin/python bench/load.py [--server both] [--users 100] [--seconds 60] [--think 1.0] [--retrain-at 20]
    createdb -h 127.0.0.1 -U postgres movierec_bench_load  # once; the first run imports ml-100k and trains
    .venv/bin/python bench/load.py --database-url postgres://postgres@127.0.0.1:5432/movierec_bench_load

Latency is measured by the clients (queueing in gunicorn included), from the moment each request is sent;
quantiles are bench/common.py's. The clients run in this process, on the same cores as the server.
"""

import argparse
import json
import os
import random
import re
import subprocess
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests
from common import (
    BLAS_VARIABLES,
    PYTHON,
    ROOT,
    SCORES,
    SEARCH_WORDS,
    free_port,
    gunicorn_start,
    private_redis,
    process_start,
    processes_stop,
    quantile,
    rss_mb,
)
from prepared_site import manage, prepare, server_env, users_sign_in

CATALOGUE, SEARCH, MOVIE, HOME, RATE_HTMX, RATE_FORM = (
    "catalogue list", "catalogue search", "movie page", "recommendations", "rate (htmx)", "rate (form)",
)  # fmt: skip
MIX = ((CATALOGUE, 0.18), (SEARCH, 0.12), (MOVIE, 0.25), (HOME, 0.25), (RATE_HTMX, 0.12), (RATE_FORM, 0.08))
ORDERINGS = ("popular", "best", "title", "newest", "oldest")
FIRST_RATINGS = 10
PHASES = ("before", "during", "after")
# A Celery worker as the benches start it (bench/cluster.py adds its queues and a node name): at INFO, as the
# Procfile's worker logs, since its " ready." line is what worker_wait waits for.
CELERY_WORKER_BASE = [PYTHON, "-m", "celery", "-A", "movierec_site", "worker", "--loglevel=INFO",
                      "--without-heartbeat", "--without-gossip", "--without-mingle"]  # fmt: skip
CELERY_WORKER = [*CELERY_WORKER_BASE, "--pool=prefork", "--concurrency=1", "--queues=celery,training"]
LOG_PROBLEMS = {"database is locked": re.compile(r"database is locked"), "traceback": re.compile(r"^Traceback", re.M)}
GOAL_HOME_P99_MS = 1000.0


def procfile_env(process: str) -> dict[str, str]:
    """The variables that the Procfile's line for ``process`` sets before its command (``NAME=value ...``)."""
    lines = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())
    words = lines[process].split()
    return dict(word.split("=", 1) for word in words[: next(i for i, w in enumerate(words) if "=" not in w)])


@dataclass(frozen=True)
class Server:
    """How a run starts its web and worker processes: gunicorn's config file, and what each process's
    environment adds (after the BLAS variables are taken out of the bench's own)."""

    config: Path
    web_env: dict[str, str]
    worker_env: dict[str, str]


SERVERS = {
    "before": Server(ROOT / "bench" / "gunicorn_variant.conf.py", {"BENCH_GUNICORN": "before"}, {}),
    "after": Server(ROOT / "movierec_site" / "gunicorn.conf.py", {}, procfile_env("worker")),
}


@dataclass
class Outcome:
    """What one run measured, for the table of before and after."""

    users: int
    requests_per_s: float
    errors: int
    acknowledged: int
    lost: int
    pages: dict[str, tuple[float, float]]  # page -> (p50, p99) over the whole run, ms
    load: tuple[float, float]  # the machine's 1-minute load average before and after the run

    @property
    def met(self) -> bool:
        return self.errors == 0 and self.lost == 0 and self.pages[HOME][1] <= GOAL_HOME_P99_MS


VERIFY = """
import json, os
from ratings.models import Rating
acked = json.load(open(os.environ["BENCH_ACKED"]))
stored = {
    (username, movie): score
    for username, movie, score in Rating.objects.filter(user__username__in={a[0] for a in acked})
    .values_list("user__username", "movie_id", "score")
}
lost = [a for a in acked if stored.get((a[0], a[1])) != a[2]]
print(json.dumps({"acknowledged": len(acked), "lost": len(lost), "examples": lost[:5]}))
"""


@dataclass
class Sample:
    at: float  # seconds since the start of the run, when sent
    kind: str
    ms: float
    error: str | None


@dataclass
class Run:
    start: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    acked: dict[tuple[str, int], float] = field(default_factory=dict)  # (username, movie) -> last acknowledged
    retrain_at: float | None = None
    finished_at: float | None = None  # when the new version left training (active, or rejected / failed)
    activated_at: float | None = None
    swapped_at: float | None = None  # when /api/health first answered the new version
    until: float = 0.0  # the users go on past their stop until then too (bench/cluster.py: past the activation)
    retrain: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> float:
        return time.perf_counter() - self.start


class User:
    """One signed-in visitor: a requests session with the Django session cookie and the CSRF cookie."""

    def __init__(self, base: str, username: str, session_key: str, movies: list[int], rng: random.Random) -> None:
        self.base, self.username, self.movies, self.rng = base, username, movies, rng
        self.session_key = session_key
        self.token: str | None = None
        self.http = requests.Session()
        # Production marks both cookies Secure, which an HTTP client keeps off plain HTTP; behind the TLS proxy of
        # a real deployment the browser sends them, so this client sends them itself.
        self.http.headers["Cookie"] = f"sessionid={session_key}"

    def csrf(self) -> str:
        """The CSRF token, from the first page with a form (which also proves the session signs the user in)."""
        if self.token is None:
            response = self.http.get(f"{self.base}/movies/{self.movies[0]}/", timeout=30)
            response.raise_for_status()
            if 'action="/accounts/logout/"' not in response.text:
                raise SystemExit(f"{self.username} is not signed in by its session")
            self.token = response.cookies["csrftoken"]
            self.http.headers["Cookie"] = f"sessionid={self.session_key}; csrftoken={self.token}"
        return self.token

    def act(self, kind: str, run: Run) -> None:
        rng, get = self.rng, self.http.get
        if kind == CATALOGUE:
            params = {"order": rng.choice(ORDERINGS), "page": rng.randint(1, 20)}
            expect(get(f"{self.base}/movies/", params=params, timeout=30), 200)
        elif kind == SEARCH:
            expect(get(f"{self.base}/movies/", params={"q": rng.choice(SEARCH_WORDS)}, timeout=30), 200)
        elif kind == MOVIE:
            expect(get(f"{self.base}/movies/{rng.choice(self.movies)}/", timeout=30), 200)
        elif kind == HOME:
            expect(get(f"{self.base}/", params={"page": rng.randint(1, 3)}, timeout=30), 200)
        else:
            movie, score = rng.choice(self.movies), rng.choice(SCORES)
            headers = {"X-CSRFToken": self.csrf()}
            if kind == RATE_HTMX:
                headers["HX-Request"] = "true"
            url = f"{self.base}/movies/{movie}/rating/"
            response = self.http.post(url, data={"score": f"{score:g}"}, headers=headers, timeout=30,
                                      allow_redirects=False)  # fmt: skip
            expect(response, 200 if kind == RATE_HTMX else 302)
            with run.lock:
                run.acked[(self.username, movie)] = score


class HTTPProblem(Exception):
    pass


def expect(response: requests.Response, status: int) -> None:
    if response.status_code != status:
        raise HTTPProblem(f"HTTP {response.status_code}")


def drive(user: User, run: Run, stop: float, think: float) -> None:
    kinds, weights = zip(*MIX, strict=True)
    time.sleep(user.rng.uniform(0, think))  # users arrive spread out, not in lock step
    while run.now() < max(stop, run.until):
        kind = user.rng.choices(kinds, weights)[0]
        sent = run.now()
        try:
            user.act(kind, run)
            error = None
        except (requests.RequestException, HTTPProblem, KeyError) as exc:
            error = str(exc) if isinstance(exc, HTTPProblem) else type(exc).__name__
        elapsed = (run.now() - sent) * 1000
        with run.lock:
            run.samples.append(Sample(sent, kind, elapsed, error))
        time.sleep(user.rng.uniform(0.5 * think, 1.5 * think))


def versions_listed(base: str, headers: dict[str, str], *, besides: Collection[int] = ()) -> list[dict]:
    """GET /api/models as the staff client of ``headers``: the versions, but for those whose ids are in ``besides``."""
    versions = requests.get(f"{base}/api/models", headers=headers, timeout=30).json()
    return [version for version in versions if version["id"] not in besides]


def retrain(base: str, token: str, run: Run, at: float, stop: float) -> None:
    """Ask for a retrain at ``at``; follow it until its version is active and the web workers serve it."""
    headers = {"Authorization": f"Bearer {token}"}
    before = {v["id"] for v in versions_listed(base, headers)}
    time.sleep(max(0.0, at - run.now()))
    run.retrain_at = run.now()
    response = requests.post(f"{base}/api/models/retrain", headers=headers, timeout=30)
    run.retrain["request"] = f"HTTP {response.status_code}"
    while run.now() < stop + 120 and run.swapped_at is None:
        time.sleep(0.5)
        versions = versions_listed(base, headers, besides=before)
        if versions:
            version = versions[0]
            run.retrain.update(version=version["id"], status=version["status"], rmse=version["metrics"].get("rmse", 0))
            if version["status"] != "training" and run.finished_at is None:
                run.finished_at = run.now()
            if version["status"] in {"rejected", "failed"}:
                return
            if version["status"] == "active" and run.activated_at is None:
                run.activated_at = run.now()
        if run.activated_at is not None:
            health = requests.get(f"{base}/api/health", timeout=30).json()
            if health["checks"]["model"]["detail"].startswith(f"version {run.retrain['version']} "):
                run.swapped_at = run.now()


def phase(sample: Sample, run: Run) -> str:
    if run.retrain_at is None or sample.at < run.retrain_at:
        return "before"
    if run.finished_at is None or sample.at < run.finished_at:
        return "during"
    return "after"


def report(run: Run, seconds: float, users: int) -> dict[str, float]:
    total, errors = len(run.samples), [s for s in run.samples if s.error]
    print(f"\n{users} users for {seconds:.0f} s: {total} requests ({total / seconds:.1f}/s), {len(errors)} errors")
    if errors:
        found = defaultdict(int)
        for sample in errors:
            found[f"{sample.kind}: {sample.error}"] += 1
        print(f"  errors: {dict(found)}")
    header = "".join(f" {p + ' p50':>11} {p + ' p99':>11}" for p in PHASES)
    print(f"  {'page':18} {'requests':>8} {'p50 ms':>7} {'p99 ms':>7}{header} {'p99 during/before':>18}")
    ratios = {}
    for kind, _ in MIX:
        samples = [s for s in run.samples if s.kind == kind]
        by_phase = {p: [s.ms for s in samples if phase(s, run) == p] for p in PHASES}
        cells = "".join(f" {quantile(by_phase[p], 0.5):>11.1f} {quantile(by_phase[p], 0.99):>11.1f}" for p in PHASES)
        ratios[kind] = quantile(by_phase["during"], 0.99) / quantile(by_phase["before"], 0.99)
        all_ms = [s.ms for s in samples]
        print(
            f"  {kind:18} {len(samples):>8} {quantile(all_ms, 0.5):>7.1f} {quantile(all_ms, 0.99):>7.1f}"
            f"{cells} {ratios[kind]:>17.2f}x"
        )
    counts = {p: sum(1 for s in run.samples if phase(s, run) == p) for p in PHASES}
    print(f"  requests per phase: {counts}")
    return ratios


def ratings_verify(run: Run, env: dict[str, str], workdir: Path) -> dict:
    """Every rating the site acknowledged in ``run`` looked up in the database (``env``'s), and the outcome printed:
    {"acknowledged": n, "lost": n, "examples": the first lost ones}."""
    acked = workdir / "acked.json"
    acked.write_text(json.dumps([[u, m, s] for (u, m), s in run.acked.items()]))
    verified = manage({**env, "BENCH_ACKED": str(acked)}, "shell", "-c", VERIFY, capture=True)
    ratings = json.loads(verified.strip().splitlines()[-1])
    print(f"Ratings: {ratings['acknowledged']} acknowledged, {ratings['lost']} lost {ratings['examples'] or ''}")
    return ratings


def log_problems_print(log: Path) -> None:
    """How often each of LOG_PROBLEMS occurs in ``log``, printed under its name."""
    text = log.read_text(errors="replace")
    problems = {label: len(pattern.findall(text)) for label, pattern in LOG_PROBLEMS.items()}
    print(f"{log.name}: {problems}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", choices=[*SERVERS, "both"], default="both")
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between a user's requests (s)")
    parser.add_argument("--retrain-at", type=float, default=20.0, help="when the retrain is asked for (s)")
    parser.add_argument("--database-url", help="PostgreSQL instead of the SQLite copy (filled on first use)")
    parser.add_argument("--fresh", action="store_true", help="import and train again instead of reusing var/bench/")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    args = parser.parse_args()

    outcomes = {}
    for number, name in enumerate(SERVERS if args.server == "both" else [args.server]):
        print(f"\n=== server {name} ===", flush=True)
        workdir = Path(tempfile.mkdtemp(prefix=f"movierec-load-{name}-"))
        with private_redis() as redis_url:
            # A seed of its own per run: on PostgreSQL both runs share one database, and so its usernames.
            outcomes[name] = site_run(args, SERVERS[name], workdir, redis_url, seed=args.seed + number)
        args.fresh = False
    if len(outcomes) == 2:
        compare(outcomes["before"], outcomes["after"])
    last = outcomes["after" if "after" in outcomes else args.server]
    print(f"Goal: p99 of the recommendations page <= {GOAL_HOME_P99_MS:.0f} ms -> {last.pages[HOME][1]:.0f} ms")
    return 0 if last.met else 1


def compare(before: Outcome, after: Outcome) -> None:
    print(f"\nBefore and after issue 15, {after.users} users (ms; ratio after / before)")
    print(f"  {'page':18} {'before p50':>10} {'p99':>8} {'after p50':>10} {'p99':>8} {'p50 ratio':>9} {'p99 ratio':>9}")
    for kind, _ in MIX:
        (b50, b99), (a50, a99) = before.pages[kind], after.pages[kind]
        print(f"  {kind:18} {b50:>10.0f} {b99:>8.0f} {a50:>10.0f} {a99:>8.0f} {a50 / b50:>8.2f}x {a99 / b99:>8.2f}x")
    for label, b, a in [
        ("requests/s", round(before.requests_per_s, 1), round(after.requests_per_s, 1)),
        ("errors", before.errors, after.errors),
        ("ratings lost", before.lost, after.lost),
        ("ratings acknowledged", before.acknowledged, after.acknowledged),
    ]:
        print(f"  {label:20} {b:>10g} {a:>19g}")
    print(f"  machine load average (1 min) before / after each run: {before.load} and {after.load}")


def site_run(args: argparse.Namespace, server: Server, workdir: Path, redis_url: str, *, seed: int) -> Outcome:
    prepare(workdir, redis_url, fresh=args.fresh, database_url=args.database_url)
    env = {k: v for k, v in server_env(workdir, redis_url, database_url=args.database_url).items()
           if k not in BLAS_VARIABLES}  # fmt: skip
    # The run measures the swap under load, not the promotion gate: the users' random ratings may cost the new
    # version a little validation RMSE, and it must still be activated.
    env["RECOMMENDER_PROMOTION_TOLERANCE"] = "1.0"
    prepared = users_sign_in(env, count=args.users, first_ratings=FIRST_RATINGS, seed=seed)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    web = gunicorn_start(env={**env, **server.web_env}, port=port, log=workdir / "gunicorn.log",
                         options=["--config", str(server.config)])  # fmt: skip
    processes = [web]
    try:
        celery_log = workdir / "celery.log"
        # At INFO, as the Procfile's worker logs: its " ready." line is what worker_wait waits for.
        worker_env = {**env, "LOG_LEVEL": "INFO", **server.worker_env}
        processes.append(process_start(command=CELERY_WORKER, env=worker_env, log=celery_log))
        worker_wait(processes[-1], celery_log)
        gunicorn = processes[0]
        rng = random.Random(seed)
        users = [
            User(base, name, key, prepared["movies"], random.Random(rng.random()))
            for name, key in prepared["sessions"].items()
        ]
        warm(users)
        load_before = os.getloadavg()[0]
        cpu_before = cpu_seconds(processes)
        run = Run(start=time.perf_counter())
        threads = [threading.Thread(target=drive, args=(u, run, args.seconds, args.think)) for u in users]
        controller = threading.Thread(
            target=retrain, args=(base, prepared["staff_token"], run, args.retrain_at, args.seconds)
        )
        for thread in [*threads, controller]:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = run.now()
        controller.join(timeout=180)
        load_after = os.getloadavg()[0]
        worker_rss = [rss_mb(pid)[0] for pid in children(gunicorn.pid)]
        cpu = {name: used - cpu_before.get(name, 0.0) for name, used in cpu_seconds(processes).items()}

        report(run, elapsed, args.users)
        print(
            f"\nRetrain: asked at {at_text(run.retrain_at)} ({run.retrain.get('request')}), version "
            f"v{run.retrain.get('version')} {run.retrain.get('status')} (rmse {run.retrain.get('rmse', 0):.4f}); "
            f"active at {at_text(run.activated_at)}, served by the web workers at {at_text(run.swapped_at)}"
        )
        ratings = ratings_verify(run, env, workdir)
        print(f"Web workers' memory: RSS {', '.join(f'{mb:.0f}' for mb in worker_rss)} MiB")
        print(
            f"CPU seconds used during the run: {', '.join(f'{name} {sec:.1f}' for name, sec in cpu.items())}; "
            f"machine load average {load_before:.1f} before, {load_after:.1f} after ({os.cpu_count()} CPUs)"
        )
        for name in ["gunicorn.log", "celery.log"]:
            log_problems_print(workdir / name)
        errors = sum(1 for s in run.samples if s.error)
        print(f"Goals: 0 errors -> {errors}; 0 lost ratings -> {ratings['lost']}; logs in {workdir}")
        pages = {
            kind: (quantile(ms, 0.5), quantile(ms, 0.99))
            for kind, _ in MIX
            for ms in [[s.ms for s in run.samples if s.kind == kind]]
        }
        return Outcome(
            users=args.users,
            requests_per_s=len(run.samples) / elapsed,
            errors=errors,
            acknowledged=ratings["acknowledged"],
            lost=ratings["lost"],
            pages=pages,
            load=(round(load_before, 1), round(load_after, 1)),
        )
    finally:
        processes_stop(processes)


def warm(users: list[User]) -> None:
    """Each user signs in (CSRF token) and asks each page once, not timed: both workers load the model, the rating
    statistics and their templates before the clock starts. A few users at a time: all of them at once would queue
    past the clients' timeout on the sync workers of ``before``."""

    def visit(user: User) -> None:
        user.csrf()
        for kind in (CATALOGUE, SEARCH, MOVIE, HOME):
            user.act(kind, Run())

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(visit, users))  # list: an error in a visit is raised here


def at_text(seconds: float | None) -> str:
    """A moment of the run as the reports print it: seconds since the start, or never."""
    return "never" if seconds is None else f"{seconds:.1f} s"


def worker_wait(worker: subprocess.Popen, log: Path, *, name: str = "the Celery worker") -> None:
    """Returns once the Celery worker says it is ready; SystemExit naming it and its log if it exits or takes 120 s."""
    deadline = time.monotonic() + 120
    while " ready." not in log.read_text(errors="replace"):
        if worker.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{name} did not start; see {log}")
        time.sleep(0.5)


def cpu_seconds(processes: list[subprocess.Popen]) -> dict[str, float]:
    """CPU time (user + system) of gunicorn's and Celery's processes with their children, by role."""
    ticks = os.sysconf("SC_CLK_TCK")
    totals = {}
    for name, process in zip(("gunicorn", "celery"), processes, strict=False):
        total = 0.0
        for pid in [process.pid, *children(process.pid)]:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        totals[name] = total
    return totals


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


if __name__ == "__main__":
    raise SystemExit(main())
