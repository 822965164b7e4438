"""Ranking quality on MovieLens 100k: every list we tried for the site, on the benchmark's two splits, one table each.

Splits are those of ``manage.py benchmark`` (recsys/splits.py): random 80/20 (seed 42) and per-user time (each
user's last 20% by time). Every variant is a trainer run through ``recsys.evaluation.evaluation_run``, the code
behind ``manage.py evaluate``: candidates are the training movies the user has not rated, relevant are test
ratings of 4 or more, users without one are left out; coverage is over the test users' top-10 lists. Ratios are
against the popularity list and the classic recipe (``recsys.params.CLASSIC_RATING``: bs=64, fit_one_cycle(5,
5e-3, wd=0.1)), both measured in the same run. The shipped row is the whole retrain (``recsys.trainers``): the
rating model (our dot default) gives its RMSE and seconds, plus the ranking model, which orders the list; the
other variants are in bench/ranking_variants.py. New users are bench/cold_start.py's.

``--validation`` runs the same tables on validation splits carved out of each training part (random 80/20,
seed 0, of the random split's; each user's last 20% of the time split's): hyperparameters were chosen there,
never on the test splits. ``--quick``: the shipped variant and the baselines only.

    .venv/bin/python bench/ranking_quality.py [--quick] [--validation]
"""

import argparse
import math
import sys

import pandas as pd
import torch
from movielens import movielens_100k
from ranking_variants import (
    BLEND_WEIGHT,
    EASE_LAMBDA,
    bce_sampled,
    blend,
    bpr,
    ease,
    ensemble,
    folded_in,
    matrix_trainer,
    ranking_only,
    weighted_squares,
)

from recsys.evaluation import Trainer, evaluation_run
from recsys.params import CLASSIC_RATING, RankingParams, RatingParams
from recsys.splits import split_by_time, split_random
from recsys.trainers import fastai_trainer, popularity_trainer, ranked_trainer

SHIPPED = "rating model + softmax ranking factors (shipped)"
RATING_MODEL = "rating model (dot default), by predicted rating"
POPULARITY = "popularity (most rated)"
CLASSIC = "classic recipe (bs=64), by predicted rating"
BASELINES: dict[str, Trainer] = {
    POPULARITY: popularity_trainer(),
    CLASSIC: fastai_trainer(params=CLASSIC_RATING),
    RATING_MODEL: fastai_trainer(params=RatingParams()),
}
VARIANTS: dict[str, Trainer] = {
    SHIPPED: ranked_trainer(),
    "  ranking: every user re-placed by numpy fold-in": matrix_trainer(folded_in),
    "  ranking: no recency weighting": ranking_only(RankingParams(recency=0.0)),
    "  ranking: all ratings weigh 1, no recency (plain implicit)": ranking_only(
        RankingParams(recency=0.0, other_weight=1.0)
    ),
    "  ranking: 64 factors": ranking_only(RankingParams(n_factors=64)),
    "  ranking: user ridge 3": ranking_only(RankingParams(user_ridge=3.0)),
    "  ranking: weight decay 0.1 on movies": ranking_only(RankingParams(wd=0.1)),
    "  ranking: 60 epochs": ranking_only(RankingParams(epochs=60)),
    "  ranking: ensemble of 3 seeds (mean score)": ensemble(3),
    f"  blend: logit + {BLEND_WEIGHT} x predicted rating": blend,
    "BPR, sampled negatives": matrix_trainer(bpr),
    "BCE, 4 sampled negatives per rating": matrix_trainer(bce_sampled),
    "weighted squares on all pairs (iALS objective)": matrix_trainer(weighted_squares),
    f"EASE lambda={EASE_LAMBDA:g} (item-item reference, not servable)": matrix_trainer(ease),
}


def split_table(name: str, train: pd.DataFrame, test: pd.DataFrame, variants: dict[str, Trainer]) -> list[str]:
    rows = {}
    for label, trainer in {**BASELINES, **variants}.items():
        rows[label] = evaluation_run(train=train, test=test, trainer=trainer).metrics
        print(f"  {name}: {label.strip()} done", file=sys.stderr, flush=True)
    pop, base = rows[POPULARITY]["ndcg@10"], rows[CLASSIC]["ndcg@10"]
    lines = [
        f"### {name}: {len(train)} training ratings, {len(test)} test ratings",
        "",
        "| variant | NDCG@10 | P@10 | R@10 | RMSE | coverage@10 | train s | x popularity | x classic |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, m in rows.items():
        error = m["rmse"]
        error_text = "n/a" if error is None or math.isnan(error) else f"{error:.4f}"
        lines.append(
            f"| {label} | {m['ndcg@10']:.4f} | {m['precision@10']:.4f} | {m['recall@10']:.4f} | {error_text} "
            f"| {m['coverage@10']:.1%} | {m['train_seconds']:.1f} | {m['ndcg@10'] / pop:.2f} "
            f"| {m['ndcg@10'] / base:.2f} |"
        )
    retrain, classic = rows[SHIPPED]["train_seconds"], rows[CLASSIC]["train_seconds"]
    lines += [
        "",
        f"whole retrain (rating model + ranking model) {retrain:.1f} s vs classic recipe alone {classic:.1f} s: "
        f"{classic / retrain:.1f}x faster",
        "",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the shipped variant and the baselines only")
    parser.add_argument("--validation", action="store_true", help="validation splits carved from the training data")
    args = parser.parse_args()
    # The torch loops below as the trainers run: one thread, which a shared CPU does not make spin.
    torch.set_num_threads(RatingParams().threads)
    ratings = movielens_100k().ratings
    random_split, time_split = split_random(ratings), split_by_time(ratings)
    splits = {"random 80/20 (seed 42)": random_split, "per-user time, last 20%": time_split}
    if args.validation:
        splits = {
            "validation: random 80/20 (seed 0) of the random split's training part": split_random(
                random_split.train, seed=0
            ),
            "validation: each user's last 20% of the time split's training part": split_by_time(time_split.train),
        }
    variants = {SHIPPED: VARIANTS[SHIPPED]} if args.quick else VARIANTS
    for name, split in splits.items():
        print("\n".join(split_table(name, split.train, split.test, variants)), flush=True)


if __name__ == "__main__":
    main()
