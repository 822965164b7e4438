"""Start-up time: `manage.py check`, and a second `make run` to its banner and to its first answered page.

The first `make run` prepares a site of its own under var/bench/startup/ (SQLite, MovieLens 100k imported, the
first model trained; a minute or so), once; each measured `make run` then starts on it again with nothing left to
do, on a private Redis, and the clock runs from the command to the banner that scripts/run.sh prints and to the
first 200 of the home page, after which the whole process group (honcho, gunicorn, Celery) is stopped. Medians of
``--runs``, printed against the figures issue 12 gave before this work, as ratios (lower is better).

    .venv/bin/python bench/startup.py [--runs 3] [--fresh]

Goals (issue 12): `manage.py check` <= 3 s; second `make run` to its banner <= 10 s.
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import time
from pathlib import Path

from common import BENCH_DIR, PYTHON, ROOT, free_port, private_redis, until_answering

SITE = BENCH_DIR / "startup"
# The line scripts/run.sh prints as it starts honcho (its address follows once the site answers, as the first page).
BANNER = "==> Starting web, worker and beat"
# Issue 12 ("Why"): the figures before this work.
BEFORE_S = {"manage.py check": 8.0, "second make run, to its banner": 28.0, "second make run, to the first page": 45.0}
GOALS_S = {"manage.py check": 3.0, "second make run, to its banner": 10.0}


def site_env(redis_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}  # run.sh's default
    return {
        **env,
        "DATABASE_URL": f"sqlite:///{SITE / 'db.sqlite3'}",
        "MODEL_DIR": str(SITE / "models"),
        "DJANGO_SUPERUSER_PASSWORD": "bench-startup-admin",  # else run.sh keeps one in var/admin-password
        "REDIS_URL": redis_url,
        "PORT": str(free_port()),
    }


def make_run(env: dict[str, str], log: Path) -> tuple[float, float]:
    """Seconds from `make run` to its banner and to the first 200 of the home page; stops everything it started."""
    started = time.perf_counter()
    with log.open("w") as output:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "run"], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,  # one process group: honcho, gunicorn and Celery are stopped together
        )  # fmt: skip
    try:
        while BANNER not in log.read_text(errors="replace"):
            if process.poll() is not None:
                raise SystemExit(f"make run stopped before its banner; see {log}")
            time.sleep(0.05)
        banner = time.perf_counter() - started
        until_answering(url=f"http://127.0.0.1:{env['PORT']}/", process=process, log=log)
        return banner, time.perf_counter() - started
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def check_seconds(env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([PYTHON, "manage.py", "check"], cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fresh", action="store_true", help="prepare the site again (first make run)")
    arguments = parser.parse_args()
    with private_redis() as redis_url:
        env = site_env(redis_url)
        if arguments.fresh or not (SITE / "db.sqlite3").is_file():
            shutil.rmtree(SITE, ignore_errors=True)
            SITE.mkdir(parents=True)
            banner, page = make_run(env, SITE / "first-run.log")
            print(f"first make run (migrate, import, train): {banner:.1f} s to its banner, {page:.1f} s to the page")
        checks, runs = [], []
        for run in range(arguments.runs):
            checks.append(check_seconds({**env, "DJANGO_SETTINGS_MODULE": "movierec_site.settings.base"}))
            runs.append(make_run({**env, "PORT": str(free_port())}, SITE / f"run-{run + 1}.log"))
    figures = {
        "manage.py check": statistics.median(checks),
        "second make run, to its banner": statistics.median(banner for banner, _ in runs),
        "second make run, to the first page": statistics.median(page for _, page in runs),
    }
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; medians of {arguments.runs} runs")
    print(f"{'':<36} {'now s':>7} {'before s':>9} {'now/before':>11} {'goal s':>7}")
    for name, seconds in figures.items():
        goal = f"{GOALS_S[name]:>7.0f}" if name in GOALS_S else f"{'-':>7}"
        print(f"{name:<36} {seconds:>7.1f} {BEFORE_S[name]:>9.0f} {seconds / BEFORE_S[name]:>11.2f} {goal}")
    return 0 if all(figures[name] <= goal for name, goal in GOALS_S.items()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
