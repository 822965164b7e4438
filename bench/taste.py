"""Does the site's list follow a person's taste? Each goal of issue 13, for the site's list beside the popularity
list and EASE, all trained and measured in the same run on MovieLens 100k.

Per seed, HELD_OUT users with at least 40 ratings (drawn from a fixed test pool, bench/taste_people.py) are held
out of training; the lists learn from the rest: the site's list through ``recsys.trainers.models_train`` (the Celery
retrain, RatingParams() defaults but valid_pct=0: the retrain's 20% that gates promotion is not needed here;
``--rating valid_pct=0.2`` trains exactly as the retrain does), served through ``recsys.lists``; popularity (the most
rated); EASE (``recsys.ease``, l2 500, fed the ratings of 4 or more; see taste_lists.Ease for why the l2 is not
tuned on new users). Popularity and EASE show each movie's mean training rating as its stars.

1. Personas: new accounts, 6 well-known movies of genre L at 5 stars and 6 of genre H at 1 (8 pairs, 3 draws each).
2. Dislikes: held-out users who rated Star Wars, Toy Story, Fargo, Pulp Fiction, Return of the Jedi or Contact 5,
   given it and their 19 earliest other ratings; the 5 becomes a 1; the places its 10 nearest movies by co-rating
   cosine (the person has not rated them) move down the top 100 (outside: place 101).
3. New users: the held-out users placed from their first N ratings by time, NDCG@10 on their later 4s and 5s.
4. Coherent stars: top-10 cards of the personas and of the new users of 3 who rated a 4 or 5.
5. Stable stars: 50 held-out users with their first 20 ratings, placed by fold-in, their top 50's stars; then the
   same stars from a second training that learns them (a site user with 20 ratings, after the nightly retrain).
6. Reasons (the cards of 4) and "more like this" (6 per movie) for the 100 most-rated movies.
7. ``--protocol msr``: the Microsoft Recommenders split beside their published table (bench/taste_msr.py).
``--validation`` holds out and measures users of the validation pool instead, as many, so that training is as
large: tune there, never on the test pool. Figures are means over the seeds.

    .venv/bin/python bench/taste.py [--seeds 0 1 2 3 4] [--lists site] [--skip stable] [--validation] [--markdown]
        [--rating epochs=6] [--ranking other_weight=0.1] [--list genres=6] [--ease-l2 500] [--protocol msr]
"""

import argparse
import ast
import sys
import time
from dataclasses import fields, replace
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from movielens import MovieLens, movielens_100k
from taste_goals import figures_measure, stable_figures
from taste_lists import BASELINES, LISTS, ListMaker
from taste_msr import msr_table
from taste_people import CoRatings, People, user_pools, users_draw
from taste_table import table, taste_table
from tqdm import tqdm

from recsys.params import ListParams, RankingParams, RatingParams

Params = TypeVar("Params", RatingParams, RankingParams, ListParams)
HELD_OUT = 150
PER_PAIR = 3
SKIPPABLE = ("stable", "dislikes", "similar")


def _overridden(params: Params, pairs: list[str]) -> Params:
    """``params`` (a frozen dataclass) with ``name=value`` pairs applied, values read as Python literals."""
    known = {f.name for f in fields(params)}
    changes = {}
    for pair in pairs:
        name, _, text = pair.partition("=")
        if name not in known:
            raise SystemExit(f"unknown parameter {name}; known: {', '.join(sorted(known))}")
        try:
            changes[name] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            changes[name] = text
    return replace(params, **changes)


def makers_choose(args: argparse.Namespace, *, genres: dict[int, tuple[str, ...]]) -> dict[str, ListMaker]:
    """The lists named by ``--lists``, then the baselines, with the overrides of the command line applied; the site's
    list learns the movies' ``genres`` as the retrain does."""
    makers = {name: LISTS[name] for name in [*args.lists, *BASELINES]}
    if "site" in makers:
        site = makers["site"]
        makers["site"] = replace(
            site,
            params=_overridden(site.params, args.rating),
            ranking_params=_overridden(site.ranking_params or RankingParams(), args.ranking),
            list_params=_overridden(site.list_params or ListParams(), args.list),
            genres=genres,
        )
    if args.ease_l2 is not None:
        makers["ease"] = replace(makers["ease"], l2=args.ease_l2)
    return makers


def seed_run(*, seed: int, movielens: MovieLens, makers: dict[str, ListMaker], args: argparse.Namespace) -> dict:
    """Every figure of every list for one seed's held-out users, and what the notes under the table report."""
    ratings = movielens.ratings
    test_pool, validation_pool = user_pools(ratings=ratings)
    held_out = users_draw(pool=validation_pool if args.validation else test_pool, n=args.held_out, seed=seed)
    train = ratings[~ratings["user"].isin(held_out)]
    genres = movielens.movies["genres"]
    people = People.gather(ratings=ratings, train=train, held_out=held_out, genres=genres, per_pair=PER_PAIR, seed=seed)
    co = CoRatings.of(train)
    figures: dict[str, dict] = {}
    for name, maker in tqdm(makers.items(), desc=f"seed {seed}", file=sys.stderr, leave=False):
        started = time.perf_counter()
        fitted = maker.fit(train=train)
        fit_seconds = time.perf_counter() - started
        figures[name] = figures_measure(
            fitted=fitted, people=people, co=co, train=train, movies=movielens.movies, skip=args.skip
        )
        figures[name]["note: fit seconds"] = round(fit_seconds, 1)
        if hasattr(fitted, "l2"):
            figures[name]["note: l2"] = fitted.l2
        if "stable" not in args.skip:
            after = maker.fit(train=pd.concat([train, people.learned_ratings()], ignore_index=True))
            figures[name] |= stable_figures(before=fitted, after=after, people=people)
    counts = {
        "training ratings": len(train),
        "personas": len(people.personas),
        **{
            f"new users with later 4s and 5s, N={n}": sum(bool(later) for _, later in group)
            for n, group in people.newcomers.items()
        },
        "flips": len(people.flips),
    }
    return {"figures": figures, "counts": counts}


def _shown(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def taste_report(*, movielens: MovieLens, makers: dict[str, ListMaker], args: argparse.Namespace) -> str:
    """The table of the goals (means over the seeds), the notes under it and, with --detail, the per-case figures."""
    runs = [
        seed_run(seed=s, movielens=movielens, makers=makers, args=args)
        for s in tqdm(args.seeds, desc="seeds", file=sys.stderr)
    ]
    figures = {
        name: {
            key: None if None in (values := [run["figures"][name].get(key) for run in runs]) else float(np.mean(values))
            for key in runs[0]["figures"][name]
        }
        for name in makers
    }
    where = "validation pool: for tuning" if args.validation else "test pool"
    lines = [
        f"issue 13 on MovieLens 100k: seeds {args.seeds}, {args.held_out} held-out users per seed ({where})",
        taste_table(figures=figures, makers=makers, candidates=list(args.lists), markdown=args.markdown),
        "",
        f"seed {args.seeds[0]}: " + "; ".join(f"{what} {count}" for what, count in runs[0]["counts"].items()),
    ]
    for name, maker in makers.items():
        notes = [
            f"{key.removeprefix('note: ')} " + ", ".join(f"{run['figures'][name][key]:g}" for run in runs)
            for key in runs[0]["figures"][name]
            if key.startswith("note: ")
        ]
        lines.append(f"{maker.label}: " + "; ".join(notes) + " (by seed)")
    if args.detail:
        keys = [key for key in runs[0]["figures"][next(iter(makers))] if key.startswith("detail: ")]
        header = ["detail", *(maker.label for maker in makers.values())]
        body = [[key.removeprefix("detail: "), *(_shown(figures[name][key]) for name in makers)] for key in keys]
        lines += ["", table(rows=[header, *body], markdown=args.markdown)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--lists", type=lambda s: s.split(","), default=["site"], help=f"of {', '.join(LISTS)}")
    parser.add_argument("--held-out", type=int, default=HELD_OUT, help="held-out users per seed")
    parser.add_argument("--skip", type=lambda s: set(s.split(",")), default=set(), help=f"of {', '.join(SKIPPABLE)}")
    parser.add_argument("--validation", action="store_true", help="measure on the validation pool (for tuning)")
    parser.add_argument("--rating", nargs="*", default=[], help="RatingParams overrides of the site's list")
    parser.add_argument("--ranking", nargs="*", default=[], help="RankingParams overrides of the site's list")
    parser.add_argument("--list", nargs="*", default=[], help="ListParams overrides of the site's list")
    parser.add_argument("--ease-l2", type=float, default=None, help="EASE's l2 (default: recsys.ease.EASE_L2)")
    parser.add_argument("--protocol", choices=("taste", "msr"), default="taste")
    parser.add_argument("--detail", action="store_true", help="also the figures per genre pair and flipped movie")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    unknown = sorted(set(args.lists) - set(LISTS)) + sorted(args.skip - set(SKIPPABLE))
    if unknown:
        parser.error(f"unknown: {', '.join(unknown)}")
    started = time.perf_counter()
    movielens = movielens_100k()
    makers = makers_choose(args, genres=movielens.movies["genres"].to_dict())
    if args.protocol == "msr":
        print(msr_table(ratings=movielens.ratings, makers=makers, markdown=args.markdown))
    else:
        print(taste_report(movielens=movielens, makers=makers, args=args))
    print(f"{time.perf_counter() - started:.0f} s in all", file=sys.stderr)


if __name__ == "__main__":
    main()
