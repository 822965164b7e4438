"""The rating model's data loader: fastai's TabDataLoader against recsys.loaders.ArrayTabDataLoader.

Two measures, each loader against the other in the same run, one torch thread:
- an epoch of training batches alone (no model) over ``--rows`` synthetic ratings of ml-25m's vocabulary
  (162,541 users, 59,047 movies) in batches of ``--bs`` (20 million in batches of 20,000: a 25M retrain's
  training part under its cap of 1,000 batches an epoch), seconds per epoch;
- the default rating model (collab_learner, 50 factors, fit_one_cycle(5, 5e-3, wd=0.1), the shipped batch size
  and optimizer) on MovieLens 100k with the random 20% validation split of seed 42: fit seconds and validation
  RMSE (fastai's own loss on the held-out ratings: the split's every pair), so that a faster loader is seen to
  learn the same model.

Run: .venv/bin/python bench/tabular_loader.py [--rows 20000000] [--bs 20000]
"""

import argparse
import sys
import time

import numpy as np
import pandas as pd
import torch
from common import SEED
from fastai.collab import CollabDataLoaders, collab_learner
from fastai.tabular.core import TabDataLoader
from fastai.torch_core import set_seed
from movielens import movielens_100k

from recsys.loaders import ArrayTabDataLoader
from recsys.optimizer import fused_adam
from recsys.params import RatingParams

LOADERS = {"fastai TabDataLoader": TabDataLoader, "ArrayTabDataLoader": ArrayTabDataLoader}


def loaders(ratings: pd.DataFrame, dl_type: type, bs: int) -> CollabDataLoaders:
    return CollabDataLoaders.from_df(
        ratings,
        valid_pct=0.2,
        seed=SEED,
        user_name="user",
        item_name="movie",
        rating_name="rating",
        bs=bs,
        dl_type=dl_type,
    )


def epoch_seconds(ratings: pd.DataFrame, dl_type: type, bs: int) -> float:
    train = loaders(ratings, dl_type, bs).train
    started = time.perf_counter()
    for _ in train:
        pass
    return time.perf_counter() - started


def fit(ratings: pd.DataFrame, dl_type: type, params: RatingParams) -> tuple[float, float]:
    set_seed(SEED, reproducible=True)
    dls = loaders(ratings, dl_type, params.bs)
    learn = collab_learner(dls, n_factors=params.n_factors, y_range=params.y_range, opt_func=fused_adam)
    started = time.perf_counter()
    with learn.no_bar(), learn.no_logging():
        learn.fit_one_cycle(params.epochs, params.lr, wd=params.wd)
        seconds = time.perf_counter() - started
        return seconds, float(learn.validate()[0]) ** 0.5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--bs", type=int, default=20_000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    synthetic = pd.DataFrame(
        {
            "user": rng.integers(0, 162_541, args.rows),
            "movie": rng.integers(0, 59_047, args.rows),
            "rating": rng.integers(1, 11, args.rows) / 2,
        }
    )
    print(f"an epoch of batches: {args.rows:,} ratings in batches of {args.bs:,}")
    epochs = {name: epoch_seconds(synthetic, dl_type, args.bs) for name, dl_type in LOADERS.items()}
    for name, seconds in epochs.items():
        print(f"  {name:22} {seconds:8.2f} s")
    print(f"  speed-up: {epochs['fastai TabDataLoader'] / epochs['ArrayTabDataLoader']:.1f}x")
    ratings = movielens_100k().ratings[["user", "movie", "rating"]]
    params = RatingParams()
    print(f"\nthe default rating model on MovieLens 100k (bs {params.bs}, {params.epochs} epochs)")
    fits = {name: fit(ratings, dl_type, params) for name, dl_type in LOADERS.items()}
    for name, (seconds, rmse) in fits.items():
        print(f"  {name:22} fit {seconds:7.2f} s  validation RMSE {rmse:.4f}")
    print(f"  speed-up: {fits['fastai TabDataLoader'][0] / fits['ArrayTabDataLoader'][0]:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
