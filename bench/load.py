"""The site under load while a retrain trains and activates a new version: errors, latency per page, lost ratings.

Runs the whole stack on a copy of the prepared site (bench/prepared_site.py: ml-100k and an active model):
a private redis-server (bench/common.py), gunicorn with 2 workers (production settings) and a Celery worker.
Then 50 signed-in users (default) browse for 60 s, each a thread with its own session, pausing about --think
seconds between requests: the catalogue (lists and searches), movie pages, their recommendations, and ratings
(htmx and plain form posts, with the CSRF token, as the browser sends them). At --retrain-at seconds a staff
client asks the API for a retrain; the worker trains on every rating, the new version is activated, and the web
workers swap it in.

Figures: requests, errors (goal 0), p50/p99 per page over the run and in three phases (before the retrain,
while it trains until activation, after), with the ratio of p99 during the retrain to p99 before it (the
baseline, same run); then every acknowledged rating is looked up in the database (goal: 0 lost), and the logs
are searched for "database is locked" and tracebacks.

    .venv/bin/python bench/load.py [--users 50] [--seconds 60] [--think 1.0] [--retrain-at 20]
    createdb -h 127.0.0.1 -U postgres movierec_bench_load  # once; the first run imports ml-100k and trains
    .venv/bin/python bench/load.py --database-url postgres://postgres@127.0.0.1:5432/movierec_bench_load

Latency is measured by the clients (queueing in gunicorn included), from the moment each request is sent;
quantiles are bench/common.py's.
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
from dataclasses import dataclass, field
from pathlib import Path

import requests
from common import (
    PYTHON,
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
from prepared_site import manage, prepare, server_env

CATALOGUE, SEARCH, MOVIE, HOME, RATE_HTMX, RATE_FORM = (
    "catalogue list", "catalogue search", "movie page", "recommendations", "rate (htmx)", "rate (form)",
)  # fmt: skip
MIX = ((CATALOGUE, 0.18), (SEARCH, 0.12), (MOVIE, 0.25), (HOME, 0.25), (RATE_HTMX, 0.12), (RATE_FORM, 0.08))
ORDERINGS = ("popular", "best", "title", "newest", "oldest")
FIRST_RATINGS = 10
PHASES = ("before", "during", "after")
CELERY_WORKER = [PYTHON, "-m", "celery", "-A", "movierec_site", "worker", "--pool=prefork", "--concurrency=1",
                 "--loglevel=INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"]  # fmt: skip
LOG_PROBLEMS = {"database is locked": re.compile(r"database is locked"), "traceback": re.compile(r"^Traceback", re.M)}

# Run by ``manage.py shell`` with the server's environment: users with sessions and first ratings, a staff token.
SETUP = """
import json, os
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.models import Permission
from django.contrib.sessions.backends.db import SessionStore
from django.db.models import Count
from django.utils import timezone
from api.services import token_create
from ratings.models import Movie, Rating
from recommender.models import MANAGE_PERMISSION

count, first, seed = (int(os.environ[name]) for name in ("BENCH_USERS", "BENCH_FIRST_RATINGS", "BENCH_SEED"))
import random
rng = random.Random(seed)
popular = list(Movie.objects.annotate(n=Count("ratings")).order_by("-n").values_list("pk", flat=True)[:300])
User = get_user_model()
users = []
for i in range(count):
    user = User(username=f"load{seed}u{i}")
    user.set_unusable_password()
    users.append(user)
User.objects.bulk_create(users)
users = list(User.objects.filter(username__startswith=f"load{seed}u"))
now = timezone.now()
Rating.objects.bulk_create(
    Rating(user=u, movie_id=m, score=rng.choice([2.0, 3.0, 4.0, 5.0]), timestamp=now)
    for u in users for m in rng.sample(popular[:100], first)
)
sessions = {}
for user in users:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    sessions[user.username] = session.session_key
staff = User.objects.create(username=f"load{seed}staff", is_staff=True)
app_label, codename = MANAGE_PERMISSION.split(".")
staff.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
print(json.dumps({"sessions": sessions, "staff_token": token_create(user=staff)[0], "movies": popular}))
"""

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
    while run.now() < stop:
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


def retrain(base: str, token: str, run: Run, at: float, stop: float) -> None:
    """Ask for a retrain at ``at``; follow it until its version is active and the web workers serve it."""
    headers = {"Authorization": f"Bearer {token}"}
    before = {v["id"] for v in requests.get(f"{base}/api/models", headers=headers, timeout=30).json()}
    time.sleep(max(0.0, at - run.now()))
    run.retrain_at = run.now()
    response = requests.post(f"{base}/api/models/retrain", headers=headers, timeout=30)
    run.retrain["request"] = f"HTTP {response.status_code}"
    while run.now() < stop + 120 and run.swapped_at is None:
        time.sleep(0.5)
        versions = [v for v in requests.get(f"{base}/api/models", headers=headers, timeout=30).json()
                    if v["id"] not in before]  # fmt: skip
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between a user's requests (s)")
    parser.add_argument("--retrain-at", type=float, default=20.0, help="when the retrain is asked for (s)")
    parser.add_argument("--database-url", help="PostgreSQL instead of the SQLite copy (filled on first use)")
    parser.add_argument("--fresh", action="store_true", help="import and train again instead of reusing var/bench/")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="movierec-load-"))
    with private_redis() as redis_url:
        return site_run(args, workdir, redis_url)


def site_run(args: argparse.Namespace, workdir: Path, redis_url: str) -> int:
    prepare(workdir, redis_url, fresh=args.fresh, database_url=args.database_url)
    env = server_env(workdir, redis_url, database_url=args.database_url)
    # The run measures the swap under load, not the promotion gate: the users' random ratings may cost the new
    # version a little validation RMSE, and it must still be activated.
    env["RECOMMENDER_PROMOTION_TOLERANCE"] = "1.0"
    numbers = {"BENCH_USERS": args.users, "BENCH_FIRST_RATINGS": FIRST_RATINGS, "BENCH_SEED": args.seed}
    setup = manage({**env, **{k: str(v) for k, v in numbers.items()}}, "shell", "-c", SETUP, capture=True)
    prepared = json.loads(setup.strip().splitlines()[-1])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    processes = [gunicorn_start(env=env, port=port, log=workdir / "gunicorn.log")]
    try:
        celery_log = workdir / "celery.log"
        processes.append(process_start(command=CELERY_WORKER, env=env, log=celery_log))
        worker_wait(processes[-1], celery_log)
        gunicorn = processes[0]
        rng = random.Random(args.seed)
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
        worker_rss = [rss_mb(pid)[0] for pid in children(gunicorn.pid)]
        cpu = {name: used - cpu_before.get(name, 0.0) for name, used in cpu_seconds(processes).items()}

        report(run, elapsed, args.users)
        print(
            f"\nRetrain: asked at {run.retrain_at:.1f} s ({run.retrain.get('request')}), version "
            f"v{run.retrain.get('version')} {run.retrain.get('status')} (rmse {run.retrain.get('rmse', 0):.4f}); "
            f"active at {_at(run.activated_at)}, served by the web workers at {_at(run.swapped_at)}"
        )
        acked = workdir / "acked.json"
        acked.write_text(json.dumps([[u, m, s] for (u, m), s in run.acked.items()]))
        verified = manage({**env, "BENCH_ACKED": str(acked)}, "shell", "-c", VERIFY, capture=True)
        ratings = json.loads(verified.strip().splitlines()[-1])
        print(f"Ratings: {ratings['acknowledged']} acknowledged, {ratings['lost']} lost {ratings['examples'] or ''}")
        print(f"Web workers' memory: RSS {', '.join(f'{mb:.0f}' for mb in worker_rss)} MiB")
        print(
            f"CPU seconds used during the run: {', '.join(f'{name} {sec:.1f}' for name, sec in cpu.items())}; "
            f"machine load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after ({os.cpu_count()} CPUs)"
        )
        for name in ["gunicorn.log", "celery.log"]:
            text = (workdir / name).read_text(errors="replace")
            problems = {label: len(pattern.findall(text)) for label, pattern in LOG_PROBLEMS.items()}
            print(f"{name}: {problems}")
        errors = sum(1 for s in run.samples if s.error)
        print(f"Goals: 0 errors -> {errors}; 0 lost ratings -> {ratings['lost']}; logs in {workdir}")
        return 0 if errors == 0 and ratings["lost"] == 0 else 1
    finally:
        processes_stop(processes)


def warm(users: list[User]) -> None:
    """Each user signs in (CSRF token) and asks each page once, not timed: both workers load the model, the rating
    statistics and their templates before the clock starts."""

    def visit(user: User) -> None:
        user.csrf()
        for kind in (CATALOGUE, SEARCH, MOVIE, HOME):
            user.act(kind, Run())

    threads = [threading.Thread(target=visit, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _at(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds:.1f} s"


def worker_wait(worker: subprocess.Popen, log: Path) -> None:
    """Returns once the Celery worker says it is ready; SystemExit naming its log if it exits or takes 120 s."""
    deadline = time.monotonic() + 120
    while " ready." not in log.read_text(errors="replace"):
        if worker.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the Celery worker did not start; see {log}")
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
