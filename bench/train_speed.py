"""How fast our default `dot` training is, against the classic fastai recipe (bs=64) measured in the same run.

Both train on MovieLens 100k through the same service (``recommender.services.training.model_train``) with the
same random 20% validation split (seed 42) and the same torch thread count, so that only the recipe differs:

- classic: ``bs=64``, ``fit_one_cycle(5, 5e-3, wd=0.1)``, batches drawn the way fastai's tabular loader draws
  them (with replacement): ``training.CLASSIC_HYPERPARAMETERS``.
- default: the settings' ``RECOMMENDER_HYPERPARAMETERS["dot"]``.
- retrain: the default rating model plus the ranking model, everything the Celery retrain trains.

Each recipe runs ``--repeats`` times, alternating, and the fastest run counts (wall clock and CPU time; the CPU
time ratio is the steadier one on a shared machine). Time covers data loaders, model and fit. Validation RMSE is
the evaluation protocol's (test pairs whose user and movie were in the training split); seeds make it repeat.

Run: .venv/bin/python bench/train_speed.py [--repeats 2] [--threads 1]
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIRED_RATIO = 10.0


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "movierec_site.settings.base")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2, help="runs of each recipe; the fastest counts")
    parser.add_argument("--threads", type=int, default=None, help="torch threads for both (default: the setting)")
    args = parser.parse_args()
    _django()
    from insights.benchmark import ratings_fetch
    from recsys.train_rating import CLASSIC_HYPERPARAMETERS, hyperparameters_resolve, model_train

    ratings, dataset = ratings_fetch()
    threads = {"threads": args.threads} if args.threads else {}
    default = hyperparameters_resolve(algorithm="dot", overrides=threads)
    recipes = {
        "classic": hyperparameters_resolve(algorithm="dot", overrides={**CLASSIC_HYPERPARAMETERS, **threads}),
        "default": default,
        # What the Celery retrain runs: the rating model, then the ranking model behind the site's list.
        "retrain": default,
    }
    print(f"{dataset}: {len(ratings):,} ratings; {args.repeats} run(s) of each recipe, alternating")
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in recipes}
    for repeat in range(args.repeats):
        for name, hyperparameters in recipes.items():
            started, cpu = time.perf_counter(), time.process_time()
            trained = model_train(
                ratings=ratings, algorithm="dot", hyperparameters=hyperparameters, ranking=name == "retrain"
            )
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            rmse = trained.metrics["rmse"]
            runs[name].append((wall, cpu, rmse))
            print(f"  run {repeat + 1} {name:8} {wall:7.2f} s wall {cpu:7.2f} s CPU  validation RMSE {rmse:.4f}")

    print()
    for name, hyperparameters in recipes.items():
        shown = {k: hyperparameters[k] for k in ("bs", "epochs", "lr", "wd", "sample_with_replacement", "threads")}
        print(f"{name:8} {shown}")
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
