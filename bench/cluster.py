"""Two web hosts and two workers that share nothing on disk, under signed-in users, with a retrain in the middle.

The cluster of issue 18 on one machine. Each "host" is a separate process tree with folders of its own:

- ``web-a``, ``web-b``: the Procfile's web command (gunicorn, movierec_site/gunicorn.conf.py, 2 workers), each with
  its own MODEL_CACHE_DIR, the verified copies of the versions it serves;
- ``worker-training``: ``celery -A movierec_site worker -Q training --concurrency 1``, as a training host runs it;
- ``worker-default``: ``celery -A movierec_site worker -Q celery``, the light tasks.

No MODEL_DIR is shared: each host's is a private folder (the training worker stages a version there before it
uploads it). What they share is what a real cluster shares: PostgreSQL (the registry, ratings, sessions), Redis
(broker, locks, cache; a redis-server of this run) and S3-compatible object storage, moto in server mode (on PyPI,
in the dev lock; pure Python, speaks the S3 API that boto3 and django-storages use; MinIO is not on PyPI). The
store starts empty each run (moto keeps it in memory), so the run first trains the version it starts from.

``--network netns`` (the default when run as root and ``ip netns`` works): each host runs in a network namespace of
its own, joined to a bridge, and reaches the services at the bridge's address, where socat forwards to their
loopback ports (PostgreSQL listens on 127.0.0.1 only); the users reach the web hosts at their own addresses.
``--network loopback`` runs everything on 127.0.0.1.

The run: --users signed-in users (bench/load.py's simulation: catalogue, search, movie pages, recommendations,
ratings by htmx and by form), half on each web host, for --seconds; at --retrain-at a staff client asks
POST /api/models/retrain, as an operator would, and the users go on until --after seconds past the new version's
activation when that comes later (on two shared cores it does: the retrain gets a sliver of them). Reported:
errors, lost ratings (acknowledged ratings not in the database at the end), p50/p99 per page before the retrain,
while it trains and after it, and for each web host when it served the new version, relative to the version's
activation (``activated_at`` in the registry): GET /api/health names the version the answering gunicorn worker
serves, polled on each host; a host serves the new version once its first answer names it and no later answer
names the old one, timed by the host's own clock (the answer's Date header, plus one second for its truncation)
and by the bench's (when the answer was read, which on busy cores can come seconds later). Goals (issue 18):
0 errors, 0 lost ratings, both hosts on the new version within 10 s of its activation by their own clocks; the
exit status says whether they were met.

    createdb -h 127.0.0.1 -U postgres movierec_bench_cluster  # once (the bench creates it when it can)
    .venv/bin/python bench/cluster.py [--users 50] [--seconds 60] [--retrain-at 20] [--after 15]
                                      [--network netns|loopback]

The first run migrates that database and imports MovieLens 100k; each run adds users of its own (its seed).
"""

import argparse
import os
import random
import re
import shutil
import subprocess
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import requests
from common import (
    BLAS_VARIABLES,
    GUNICORN,
    ROOT,
    free_port,
    private_redis,
    process_start,
    processes_stop,
    quantile,
    until_answering,
)
from load import (
    CELERY_WORKER_BASE,
    FIRST_RATINGS,
    MIX,
    Run,
    User,
    at_text,
    drive,
    log_problems_print,
    phase,
    procfile_env,
    ratings_verify,
    report,
    versions_listed,
    warm,
    worker_wait,
)
from prepared_site import manage, server_env, users_sign_in

from tests.processes import S3Server

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/movierec_bench_cluster"
WEB_HOSTS = ("web-a", "web-b")
WORKERS = {"worker-training": ["-Q", "training", "--concurrency", "1"], "worker-default": ["-Q", "celery"]}
GOAL_SWAP_S = 10.0
RETRAIN_WAIT_S = 900  # past the users' --seconds: a retrain that has not ended by then is reported as never
HEALTH_EVERY_S = 0.25
BUCKET = "movierec-bench-cluster"
WEB_PORT = 8000  # inside each web host's namespace; loopback mode picks free ports
VERSION = re.compile(r"version (\d+) ")


@dataclass
class Host:
    """One process of the cluster: its name, its folders, where it is reached, and how it is started."""

    name: str
    workdir: Path
    address: str = "127.0.0.1"
    netns: str | None = None
    process: subprocess.Popen | None = None
    port: int = WEB_PORT

    @property
    def log(self) -> Path:
        return self.workdir / f"{self.name}.log"

    @property
    def url(self) -> str:
        return f"http://{self.address}:{self.port}"

    def command(self, words: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.netns, *words] if self.netns else words


@dataclass(frozen=True)
class Answer:
    """One answer of a web host's /api/health, and the version it named (None: none served)."""

    received: float  # when it arrived, seconds since the start by the bench's clock
    # When the host wrote it, by its own clock: its Date header (whole seconds) plus one, so never earlier than that.
    # The bench's 50 user threads on two busy cores can take seconds to read an answer; the host's clock cannot.
    produced: float
    version: int | None


@dataclass
class Served:
    """What one web host's /api/health answered over the run."""

    answers: list[Answer] = field(default_factory=list)
    errors: int = 0

    def swap(self, *, old: int | None, new: int, clock: str) -> float | None:
        """When the host served ``new`` for good by ``clock`` ("received" or "produced"), seconds since the start:
        its first answer naming ``new``, or its last naming ``old`` when one came later (another gunicorn worker)."""
        times = [(getattr(answer, clock), answer.version) for answer in self.answers]
        first = min((at for at, version in times if version == new), default=None)
        if first is None:
            return None
        return max([first, *(at for at, version in times if version == old and at >= first)])


class Network:
    """Each host in a network namespace of its own on a bridge; socat forwards the bridge's ports of the services
    to their loopback ones. Removed, namespaces, bridge and forwarders, when the block ends."""

    BRIDGE, PREFIX, SUBNET = "mrc-br", "mrc-", "10.77.0"

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.gateway = f"{self.SUBNET}.1"
        self.namespaces: list[str] = []
        self.forwarders: list[subprocess.Popen] = []

    @staticmethod
    def available() -> str | None:
        """None when namespaces can be made here, else why not."""
        if os.geteuid() != 0:
            return "not root: ip netns needs CAP_SYS_ADMIN"
        if shutil.which("ip") is None or shutil.which("socat") is None:
            return "ip (iproute2) or socat is missing"
        return None

    def __enter__(self) -> "Network":
        if subprocess.run(["ip", "link", "show", self.BRIDGE], capture_output=True).returncode == 0:
            raise SystemExit(f"{self.BRIDGE} exists: another cluster run is going, or one died (ip link del it)")
        _ip("link", "add", self.BRIDGE, "type", "bridge")
        _ip("addr", "add", f"{self.gateway}/24", "dev", self.BRIDGE)
        _ip("link", "set", self.BRIDGE, "up")
        return self

    def host(self, host: Host, number: int) -> None:
        """``host`` in namespace ``mrc-<name>`` at 10.77.0.<10 + number>, linked to the bridge by a veth pair."""
        namespace, outside, inside = f"{self.PREFIX}{host.name}", f"mrc{number}h", f"mrc{number}n"
        _ip("netns", "add", namespace)
        self.namespaces.append(namespace)
        _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
        _ip("link", "set", inside, "netns", namespace)
        _ip("link", "set", outside, "master", self.BRIDGE, "up")
        _ip("-n", namespace, "addr", "add", f"{self.SUBNET}.{10 + number}/24", "dev", inside)
        _ip("-n", namespace, "link", "set", inside, "up")
        _ip("-n", namespace, "link", "set", "lo", "up")
        host.netns, host.address = namespace, f"{self.SUBNET}.{10 + number}"

    def forward(self, port: int) -> None:
        """The bridge's ``port`` to 127.0.0.1's."""
        command = ["socat", f"TCP-LISTEN:{port},bind={self.gateway},fork,reuseaddr", f"TCP:127.0.0.1:{port}"]
        self.forwarders.append(process_start(command=command, env=dict(os.environ), log=self.workdir / "socat.log"))

    def __exit__(self, *_: object) -> None:
        processes_stop(self.forwarders)
        for namespace in self.namespaces:  # its veth end goes with it, and the pair with that
            subprocess.run(["ip", "netns", "del", namespace], check=False)
        subprocess.run(["ip", "link", "del", self.BRIDGE], check=False)


def _ip(*words: str) -> None:
    subprocess.run(["ip", *words], check=True)


def database_ensure(url: str) -> None:
    """The database of ``url`` created when missing (as the server's superuser), then migrated elsewhere."""
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def host_env(
    base: dict[str, str], *, services: dict[str, str], store: dict[str, str], host: Host, webs: list[Host]
) -> dict[str, str]:
    """The production settings of every host, on the shared services as ``host`` reaches them (``store``: the
    model store's variables), with folders of its own: MODEL_DIR and MODEL_CACHE_DIR under its workdir, nothing else
    on disk. The web hosts' addresses are allowed hosts (the users ask for them by address)."""
    env = {k: v for k, v in base.items() if k not in BLAS_VARIABLES}
    env.update(
        store,
        ALLOWED_HOSTS=",".join([base["ALLOWED_HOSTS"], *(web.address for web in webs)]),
        DATABASE_URL=services["database"],
        REDIS_URL=services["redis"],
        CELERY_BROKER_URL=services["redis"],
        CELERY_RESULT_BACKEND=services["redis"],
        MODEL_S3_ENDPOINT_URL=services["s3"],
        MODEL_DIR=str(host.workdir / "models"),
        MODEL_CACHE_DIR=str(host.workdir / "model-cache"),
        # The run measures the swap across hosts, not the promotion gate: the users' random ratings may cost the
        # new version a little validation RMSE, and it must still be activated.
        RECOMMENDER_PROMOTION_TOLERANCE="1.0",
        LOG_LEVEL="INFO",
    )
    return env


def services_as_seen(*, database: str, redis_url: str, s3_url: str, network: Network | None) -> dict[str, str]:
    """The services' URLs as the hosts reach them: at the bridge's address in their namespaces, else as given."""
    services = {"database": database, "redis": redis_url, "s3": s3_url}
    if network is None:
        return services
    return {name: url.replace("127.0.0.1", network.gateway) for name, url in services.items()}


def web_start(host: Host, env: dict[str, str]) -> None:
    """The Procfile's web command on ``host``, listening on its own address; returns once /api/health answers."""
    command = [GUNICORN, "movierec_site.wsgi:application", "--config", str(ROOT / "movierec_site" / "gunicorn.conf.py")]
    bind = {"HOST": "0.0.0.0" if host.netns else "127.0.0.1", "PORT": str(host.port)}  # noqa: S104 (its own netns)
    host.process = process_start(command=host.command(command), env={**env, **bind}, log=host.log)
    until_answering(url=f"{host.url}/api/health", process=host.process, log=host.log)


def worker_start(host: Host, env: dict[str, str], options: list[str]) -> None:
    """A Celery worker on ``host`` with ``options`` (its queues), the BLAS variables of the Procfile's worker line;
    returns once it says it is ready."""
    command = [*CELERY_WORKER_BASE, *options, "-n", f"{host.name}@%h"]
    host.process = process_start(command=host.command(command), env={**env, **procfile_env("worker")}, log=host.log)
    worker_wait(host.process, host.log, name=host.name)


class ClusterUser(User):
    """bench/load.py's user, noting what each failed connection said (the run counts only its type)."""

    failures: list[str] = []  # shared by every user: (when, where, what) of each connection error

    def act(self, kind: str, run: Run) -> None:
        try:
            super().act(kind, run)
        except requests.ConnectionError as error:
            self.failures.append(f"{run.now():.1f} s, {kind} on {self.base}: {error!r}")
            raise


def health_watch(host: Host, run: Run, served: Served, stop: threading.Event, wall_start: float) -> None:
    """GET /api/health on ``host`` every HEALTH_EVERY_S until ``stop``: the version each answer names."""
    session = requests.Session()
    while not stop.wait(HEALTH_EVERY_S):
        try:
            response = session.get(f"{host.url}/api/health", timeout=30)
            match = VERSION.match(response.json()["checks"]["model"]["detail"])
            produced = parsedate_to_datetime(response.headers["Date"]).timestamp() + 1 - wall_start
            served.answers.append(Answer(run.now(), produced, int(match.group(1)) if match else None))
        except (requests.RequestException, ValueError, KeyError):
            served.errors += 1


def retrain_ask(base: str, token: str, run: Run, *, at: float, wall_start: float, stop: float, after: float) -> None:
    """At ``at``, POST /api/models/retrain as an operator; then follow the new version until it is active (or
    rejected, or failed), with its activation in seconds since the start of the run (the registry's clock). The
    users go on until ``after`` seconds past the activation, however late it comes."""
    headers = {"Authorization": f"Bearer {token}"}
    before = {v["id"] for v in versions_listed(base, headers)}
    time.sleep(max(0.0, at - run.now()))
    run.retrain_at = run.now()
    run.until = float("inf")  # the users go on until the retrain has ended, and ``after`` seconds past it
    try:
        response = requests.post(f"{base}/api/models/retrain", headers=headers, timeout=30)
        run.retrain["request"] = f"HTTP {response.status_code}"
        while response.ok and run.now() < stop + RETRAIN_WAIT_S:
            time.sleep(0.5)
            new = versions_listed(base, headers, besides=before)
            if not new:
                continue
            version = new[-1]
            run.retrain.update(version=version["id"], status=version["status"], rmse=version["metrics"].get("rmse", 0))
            if version["status"] in {"rejected", "failed"}:
                run.finished_at = run.now()
                return
            if version["status"] == "active":
                run.activated_at = datetime.fromisoformat(version["activated_at"]).timestamp() - wall_start
                run.finished_at = run.now()
                run.until = run.activated_at + after
                return
    finally:
        if run.until == float("inf"):
            run.until = 0.0


def prepare(env: dict[str, str]) -> None:
    """The shared database migrated and holding MovieLens 100k (imported on the first run only), and a first
    version trained into this run's empty store and activated."""
    manage(env, "migrate", "--verbosity", "0")
    counted = manage(
        env, "shell", "-c", "from ratings.models import Rating; print(Rating.objects.count())", capture=True
    )
    if int(counted.strip().splitlines()[-1]) == 0:
        print("Importing MovieLens 100k into the cluster's database (first run only)", flush=True)
        manage(env, "import_movielens")
    print("Training the version the run starts from, into the store (S3)", flush=True)
    manage(env, "train", "--force")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between a user's requests (s)")
    parser.add_argument("--retrain-at", type=float, default=20.0, help="when the retrain is asked for (s)")
    parser.add_argument("--after", type=float, default=15.0, help="how long the users go on past the activation (s)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE, help="PostgreSQL, shared by every host")
    why_not = Network.available()
    parser.add_argument("--network", choices=["netns", "loopback"], default="loopback" if why_not else "netns")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    args = parser.parse_args()
    if args.network == "netns" and why_not:
        raise SystemExit(f"--network netns: {why_not}")
    if args.network == "loopback":
        print(f"Network: every host on 127.0.0.1 ({why_not or 'as asked'})")

    workdir = Path(tempfile.mkdtemp(prefix="movierec-cluster-"))
    database_ensure(args.database_url)
    with ExitStack() as stack:
        redis_url = stack.enter_context(private_redis())
        s3 = S3Server(log=workdir / "moto.log").start()
        stack.callback(s3.kill)
        store, s3_url = s3.env(bucket=s3.bucket_create(BUCKET)), s3.url
        network = stack.enter_context(Network(workdir)) if args.network == "netns" else None
        names = [*WEB_HOSTS, *WORKERS]
        hosts = {name: Host(name=name, workdir=workdir / name) for name in names}
        for number, host in enumerate(hosts.values()):
            host.workdir.mkdir(parents=True)
            if network is not None:
                network.host(host, number)
            elif host.name in WEB_HOSTS:
                host.port = free_port()
        if network is not None:
            for url in (args.database_url, redis_url, s3_url):
                network.forward(urlsplit(url).port or 5432)
        services = services_as_seen(database=args.database_url, redis_url=redis_url, s3_url=s3_url, network=network)
        base = server_env(workdir, redis_url, database_url=args.database_url)
        # The bench's own manage.py (migrate, import, the first version, users, the final count) as one more host
        # on the loopback: it shares the same services, and its folders are its own too.
        bench_host = Host(name="bench", workdir=workdir / "bench")
        bench_host.workdir.mkdir()
        local = {"database": args.database_url, "redis": redis_url, "s3": s3_url}
        webs = [hosts[name] for name in WEB_HOSTS]
        bench_env = host_env(base, services=local, store=store, host=bench_host, webs=webs)
        prepare(bench_env)
        prepared = users_sign_in(bench_env, count=args.users, first_ratings=FIRST_RATINGS, seed=args.seed)

        processes: list[subprocess.Popen] = []
        stack.callback(lambda: processes_stop(processes))
        for name in WEB_HOSTS:
            web_start(hosts[name], host_env(base, services=services, store=store, host=hosts[name], webs=webs))
            processes.append(hosts[name].process)
        for name, options in WORKERS.items():
            env = host_env(base, services=services, store=store, host=hosts[name], webs=webs)
            worker_start(hosts[name], env, options)
            processes.append(hosts[name].process)
        print(f"Hosts: {', '.join(f'{h.name} {h.address}' for h in hosts.values())}; logs in {workdir}", flush=True)
        return measure(args, hosts, prepared, bench_env, workdir)


def measure(
    args: argparse.Namespace, hosts: dict[str, Host], prepared: dict, env: dict[str, str], workdir: Path
) -> int:
    """The users' run against the two web hosts, the retrain, and the report; 0 when the goals are met."""
    rng = random.Random(args.seed)
    webs = [hosts[name] for name in WEB_HOSTS]
    users = [
        ClusterUser(webs[number % len(webs)].url, name, key, prepared["movies"], random.Random(rng.random()))
        for number, (name, key) in enumerate(prepared["sessions"].items())
    ]
    warm(users)
    for user in users:  # idle past gunicorn's keep-alive since: a fresh connection each, as a browser would open
        user.http.close()
    served = {host.name: Served() for host in webs}
    old = {host.name: _served_version(host) for host in webs}
    stop = threading.Event()
    run = Run(start=time.perf_counter())
    wall_start = time.time()
    watchers = [threading.Thread(target=health_watch, args=(h, run, served[h.name], stop, wall_start)) for h in webs]
    drivers = [threading.Thread(target=drive, args=(u, run, args.seconds, args.think)) for u in users]
    controller = threading.Thread(
        target=retrain_ask,
        args=(webs[0].url, prepared["staff_token"], run),
        kwargs={"at": args.retrain_at, "wall_start": wall_start, "stop": args.seconds, "after": args.after},
    )
    for thread in [*watchers, *drivers, controller]:
        thread.start()
    for thread in drivers:
        thread.join()
    elapsed = run.now()
    controller.join()
    if run.activated_at is not None:  # the health watch goes on until both hosts answered the new version
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not all(
            s.swap(old=old[name], new=run.retrain["version"], clock="received") for name, s in served.items()
        ):
            time.sleep(0.5)
        time.sleep(5 * HEALTH_EVERY_S)  # a few answers more, to see that no worker answers the old one
    stop.set()
    for thread in watchers:
        thread.join()

    report(run, elapsed, args.users)
    after = {kind: [s.ms for s in run.samples if s.kind == kind and phase(s, run) == "after"] for kind, _ in MIX}
    if all(after.values()):
        before = {kind: [s.ms for s in run.samples if s.kind == kind and phase(s, run) == "before"] for kind, _ in MIX}
        ratios = ", ".join(f"{k} {quantile(after[k], 0.99) / quantile(before[k], 0.99):.2f}x" for k, _ in MIX)
        print(f"  p99 after / before: {ratios}")
    else:
        print("  after: no requests (the retrain did not end with a new version active)")
    print(
        f"\nRetrain: asked at {at_text(run.retrain_at)} ({run.retrain.get('request')}) on {webs[0].name}, version "
        f"v{run.retrain.get('version')} {run.retrain.get('status')} (rmse {run.retrain.get('rmse', 0):.4f}), "
        f"activated at {at_text(run.activated_at)}"
    )
    swaps = {}
    for host in webs:
        watched, new = served[host.name], run.retrain.get("version")
        if run.activated_at is None:
            swaps[host.name] = None
            continue
        by = {clock: watched.swap(old=old[host.name], new=new, clock=clock) for clock in ("produced", "received")}
        swaps[host.name] = None if by["produced"] is None else by["produced"] - run.activated_at
        print(
            f"  {host.name}: served v{old[host.name]} before, v{new} for good "
            f"{_after(by['produced'], run.activated_at)} after its activation by its own clock (Date + 1 s), "
            f"{_after(by['received'], run.activated_at)} by the bench's (answer read); {len(watched.answers)} "
            f"health answers, {watched.errors} errors"
        )
    ratings = ratings_verify(run, env, workdir)
    for failure in ClusterUser.failures:
        print(f"Connection error: {failure}")
    for host in hosts.values():
        log_problems_print(host.log)
    errors = sum(1 for s in run.samples if s.error) + sum(s.errors for s in served.values())
    on_time = all(s is not None and s <= GOAL_SWAP_S for s in swaps.values())
    shown = ", ".join(f"{name} {'never' if s is None else f'{s:.1f} s'}" for name, s in swaps.items())
    print(
        f"Goals: 0 errors -> {errors}; 0 lost ratings -> {ratings['lost']}; both hosts on the new version within "
        f"{GOAL_SWAP_S:.0f} s of its activation -> {shown}; logs in {workdir}"
    )
    return 0 if errors == 0 and ratings["lost"] == 0 and on_time else 1


def _served_version(host: Host) -> int | None:
    detail = requests.get(f"{host.url}/api/health", timeout=30).json()["checks"]["model"]["detail"]
    match = VERSION.match(detail)
    return int(match.group(1)) if match else None


def _after(at: float | None, activated: float) -> str:
    return "never" if at is None else f"{at - activated:+.1f} s"


if __name__ == "__main__":
    raise SystemExit(main())
