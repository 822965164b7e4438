"""A training step of the ranking model at ml-25m's shape: what it was against what ships, in the same run.

The ratings are bench/synthesize.py's ml-25m-shaped ratings.csv (25,000,095 ratings of 162,541 users on 59,047
movies), the learner ``recsys.train_ranking.ranking_learner``'s with the shipped parameters (sampled softmax of
4,096 draws, batches of 1,626 users so that an epoch is 100 batches), one torch thread as the retrain runs. Each
variant times ``--steps`` steps (forward, loss, backward, optimizer) after two warm-up steps, median per step:

- before: the own logits by the one-line gathers, ``(vectors[positions] * movie_factors[movies]).sum(1)``, and
  fastai's Adam;
- fused Adam: the gathers, with torch's fused AdamW at fastai's settings (recsys.optimizer);
- shipped: fused Adam and the own logits by sparse products (recsys.train_ranking.PairDots).

The shipped step times 3,000 (30 epochs of 100 batches) is the ranking model's part of a 25M retrain.

    .venv/bin/python bench/synthesize.py --size 25m && .venv/bin/python bench/ranking_step.py [--steps 10]
"""

import argparse
import statistics
import sys
import time

import pandas as pd
import torch
from common import BENCH_DIR, SEED
from fastai.optimizer import Adam
from fastai.torch_core import set_seed

from recsys.optimizer import fused_adam
from recsys.params import RankingParams
from recsys.train_ranking import SampledSoftmaxLoss, ranking_learner

DATA = BENCH_DIR / "synthetic-25m" / "ratings.csv"
EPOCHS_BATCHES = 3_000


def gathered_dots(
    vectors: torch.Tensor, movie_factors: torch.Tensor, positions: torch.Tensor, movies: torch.Tensor
) -> torch.Tensor:
    return (vectors[positions] * movie_factors[movies]).sum(dim=1)


def step_seconds(ratings: pd.DataFrame, *, opt_func, gathers: bool, steps: int) -> float:
    set_seed(SEED, reproducible=True)
    learner, _, _ = ranking_learner(ratings=ratings, params=RankingParams())
    learner.opt_func = opt_func
    learner.create_opt()
    learner.opt.set_hyper("lr", RankingParams().lr)
    loss_func = learner.loss_func
    assert isinstance(loss_func, SampledSoftmaxLoss)
    if gathers:
        loss_func.pair_dots = gathered_dots
    model = learner.model.train()
    times = []
    for number, (users, _) in enumerate(learner.dls.train):
        if number == steps + 2:
            break
        started = time.perf_counter()
        loss = loss_func(model(users), users)
        loss.backward()
        learner.opt.step()
        learner.opt.zero_grad()
        if number >= 2:
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"{DATA} is missing: run .venv/bin/python bench/synthesize.py --size 25m first")
    torch.set_num_threads(1)
    ratings = pd.read_csv(DATA).rename(columns={"userId": "user", "movieId": "movie"})
    print(f"{len(ratings):,} ratings; {args.steps} steps a variant, one torch thread")
    variants = {
        "before (gathers, fastai Adam)": {"opt_func": Adam, "gathers": True},
        "fused Adam, gathers": {"opt_func": fused_adam, "gathers": True},
        "shipped (fused Adam, PairDots)": {"opt_func": fused_adam, "gathers": False},
    }
    seconds = {name: step_seconds(ratings, steps=args.steps, **options) for name, options in variants.items()}
    before = seconds["before (gathers, fastai Adam)"]
    print("\n| variant | s a step | 3,000 steps | before / variant |\n|---|---:|---:|---:|")
    for name, value in seconds.items():
        print(f"| {name} | {value:.3f} | {value * EPOCHS_BATCHES / 60:.1f} min | {before / value:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
