"""Write synthetic MovieLens data in the ml-25m CSV layout (recsys.synthetic): movies.csv, ratings.csv, links.csv,
tags.csv, at a named size or any other, for the scale benchmarks and for trying the site at sizes GroupLens cannot be
downloaded at here. The folder is what `manage.py import_movielens --source FOLDER` reads.

    .venv/bin/python bench/synthesize.py --size 1m [--out var/bench/synthetic-1m] [--seed 0]
    .venv/bin/python bench/synthesize.py --ratings 250000 --users 2000 --movies 5000
"""

import argparse
import sys
import time
from pathlib import Path

from common import BENCH_DIR

from recsys.synthetic import SIZES, SyntheticShape, movielens_synthesize


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), help="a MovieLens release's shape")
    parser.add_argument("--ratings", type=int)
    parser.add_argument("--users", type=int)
    parser.add_argument("--movies", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    custom = (args.ratings, args.users, args.movies)
    if (args.size is None) == (None in custom):
        parser.error("give --size, or all of --ratings, --users and --movies")
    try:
        shape = SIZES[args.size] if args.size else SyntheticShape(*custom)
    except ValueError as error:
        parser.error(str(error))
    out = args.out or BENCH_DIR / f"synthetic-{args.size or f'{shape.ratings}r'}"
    started = time.monotonic()

    def progress(done: int, total: int) -> None:
        print(f"\r{done:,} of {total:,} ratings ({done / total:.0%})", end="", file=sys.stderr, flush=True)

    summary = movielens_synthesize(folder=out, shape=shape, seed=args.seed, progress=progress)
    print(file=sys.stderr)
    print(
        f"{summary.ratings:,} ratings of {summary.users:,} users on {summary.movies:,} movies in {out} "
        f"({time.monotonic() - started:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
