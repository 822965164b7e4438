"""How fast our default `dot` training is, against the classic fastai recipe (bs=64) measured in the same run.

Both train on MovieLens 100k (bench/movielens.py) through the retrain's own code (``recsys.train_rating``) with
the same random 20% validation split (seed 42) and the same torch thread count, so that only the recipe differs:

- classic: ``bs=64``, ``fit_one_cycle(5, 5e-3, wd=0.1)``, batches drawn the way fastai's tabular loader draws
  them (with replacement): ``recsys.params.CLASSIC_RATING``.
- default: ``RatingParams()``, what the site ships.
- retrain: ``recsys.trainers.models_train``, what the Celery retrain runs before the export: the default rating
  model, the ranking model, and the measurement of the list on the held-out ratings.

Each recipe runs ``--repeats`` times, alternating, and the fastest run counts (wall clock and CPU time; the CPU
time ratio is the steadier one on a shared machine). Time covers data loaders, model and fit. Validation RMSE is
the evaluation protocol's (held-out pairs whose user and movie were in the training part); seeds make it repeat.

Run: .venv/bin/python bench/train_speed.py [--repeats 2] [--threads 1]
"""

import argparse
import dataclasses
import sys
import time

import pandas as pd
from movielens import movielens_100k

from recsys.evaluation import evaluation_measure
from recsys.params import CLASSIC_RATING, RatingParams
from recsys.recommenders import FactorRecommender
from recsys.train_rating import rating_train
from recsys.trainers import models_train

REQUIRED_RATIO = 10.0
RETRAIN = "retrain"
SHOWN = ("bs", "epochs", "lr", "wd", "sample_with_replacement", "threads")


def recipe_run(*, name: str, ratings: pd.DataFrame, params: RatingParams) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, validation RMSE) of one training run of recipe ``name``."""
    started, cpu = time.perf_counter(), time.process_time()
    if name == RETRAIN:
        trained = models_train(ratings=ratings, params=params)
        return time.perf_counter() - started, time.process_time() - cpu, trained.metrics["rmse"]
    rating = rating_train(ratings=ratings, params=params)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    measured = evaluation_measure(train=rating.train, test=rating.valid, recommender=FactorRecommender(rating.factors))
    return wall, cpu, measured.metrics["rmse"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2, help="runs of each recipe; the fastest counts")
    parser.add_argument("--threads", type=int, default=None, help="torch threads for both (default: the shipped)")
    args = parser.parse_args()
    ratings = movielens_100k().ratings
    threads = {"threads": args.threads} if args.threads else {}
    default = RatingParams().with_overrides(threads)
    recipes = {"classic": CLASSIC_RATING.with_overrides(threads), "default": default, RETRAIN: default}
    print(f"MovieLens 100k: {len(ratings):,} ratings; {args.repeats} run(s) of each recipe, alternating")
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in recipes}
    for repeat in range(args.repeats):
        for name, params in recipes.items():
            wall, cpu, rmse = recipe_run(name=name, ratings=ratings, params=params)
            runs[name].append((wall, cpu, rmse))
            print(f"  run {repeat + 1} {name:8} {wall:7.2f} s wall {cpu:7.2f} s CPU  validation RMSE {rmse:.4f}")

    print()
    for name, params in recipes.items():
        print(f"{name:8} { ({k: v for k, v in dataclasses.asdict(params).items() if k in SHOWN}) }")
    best = {name: (min(r[0] for r in rs), min(r[1] for r in rs), rs[0][2]) for name, rs in runs.items()}
    print()
    print(f"{'recipe':8} {'wall s':>8} {'CPU s':>8} {'RMSE':>8}")
    for name, (wall, cpu, rmse) in best.items():
        print(f"{name:8} {wall:8.2f} {cpu:8.2f} {rmse:8.4f}")
    wall_ratio = best["classic"][0] / best["default"][0]
    cpu_ratio = best["classic"][1] / best["default"][1]
    rmse_ok = best["default"][2] <= best["classic"][2]
    print()
    print(f"speed-up (classic / default): {wall_ratio:.1f}x wall clock, {cpu_ratio:.1f}x CPU time")
    print(
        f"validation RMSE: default {best['default'][2]:.4f} vs classic {best['classic'][2]:.4f} "
        f"({'no worse' if rmse_ok else 'WORSE'})"
    )
    retrain_ratio = best["classic"][0] / best["retrain"][0]
    print(f"whole retrain (rating + ranking model) vs classic alone: {retrain_ratio:.1f}x faster (wall clock)")
    met = wall_ratio >= REQUIRED_RATIO and rmse_ok
    print(f"claim (>= {REQUIRED_RATIO:.0f}x faster, RMSE no worse): {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
