"""The site at growing sizes of synthetic MovieLens data (recsys.synthetic, ml-25m layout): import, retrain, the
web process's memory and the pages' server times, each size against the 100k figure of the same run.

For each size: the data is written once under var/bench/ (bench/synthesize.py), then a fresh database is
migrated, `manage.py import_movielens` loads it and `manage.py train --force` trains both models, each a process
of its own whose wall time and peak resident memory (the kernel's rusage for that child) are measured; then
bench/web_latency.py measures the pages in process on that site (p95 server time; warm user, new user by fold-in,
anonymous, movie page, catalogue list, search and deep page, admin ratings list, Model pages) and its RSS.

    .venv/bin/python bench/scale.py [--sizes 100k 1m] [--rounds 60]
    .venv/bin/python bench/scale.py --database-url postgres://postgres@127.0.0.1:5432/  # a database per size
    .venv/bin/python bench/scale.py --sizes 100k 25m --reuse 100k  # 100k's figures from the last run
    .venv/bin/python bench/scale.py --sizes 25m --reuse 100k --keep var/bench/site  # the site stays, to profile
    .venv/bin/python bench/scale.py --sizes 25m --reuse 100k --keep var/bench/site --imported 25m  # retrain again

Each size's figures are kept in var/bench/scale/ as they come, so that a long run that stops keeps what it measured.

Goals at ml-25m's shape (issue 17) are printed beside the figures; the smaller sizes show how each cost grows.
"""

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from common import BENCH_DIR, PYTHON, ROOT, private_redis
from prepared_site import server_env

from recsys.synthetic import SIZES, movielens_synthesize

GOALS = {
    "import": "<= 10 min",
    "train": "<= 30 min",
    "train peak memory": "<= 8 GB",
    "web RSS": "<= 400 MB",
    "recommendations: model user": "p95 <= 50 ms",
    "recommendations: new user (fold-in)": "p95 <= 50 ms",
    "recommendations API: model user": "p95 <= 50 ms",
    "recommendations API: new user": "p95 <= 50 ms",
    "placing a new user (10 ratings)": "p95 <= 20 ms",
    "movie page (signed in)": "p95 <= 100 ms",
    "catalogue: list": "p95 <= 100 ms",
    "catalogue: deep page": "p95 <= 100 ms",
    "catalogue: search": "p95 <= 100 ms",
    "admin: ratings list": "<= 1 s",
    "staff: Model pages": "<= 2 s",
}


def timed(command: list[str], env: dict[str, str], log: Path) -> tuple[float, float]:
    """Run ``command``; its wall seconds and peak resident memory in MB (the child's own rusage)."""
    started = time.monotonic()
    with open(log, "w") as output:
        child = subprocess.Popen(command, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        sys.exit(f"{' '.join(command[1:3])} failed ({child.returncode}); its output: {log}\n{log.read_text()[-2000:]}")
    return time.monotonic() - started, usage.ru_maxrss / 1024


def database_for(server: str | None, size: str, *, fresh: bool = True) -> str | None:
    """The size's PostgreSQL database (made afresh unless not ``fresh``); None for SQLite, in the site's folder."""
    if server is None:
        return None
    name = f"movierec_scale_{size}"
    admin = urlunsplit(urlsplit(server)._replace(path="/postgres"))
    for statement in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}") if fresh else ():
        subprocess.run(["psql", admin, "-q", "-c", statement], check=True)
    return urlunsplit(urlsplit(server)._replace(path=f"/{name}"))


@contextlib.contextmanager
def site_folder(size: str, keep: Path | None) -> Iterator[Path]:
    """A folder for the site's media and models: ``keep``/``size`` when the site is to outlive the run."""
    if keep is None:
        with tempfile.TemporaryDirectory(prefix=f"movierec-scale-{size}-") as scratch:
            yield Path(scratch)
        return
    folder = keep / size
    folder.mkdir(parents=True, exist_ok=True)
    yield folder


def measure(
    size: str, *, server: str | None, redis_url: str, rounds: int, keep: Path | None, imported: dict[str, float] | None
) -> dict[str, float]:
    """The size's figures; ``imported``: the import's figures of the kept site's last run, whose database is reused
    as it is (retrain and pages measured again)."""
    folder = BENCH_DIR / f"synthetic-{size}"
    if not (folder / "tags.csv").exists():
        print(f"[{size}] writing the synthetic data to {folder}", flush=True)
        movielens_synthesize(folder=folder, shape=SIZES[size], seed=0)
    with site_folder(size, keep) as workdir:
        database_url = database_for(server, size, fresh=imported is None)
        env = server_env(workdir, redis_url, database_url=database_url)
        manage = [PYTHON, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--verbosity", "0"], env=env, cwd=ROOT, check=True)
        figures: dict[str, float] = {}
        if imported is None:
            print(f"[{size}] import", flush=True)
            figures["import"], figures["import peak memory"] = timed(
                [*manage, "import_movielens", "--source", str(folder)], env, workdir / "import.log"
            )
        else:
            figures.update({name: imported[name] for name in ("import", "import peak memory")})
        print(f"[{size}] train ({figures['import']:.0f} s to import)", flush=True)
        figures["train"], figures["train peak memory"] = timed(
            [*manage, "train", "--force"], env, workdir / "train.log"
        )
        print(f"[{size}] pages ({figures['train']:.0f} s to train)", flush=True)
        result = workdir / "web.json"
        command = [PYTHON, str(ROOT / "bench" / "web_latency.py"), "--site", str(workdir), "--rounds", str(rounds)]
        command += ["--json", str(result), *(["--database-url", database_url] if database_url else [])]
        subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, check=False)
        web = json.loads(result.read_text())
        figures["web RSS"] = web["rss_mb"]
        figures.update({name: page["p95"] for name, page in web["pages"].items()})
    return figures


def report(results: dict[str, dict[str, float]]) -> None:
    sizes = list(results)
    base = sizes[0]
    names = list(dict.fromkeys(name for figures in results.values() for name in figures))
    columns = [*sizes, *(f"{size} / {base}" for size in sizes[1:]), "goal at 25m"]
    print(f"\n| measure | {' | '.join(columns)} |")
    print("|---|" + "---:|" * (2 * len(sizes) - 1) + "---|")
    for name in names:
        unit = " s" if name in ("import", "train") else (" MB" if "memory" in name or "RSS" in name else " ms")
        values = [results[size].get(name) for size in sizes]
        shown = ["" if value is None else f"{value:,.1f}{unit}" for value in values]
        ratios = ["" if value is None or not values[0] else f"{value / values[0]:.1f}x" for value in values[1:]]
        print(f"| {name} | {' | '.join([*shown, *ratios, GOALS.get(name, '')])} |")


# The rows the plot draws: seconds of work, and the pages people wait on, in ms.
PLOTTED = {
    "seconds": ["import", "train"],
    "ms (p95)": [
        "recommendations: new user (fold-in)",
        "recommendations API: new user",
        "movie page (signed in)",
        "catalogue: deep page",
        "staff: Model pages",
        "placing a new user (10 ratings)",
    ],
}


def plot(results: dict[str, dict[str, float]], path: Path) -> None:
    """Each plotted measure against the number of ratings, log-log, beside a line of linear growth."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    sizes = list(results)
    ratings = [SIZES[size].ratings for size in sizes]
    figure, axes = pyplot.subplots(1, len(PLOTTED), figsize=(12, 4.5))
    for axis, (unit, names) in zip(axes, PLOTTED.items(), strict=True):
        for name in names:
            values = [results[size].get(name) for size in sizes]
            points = [(n, v) for n, v in zip(ratings, values, strict=True) if v is not None and v == v]
            if points:
                axis.plot(*zip(*points, strict=True), marker="o", label=name)
        first = next((results[sizes[0]].get(name) for name in names if results[sizes[0]].get(name)), None)
        if first:
            axis.plot(ratings, [first * n / ratings[0] for n in ratings], color="grey", linestyle=":", label="linear")
        axis.set(xscale="log", yscale="log", xlabel="ratings", ylabel=unit)
        axis.legend(fontsize=7)
        axis.grid(True, which="both", alpha=0.3)
    figure.suptitle("bench/scale.py: cost against size (PostgreSQL, 2 cores)")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)


def saved(size: str, server: str | None) -> Path:
    return BENCH_DIR / "scale" / f"{size}-{'postgresql' if server else 'sqlite'}.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["100k", "1m"], choices=list(SIZES))
    parser.add_argument("--database-url", help="a PostgreSQL server (any database path): one database per size")
    parser.add_argument("--rounds", type=int, default=60, help="requests per page")
    parser.add_argument(
        "--reuse", nargs="*", default=[], choices=list(SIZES), help="sizes whose figures of an earlier run to reuse"
    )
    parser.add_argument(
        "--keep", type=Path, help="a folder where each size's site (media, models) stays after the run, to profile"
    )
    parser.add_argument(
        "--imported",
        nargs="*",
        default=[],
        choices=list(SIZES),
        help="with --keep: sizes whose kept site is imported already (its import figures reused; retrain and pages)",
    )
    parser.add_argument("--plot", type=Path, help="also draw the figures against size into this PNG")
    args = parser.parse_args()
    if args.imported and args.keep is None:
        parser.error("--imported measures a kept site again: give its --keep folder")
    sizes = args.sizes if args.sizes[0] == "100k" else ["100k", *args.sizes]
    results = {}
    with private_redis() as redis_url:
        for size in sizes:
            figures_file = saved(size, args.database_url)
            if size in args.reuse and figures_file.exists():
                results[size] = json.loads(figures_file.read_text())
                continue
            imported = json.loads(figures_file.read_text()) if size in args.imported else None
            results[size] = measure(
                size,
                server=args.database_url,
                redis_url=redis_url,
                rounds=args.rounds,
                keep=args.keep,
                imported=imported,
            )
            figures_file.parent.mkdir(parents=True, exist_ok=True)
            figures_file.write_text(json.dumps(results[size]))
    report(results)
    if args.plot:
        plot(results, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
