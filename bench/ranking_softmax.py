"""The ranking model's sampled softmax, which catalogues of over 20,000 movies get (issue 17), against the full
softmax in the same run, on MovieLens 100k and synthetic data in the ml-1m shape.

At these sizes the default never samples, so the variants force it (full_softmax_movies=0): with the default
4,096 draws, and with draws in the share of the catalogue that 4,096 are of ml-25m's 59,047 movies. Wall time
(one torch thread) and NDCG@10 of the ranking model's own list (bench/ranking_sparse.py's measure) on a random
80/20 split.

    .venv/bin/python bench/ranking_softmax.py [--sizes 100k 1m]
"""

import argparse
import os
import sys
import time
from dataclasses import replace

import torch
from common import SEED
from ranking_sparse import RankingOnly, ratings_of

from recsys.evaluation import evaluation_measure
from recsys.params import RankingParams
from recsys.splits import split_random
from recsys.train_ranking import ranking_train

# At ml-25m's shape the default draws are this share of the 59,047 movies: the smaller catalogues are also
# measured with that share, where 4,096 draws would outnumber their movies.
DRAWS_AT_25M = RankingParams.softmax_samples / 59_047


def variants(n_movies: int) -> dict[str, RankingParams]:
    default = RankingParams()
    draws = max(1, round(n_movies * DRAWS_AT_25M))
    return {
        "full softmax (default)": default,
        f"sampled softmax, {default.softmax_samples} draws": replace(default, full_softmax_movies=0),
        f"sampled softmax, {draws} draws ({DRAWS_AT_25M:.1%} of the movies)": replace(
            default, full_softmax_movies=0, softmax_samples=draws
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["100k", "1m"], choices=["100k", "1m", "10m"])
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print("| data | variant | train | x default | NDCG@10 | - default |")
    print("|---|---|---:|---:|---:|---:|")
    for size in args.sizes:
        split = split_random(ratings_of(size), seed=SEED)
        base: tuple[float, float] | None = None
        for name, params in variants(split.train["movie"].nunique()).items():
            started = time.perf_counter()
            model = ranking_train(ratings=split.train, params=params, seed=SEED)
            seconds = time.perf_counter() - started
            result = evaluation_measure(train=split.train, test=split.test, recommender=RankingOnly(model))
            ndcg = float(result.metrics["ndcg@10"])
            base = base or (seconds, ndcg)
            ratios = f"{seconds / base[0]:.2f}x | {ndcg:.4f} | {ndcg - base[1]:+.4f}"
            print(f"| {size} | {name} | {seconds:.1f} s | {ratios} |", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
