"""The ranking model's training with sparse per-user targets against the dense users x movies matrix it replaced
(issue 17), in one run: wall time, peak memory and NDCG@10 of the ranking model's own list on a random split,
on MovieLens 100k and on synthetic data in the ml-1m shape (recsys.synthetic).

The dense variant is the code before the change, checked out into a git worktree (``--before REV``, default the
commit before recsys/train_ranking.py's sparse targets); each training runs in a process of its own so that its
peak resident memory is its own.

    .venv/bin/python bench/ranking_sparse.py [--before 3da163c] [--sizes 100k 1m]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from common import BENCH_DIR, PYTHON, ROOT, SEED

DENSE_REVISION = "3da163c"


class RankingOnly:
    """The ranking model's scores as a recommender (no rating predictions: NDCG needs only the order)."""

    def __init__(self, model: object) -> None:
        self.model = model

    def predict(self, users: np.ndarray, movies: np.ndarray) -> np.ndarray:
        return np.zeros(len(users))

    def scores(self, users: np.ndarray, movies: np.ndarray) -> np.ndarray:
        aligned = self.model.aligned(user_ids=users, movie_ids=movies)
        return aligned.scores(aligned.user_factors)


def ratings_of(size: str) -> pd.DataFrame:
    if size == "100k":
        from movielens import movielens_100k

        return movielens_100k().ratings
    from movielens import movielens_csv

    from recsys.synthetic import SIZES, movielens_synthesize

    folder = BENCH_DIR / f"synthetic-{size}"
    if not (folder / "ratings.csv").exists():
        movielens_synthesize(folder=folder, shape=SIZES[size], seed=0)
    return movielens_csv(folder).ratings


def one(size: str) -> dict[str, float]:
    """Train once in this process (whose recsys is on sys.path first) and measure."""
    import recsys
    from recsys.evaluation import evaluation_measure
    from recsys.splits import split_random
    from recsys.train_ranking import ranking_train

    split = split_random(ratings_of(size), seed=SEED)
    started = time.perf_counter()
    model = ranking_train(ratings=split.train, seed=SEED)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the training's peak, not the evaluation's
    result = evaluation_measure(train=split.train, test=split.test, recommender=RankingOnly(model))
    return {"seconds": seconds, "peak_mb": peak_mb, "ndcg": float(result.metrics["ndcg@10"]), "code": recsys.__file__}


def measure(tree: Path, size: str) -> dict[str, float]:
    # bench/common.py puts this checkout first on sys.path: the tree measured goes before it, before recsys loads.
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); import json, ranking_sparse; "
        f"sys.path.insert(0, {str(tree)!r}); print(json.dumps(ranking_sparse.one({size!r})))"
    )
    env = dict(os.environ, OMP_NUM_THREADS="2")
    done = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, env=env, cwd=tree)
    if done.returncode:
        sys.exit(f"training in {tree} on {size} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=DENSE_REVISION, help="the revision with the dense targets")
    parser.add_argument("--sizes", nargs="+", default=["100k", "1m"], choices=["100k", "1m", "10m"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        before = Path(scratch) / "before"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(before), args.before], check=True
        )
        try:
            print(f"load average before: {os.getloadavg()[0]:.2f}")
            print("| data | variant | train | peak memory | NDCG@10 |")
            print("|---|---|---:|---:|---:|")
            for size in args.sizes:
                dense, sparse = measure(before, size), measure(ROOT, size)
                assert dense["code"].startswith(str(before)) and sparse["code"].startswith(str(ROOT)), (dense, sparse)
                for name, row in (("dense targets (before)", dense), ("sparse targets", sparse)):
                    print(
                        f"| {size} | {name} | {row['seconds']:.1f} s | {row['peak_mb']:,.0f} MB | {row['ndcg']:.4f} |"
                    )
                print(
                    f"| {size} | sparse / dense | {sparse['seconds'] / dense['seconds']:.2f}x | "
                    f"{sparse['peak_mb'] / dense['peak_mb']:.2f}x | {sparse['ndcg'] - dense['ndcg']:+.4f} |",
                    flush=True,
                )
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before)], check=False)
            print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
