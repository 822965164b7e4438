"""Ranking quality on MovieLens 100k (or any MovieLens folder in the CSV layout): every list we tried for the site,
on the benchmark's two splits, one table each.

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

``--data FOLDER`` reads a MovieLens folder in the CSV layout instead (``movies.csv``, ``ratings.csv``: ml-latest,
ml-25m, or synthetic data from bench/synthesize.py, e.g. ``var/bench/synthetic-1m``; issue 17 reports the 1M
shape). There EASE's lambda (``EASE_LAMBDA`` was set on 100k) is tuned per split on the validation split carved
out of that split's training part as above, never on its test part, and every lambda tried is printed; ratios
are against popularity and that EASE. With ``--quick`` the rows are the shipped list, popularity and EASE.
``--splits random`` (or ``time``) runs one split. Run time and the machine's load average end the output.

    .venv/bin/python bench/ranking_quality.py [--quick] [--validation]
    .venv/bin/python bench/synthesize.py --size 1m
    nice -n 10 .venv/bin/python bench/ranking_quality.py --data var/bench/synthetic-1m --quick [--splits random]
"""

import argparse
import functools
import math
import os
import sys
import time
from pathlib import Path

import pandas as pd
import torch
from movielens import movielens_100k, movielens_csv
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
from recsys.splits import Split, split_by_time, split_random
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


RANDOM, TIME = "random 80/20 (seed 42)", "per-user time, last 20%"
VALIDATION_NAMES = {
    RANDOM: "validation: random 80/20 (seed 0) of the random split's training part",
    TIME: "validation: each user's last 20% of the time split's training part",
}
SPLIT_CHOICES = {"random": RANDOM, "time": TIME}
# A factor of two apart, around Steck's few hundred: a wider net than 100k's one value, as the catalogue grows.
EASE_LAMBDAS = (125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0)
EASE_MOST_TRIES = 10


def validation_of(name: str, train: pd.DataFrame) -> Split:
    """The validation split carved out of a split's training part: settings are chosen there, never on the test."""
    return split_random(train, seed=0) if name == RANDOM else split_by_time(train)


def ease_trainer(l2: float) -> Trainer:
    return matrix_trainer(functools.partial(ease, l2=l2))


def ease_label(l2: float) -> str:
    return f"EASE lambda={l2:g} (item-item reference, not servable)"


def ease_tuned(validation: Split) -> tuple[float, dict[float, float]]:
    """The lambda of best validation NDCG@10, and every lambda's tried (in order of size)."""
    ndcg = {}

    def measure(l2: float) -> None:
        result = evaluation_run(train=validation.train, test=validation.test, trainer=ease_trainer(l2))
        ndcg[l2] = result.metrics["ndcg@10"]
        print(f"  EASE lambda={l2:g} on validation: NDCG@10 {ndcg[l2]:.4f}", file=sys.stderr, flush=True)

    for l2 in EASE_LAMBDAS:
        measure(l2)
    # A best at either end of the grid may not be the best: the grid goes on by factors of two past that end.
    while (best := max(ndcg, key=ndcg.__getitem__)) in (min(ndcg), max(ndcg)) and len(ndcg) < EASE_MOST_TRIES:
        measure(best * 2 if best == max(ndcg) else best / 2)
    return best, dict(sorted(ndcg.items()))


def split_table(
    name: str, train: pd.DataFrame, test: pd.DataFrame, trainers: dict[str, Trainer], reference: str = CLASSIC
) -> list[str]:
    """One table: every trainer on this split, with NDCG@10 against popularity and against ``reference``."""
    rows = {}
    for label, trainer in trainers.items():
        rows[label] = evaluation_run(train=train, test=test, trainer=trainer).metrics
        print(f"  {name}: {label.strip()} done", file=sys.stderr, flush=True)
    pop, base = rows[POPULARITY]["ndcg@10"], rows[reference]["ndcg@10"]
    against = "classic" if reference == CLASSIC else "EASE"
    lines = [
        f"### {name}: {len(train)} training ratings, {len(test)} test ratings",
        "",
        f"| variant | NDCG@10 | P@10 | R@10 | RMSE | coverage@10 | train s | x popularity | x {against} |",
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
    lines.append("")
    if CLASSIC in rows:
        retrain, classic = rows[SHIPPED]["train_seconds"], rows[CLASSIC]["train_seconds"]
        lines += [
            f"whole retrain (rating model + ranking model) {retrain:.1f} s vs classic recipe alone {classic:.1f} s: "
            f"{classic / retrain:.1f}x faster",
            "",
        ]
    return lines


def folder_table(name: str, split: Split, quick: bool) -> list[str]:
    """A table on a MovieLens folder: EASE's lambda tuned on this split's validation part first, then the test."""
    l2, tried = ease_tuned(validation_of(name, split.train))
    tuned = {ease_label(l2): ease_trainer(l2)}
    if quick:
        trainers = {SHIPPED: VARIANTS[SHIPPED], POPULARITY: BASELINES[POPULARITY], **tuned}
    else:
        variants = {label: trainer for label, trainer in VARIANTS.items() if not label.startswith("EASE")}
        trainers = {**BASELINES, **variants, **tuned}
    scores = ", ".join(f"{value:g}: {ndcg:.4f}" for value, ndcg in tried.items())
    return [
        *split_table(name, split.train, split.test, trainers, reference=ease_label(l2)),
        f"EASE lambda tuned on {VALIDATION_NAMES[name].removeprefix('validation: ')} "
        f"(validation NDCG@10 by lambda: {scores}): {l2:g}",
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--quick", action="store_true", help="the shipped variant and the baselines only (with --data: and EASE)"
    )
    parser.add_argument("--validation", action="store_true", help="validation splits carved from the training data")
    parser.add_argument("--data", type=Path, help="a MovieLens folder in the CSV layout instead of ml-100k")
    parser.add_argument(
        "--splits", nargs="+", choices=list(SPLIT_CHOICES), default=list(SPLIT_CHOICES), help="default: both"
    )
    args = parser.parse_args()
    if args.data is not None and not (args.data / "ratings.csv").is_file():
        parser.error(f"no ratings.csv in {args.data} (bench/synthesize.py writes one)")
    started = time.monotonic()
    # The torch loops below as the trainers run: one thread, which a shared CPU does not make spin.
    torch.set_num_threads(RatingParams().threads)
    ratings = movielens_100k().ratings if args.data is None else movielens_csv(args.data).ratings
    splitters = {RANDOM: split_random, TIME: split_by_time}
    splits = {SPLIT_CHOICES[key]: splitters[SPLIT_CHOICES[key]](ratings) for key in args.splits}
    if args.validation:
        splits = {VALIDATION_NAMES[name]: validation_of(name, split.train) for name, split in splits.items()}
    variants = {SHIPPED: VARIANTS[SHIPPED]} if args.quick else VARIANTS
    for name, split in splits.items():
        if args.data is None or args.validation:
            lines = split_table(name, split.train, split.test, {**BASELINES, **variants})
        else:
            lines = folder_table(name, split, args.quick)
        print("\n".join(lines), flush=True)
    if args.data is not None:
        users, movies = ratings.user.nunique(), ratings.movie.nunique()
        print(f"data: {args.data}, {len(ratings):,} ratings of {users:,} users on {movies:,} movies")
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"run time {time.monotonic() - started:.0f} s on {os.cpu_count()} cores, load average {load} at the end")


if __name__ == "__main__":
    main()
