"""Placing a new user from 10 ratings (issue 17: p95 at most 20 ms at ml-25m's shape), against ml-100k's shape in
the same run.

What the web process does for a newcomer is ``recsys.lists.user_taste``: the rating model's fold-in
(``recsys.cold_start.user_place``) and the ranking model's (``recsys.ranking_model.ranking_fold_in``). Scoring
every movie afterwards is the page's work, not placement, and is not timed. The models are random arrays of
trained models' scale (factors normal with std 0.3, softmax biases the log of a Zipf popularity, so a few movies
take most of the mass), the ratings 10 movies drawn by that popularity with random stars and times. One BLAS
thread, as the site's processes run (movierec_site/gunicorn.conf.py). "first" is a placement right after the model
is loaded (nothing computed once per model yet), "warm" every later one.

    nice -n 19 .venv/bin/python bench/fold_in.py [--placements 200]
"""

import argparse
import os
import sys
import time
from collections.abc import Callable

import numpy as np
from common import SCORES, SEED, quantile
from threadpoolctl import threadpool_limits

from recsys import cold_start, ranking_model
from recsys.lists import user_taste
from recsys.ranking_model import RankingModel, ranking_fold_in
from recsys.rating_model import FactorModel

SHAPES = {"100k": (943, 1_682), "25m": (162_541, 59_047)}
RANKING_FACTORS, RATING_FACTORS = 96, 50
RATINGS = 10
GOAL_MS = 20.0
# Users whose rows the models carry: the fold-ins read only the user distribution's mean and covariance.
USER_ROWS = 2_000


def random_model(*, n_users: int, n_movies: int, rng: np.random.Generator) -> FactorModel:
    popularity = rng.permutation(-np.log(np.arange(1, n_movies + 1)))
    users = min(n_users, USER_ROWS)
    ranking = RankingModel(
        user_ids=np.arange(users, dtype=np.int64),
        movie_ids=np.arange(n_movies, dtype=np.int64),
        user_factors=rng.normal(0, 0.3, (users, RANKING_FACTORS)).astype(np.float32),
        user_mean=rng.normal(0, 0.1, RANKING_FACTORS).astype(np.float32),
        movie_factors=rng.normal(0, 0.3, (n_movies, RANKING_FACTORS)).astype(np.float32),
        movie_bias=(popularity + rng.normal(0, 0.5, n_movies)).astype(np.float32),
        user_ridge=1.0,
    )
    return FactorModel(
        user_ids=np.arange(users, dtype=np.int64),
        movie_ids=np.arange(n_movies, dtype=np.int64),
        user_factors=rng.normal(0, 0.3, (users, RATING_FACTORS)).astype(np.float32),
        user_bias=rng.normal(0, 0.3, users).astype(np.float32),
        movie_factors=rng.normal(0, 0.3, (n_movies, RATING_FACTORS)).astype(np.float32),
        movie_bias=(0.2 * popularity + rng.normal(0, 0.3, n_movies)).astype(np.float32),
        y_range=(0.0, 5.5),
        ranking=ranking,
    )


def newcomers(*, model: FactorModel, count: int, rng: np.random.Generator) -> list[tuple[np.ndarray, ...]]:
    weights = np.exp(model.served_ranking().movie_bias.astype(np.float64))
    weights /= weights.sum()
    people = []
    for _ in range(count):
        rows = rng.choice(len(weights), size=RATINGS, replace=False, p=weights)
        scores = rng.choice(SCORES, size=RATINGS)
        times = np.sort(rng.integers(1_500_000_000, 1_600_000_000, size=RATINGS))
        people.append((rows, scores, times))
    return people


def forget(model: FactorModel) -> None:
    """What is computed once per model, dropped: the next placement is the first after loading."""
    # Before issue 17's change the fold-in kept float64 copies of the factors; since, its start (_first_points).
    for name in ("_float64_arrays", "_first_points"):
        getattr(ranking_model, name, {}).pop(model.served_ranking(), None)
    cold_start._priors.pop(model, None)


def timed(call: Callable[[], object], *, before: Callable[[], None] | None = None) -> float:
    if before is not None:
        before()
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def parts(model: FactorModel, people: list[tuple[np.ndarray, ...]], first: int) -> dict[str, list[float]]:
    ranking = model.served_ranking()
    calls: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray], object]] = {
        "placement (user_taste)": lambda r, s, t: user_taste(model=model, movie_rows=r, scores=s, times=t),
        "  rating model (user_place)": lambda r, s, t: cold_start.user_place(model=model, movie_rows=r, scores=s),
        "  ranking model (ranking_fold_in)": lambda r, s, t: ranking_fold_in(
            model=ranking, movie_rows=r, scores=s, timestamps=t
        ),
    }
    times: dict[str, list[float]] = {}
    for name, call in calls.items():
        times[f"{name}, first"] = [
            timed(lambda p=p, call=call: call(*p), before=lambda: forget(model)) for p in people[:first]
        ]
        call(*people[0])  # warm again
        times[f"{name}, warm"] = [timed(lambda p=p, call=call: call(*p)) for p in people]
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--placements", type=int, default=200)
    parser.add_argument("--first", type=int, default=10, help="placements timed right after loading, per size")
    args = parser.parse_args()
    rng = np.random.default_rng(SEED)
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    results: dict[str, dict[str, list[float]]] = {}
    with threadpool_limits(limits=1):
        for size, (n_users, n_movies) in SHAPES.items():
            model = random_model(n_users=n_users, n_movies=n_movies, rng=rng)
            results[size] = parts(model, newcomers(model=model, count=args.placements, rng=rng), args.first)
    print(
        f"| what ({args.placements} placements warm, {args.first} first) | 100k p50 | 100k p95 | 25m p50 | 25m p95 "
        "| 25m / 100k (p95) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name in results["100k"]:
        small, large = results["100k"][name], results["25m"][name]
        cells = [f"{quantile(values, q):.2f} ms" for values in (small, large) for q in (0.5, 0.95)]
        print(f"| {name} | {' | '.join(cells)} | {quantile(large, 0.95) / quantile(small, 0.95):.1f}x |")
    p95 = quantile(results["25m"]["placement (user_taste), warm"], 0.95)
    verdict = "met" if p95 <= GOAL_MS else "missed"
    print(f"goal: placement p95 <= {GOAL_MS:.0f} ms at 25m: {p95:.2f} ms, {verdict} ({p95 / GOAL_MS:.2f}x the goal)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
