"""A recommendations request under gunicorn, the BLAS libraries at their default thread pools against one thread.

Both runs start the Procfile's gunicorn config (movierec_site/gunicorn.conf.py: 2 threaded workers, production
settings) on a copy of the prepared site (bench/prepared_site.py); the baseline drops its one BLAS thread per
worker, so that each BLAS library keeps its default pool of one thread per core (bench/gunicorn_variant.conf.py,
blas-default). Signed-in users with 10 ratings each (their list placed by fold-in on every request) ask for their
recommendations page one request at a time: first 1 user alone, then 2 at once (as many as workers); the
catalogue's list, which multiplies no matrix, is asked alike as the control. Time from send to answer, in the
client; quantiles are bench/common.py's. Prints p50/p99 per page, users and config, and the ratio one / default.

    .venv/bin/python bench/blas_threads.py [--requests 150] [--warmup 10]
"""

import argparse
import os
import random
import tempfile
import threading
import time
from pathlib import Path

import requests
from common import BLAS_VARIABLES, ROOT, free_port, gunicorn_start, private_redis, processes_stop, quantile
from prepared_site import prepare, server_env, users_sign_in

HOME, CATALOGUE = "recommendations", "catalogue list (control)"
CONFIGS = {
    "default pools": (ROOT / "bench" / "gunicorn_variant.conf.py", {"BENCH_GUNICORN": "blas-default"}),
    "one thread": (ROOT / "movierec_site" / "gunicorn.conf.py", {}),
}
USERS = (1, 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=150, help="timed requests per user and page")
    parser.add_argument("--warmup", type=int, default=10, help="requests per user and page not timed")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    args = parser.parse_args()

    times: dict[tuple[str, str, int], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="movierec-blas-") as folder, private_redis() as redis_url:
        workdir = Path(folder)
        prepare(workdir, redis_url)
        env = {k: v for k, v in server_env(workdir, redis_url).items() if k not in BLAS_VARIABLES}
        prepared = users_sign_in(env, count=max(USERS), first_ratings=10, seed=args.seed)
        sessions = list(prepared["sessions"].values())
        load_before = os.getloadavg()[0]
        for name, (config, extra) in CONFIGS.items():
            port = free_port()
            server = gunicorn_start(env={**env, **extra}, port=port, log=workdir / f"gunicorn-{len(times)}.log",
                                    options=["--config", str(config)])  # fmt: skip
            try:
                for users in USERS:
                    for page in (HOME, CATALOGUE):
                        times[name, page, users] = together(
                            f"http://127.0.0.1:{port}", sessions[:users], page, args.requests, args.warmup
                        )
            finally:
                processes_stop([server])
    report(times)
    print(f"\nMachine load average (1 min): {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    return 0


def together(base: str, sessions: list[str], page: str, count: int, warmup: int) -> list[float]:
    """Each session asks ``page`` warmup + count times in turn, all sessions at once; the timed answers in ms."""
    times: list[float] = []
    lock = threading.Lock()

    def ask(session: str, rng: random.Random) -> None:
        http = requests.Session()
        http.headers["Cookie"] = f"sessionid={session}"  # production's Secure cookie, sent over plain HTTP
        for number in range(warmup + count):
            params: dict[str, str | int]
            if page == HOME:
                url, params = f"{base}/", {"page": rng.randint(1, 3)}
            else:
                url, params = f"{base}/movies/", {"order": "popular", "page": rng.randint(1, 20)}
            started = time.perf_counter()
            response = http.get(url, params=params, timeout=60)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200 or (page == HOME and 'action="/accounts/logout/"' not in response.text):
                raise SystemExit(f"{page}: HTTP {response.status_code}, or not signed in")
            if number >= warmup:
                with lock:
                    times.append(elapsed)

    threads = [threading.Thread(target=ask, args=(s, random.Random(i))) for i, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def report(times: dict[tuple[str, str, int], list[float]]) -> None:
    default, one = CONFIGS
    print("\nTime per request under gunicorn, by BLAS pool (ms; ratio one thread / default pools)")
    print(f"  {'page':26} {'users':>5} {'default p50':>11} {'p99':>7} {'one p50':>8} {'p99':>7} {'p50 ratio':>9}")
    for page in (HOME, CATALOGUE):
        for users in USERS:
            d, o = times[default, page, users], times[one, page, users]
            d50, o50 = quantile(d, 0.5), quantile(o, 0.5)
            print(
                f"  {page:26} {users:>5} {d50:>11.1f} {quantile(d, 0.99):>7.1f} {o50:>8.1f} "
                f"{quantile(o, 0.99):>7.1f} {o50 / d50:>8.2f}x"
            )


if __name__ == "__main__":
    raise SystemExit(main())
