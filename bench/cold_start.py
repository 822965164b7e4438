"""Cold start on MovieLens 100k: new users placed in the shipped models from their first 10 ratings, against the
popularity list measured in the same run.

10% of the users (per seed) are held out. The others' ratings train the models as the retrain trains them:
``recsys.trainers.models_train`` with ``RatingParams()`` and ``RankingParams()`` (the rating model on a random
80% of them, validated on the rest, then the ranking model on the same 80%). Each held-out user gives only their
first 10 ratings by time; the rest is to be predicted and found. Rows:

- popularity: ``recsys.recommenders.PopularityRecommender`` on the same ratings (most rated first; a movie's mean
  training rating as its prediction), the baseline;
- classic and fold-in: the user placed in the rating model (``recsys.cold_start``), ranked by predicted rating;
- the ranking model's average user: the list with no fold-in at all;
- the site's list: ``recsys.lists``, the functions the web process calls (rating fold-in for the stars, ranking
  fold-in for the order).

RMSE over the rest (movies the model knows), NDCG@10 by ``recsys.metrics`` (candidates: the model's movies not
among the 10 given; relevant: the rest rated 4 or more), and the time to place one user. Fold-in's ridge and the
classic method's neighbours are chosen on one half of the held-out users and scored on the other, both ways
round, so no user is scored with a setting tuned on them; the shipped values are timed and serve the site's list.

    .venv/bin/python bench/cold_start.py [--seeds 42 43 44]
"""

import argparse
import time
from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd
from common import SEED
from movielens import movielens_100k

from recsys.cold_start import CLASSIC_NEIGHBOURS, FOLD_IN_RIDGE, user_classic, user_fold_in
from recsys.lists import list_order, list_ratings, user_taste
from recsys.metrics import ranking_metrics, relevant_by_user, rmse, top_k_unseen
from recsys.params import RankingParams, RatingParams
from recsys.rating_model import FactorModel
from recsys.recommenders import PopularityRecommender
from recsys.trainers import models_train

GIVEN = 10
K = 10
HELD_OUT_SHARE = 0.1
RIDGES = (0.1, 0.3, 1.0, 3.0, 10.0)
NEIGHBOURS = (5, 10, 20, 50, 100)
POPULARITY, CLASSIC, FOLD_IN = "popularity", "classic", "fold-in"
AVERAGE, SITE = "ranking, average user", "site's list"
METHODS = (POPULARITY, CLASSIC, FOLD_IN, AVERAGE, SITE)

Placer = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, float]]  # (movie rows, scores) -> (vector, bias)


def users_split(
    ratings: pd.DataFrame, seed: int
) -> tuple[pd.DataFrame, dict[int, pd.DataFrame], dict[int, pd.DataFrame]]:
    users = np.sort(ratings.user.unique())
    held = set(np.random.default_rng(seed).choice(users, size=round(HELD_OUT_SHARE * len(users)), replace=False))
    train = ratings[~ratings.user.isin(held)]
    given, rest = {}, {}
    for user, rows in ratings[ratings.user.isin(held)].groupby("user"):
        rows = rows.sort_values(["timestamp", "movie"], kind="stable")
        given[int(user)], rest[int(user)] = rows.iloc[:GIVEN], rows.iloc[GIVEN:]
    return train, given, rest


class Evaluation:
    """The held-out users' given and remaining ratings in the rows of one rating model, and how to score lists."""

    def __init__(self, model: FactorModel, given: dict[int, pd.DataFrame], rest: dict[int, pd.DataFrame]) -> None:
        self.model = model
        self.users = sorted(given)
        known_given = {u: g[g.movie.isin(model.movie_ids)] for u, g in given.items()}
        known_rest = {u: r[r.movie.isin(model.movie_ids)] for u, r in rest.items()}
        self.rows = {u: self._rows(g.movie) for u, g in known_given.items()}
        self.scores = {u: g.rating.to_numpy(np.float64) for u, g in known_given.items()}
        self.times = {u: g.timestamp.to_numpy(np.float64) for u, g in known_given.items()}
        self.rest_rows = {u: self._rows(r.movie) for u, r in known_rest.items()}
        self.rest_scores = {u: r.rating.to_numpy(np.float64) for u, r in known_rest.items()}
        self.relevant = {u: relevant_by_user([u] * len(r), r.movie, r.rating).get(u, set()) for u, r in rest.items()}

    def _rows(self, movies: pd.Series) -> np.ndarray:
        return np.array([self.model.movie_index(m) for m in movies], dtype=np.int64)

    def unseen(self, user: int) -> np.ndarray:
        return np.setdiff1d(np.arange(len(self.model.movie_ids)), self.rows[user])

    def top_k(self, catalogue: np.ndarray, user: int) -> list[int]:
        """The K best movies of one user's catalogue scores, never one of their given movies."""
        seen = np.zeros((1, len(catalogue)), dtype=bool)
        seen[0, self.rows[user]] = True
        return self.model.movie_ids[top_k_unseen(catalogue[None, :], seen, K)[0]].tolist()

    def ndcg(self, lists: dict[int, list[int]], users: list[int]) -> float:
        return ranking_metrics(top_k=lists, relevant={u: self.relevant[u] for u in users}, k=K)[f"ndcg@{K}"]

    def rmse(self, predicted: dict[int, np.ndarray], users: list[int]) -> float:
        """RMSE of each user's predictions of their remaining ratings (``predicted``: per rest movie)."""
        return rmse(np.concatenate([predicted[u] for u in users]), np.concatenate([self.rest_scores[u] for u in users]))

    def placed(self, placer: Placer) -> dict[int, np.ndarray]:
        """Each user's predicted rating of the whole catalogue, placed by ``placer``."""
        return {u: self.model.predict_vector(*placer(self.rows[u], self.scores[u])) for u in self.users}

    def by_rating(self, catalogue: dict[int, np.ndarray], users: list[int]) -> dict[str, float]:
        """RMSE and NDCG@K of lists ranked by the catalogue's predicted ratings."""
        predicted = {u: catalogue[u][self.rest_rows[u]] for u in users}
        lists = {u: self.top_k(catalogue[u], u) for u in users}
        return {"rmse": self.rmse(predicted, users), "ndcg": self.ndcg(lists, users)}


def median_ms(calls: list[Callable[[], object]], repeats: int = 5) -> float:
    """Median wall time of one call, in milliseconds."""
    times = []
    for call in calls:
        started = time.perf_counter()
        for _ in range(repeats):
            call()
        times.append((time.perf_counter() - started) / repeats)
    return float(np.median(times) * 1000)


def cross_fitted(
    evaluation: Evaluation, placer_for: Callable[[float], Placer], grid: tuple
) -> tuple[dict[str, float], dict, dict]:
    """Metrics with the grid value chosen by RMSE on the other half of the users; the grid on all users; the
    values chosen."""
    users = evaluation.users
    by_value = {value: evaluation.placed(placer_for(value)) for value in grid}
    on_all = {value: evaluation.by_rating(by_value[value], users) for value in grid}
    halves = (users[0::2], users[1::2])
    chosen, combined = {}, {}
    for tune, score in (halves, halves[::-1]):
        best = min(grid, key=lambda value: evaluation.by_rating(by_value[value], tune)["rmse"])
        chosen[best] = chosen.get(best, 0) + 1
        combined.update({u: by_value[best][u] for u in score})
    return evaluation.by_rating(combined, users), on_all, chosen


def site_list(evaluation: Evaluation) -> tuple[dict[str, float], float]:
    """The site's list and stars for each held-out user, through recsys.lists; and the median time to place one."""
    model, users = evaluation.model, evaluation.users

    def taste(user: int):
        rows, scores, times = evaluation.rows[user], evaluation.scores[user], evaluation.times[user]
        return user_taste(model=model, movie_rows=rows, scores=scores, times=times)

    tastes = {u: taste(u) for u in users}
    lists = {
        u: model.movie_ids[list_order(model=model, taste=tastes[u], candidate_rows=evaluation.unseen(u))[:K]].tolist()
        for u in users
    }
    stars = {u: list_ratings(model=model, taste=tastes[u], movie_rows=evaluation.rest_rows[u]) for u in users}
    metrics = {"rmse": evaluation.rmse(stars, users), "ndcg": evaluation.ndcg(lists, users)}
    return metrics, median_ms([partial(taste, u) for u in users])


def seed_run(ratings: pd.DataFrame, seed: int) -> dict:
    """Train the shipped models without the held-out users of ``seed`` and score every method on those users."""
    train, given, rest = users_split(ratings, seed)
    trained = models_train(ratings=train, params=RatingParams(seed=seed), ranking_params=RankingParams())
    model = trained.factors
    print(
        f"seed {seed}: shipped models on {len(trained.train)} of {len(train)} ratings ({train.user.nunique()} users) "
        f"in {trained.train_seconds:.1f} s, validation RMSE {trained.metrics['rmse']:.4f}; {len(given)} held-out "
        "users",
        flush=True,
    )
    evaluation = Evaluation(model, given, rest)
    users = evaluation.users

    popularity = PopularityRecommender.from_ratings(train)
    catalogue = popularity.predict(np.zeros(len(model.movie_ids)), model.movie_ids)
    counts = popularity.scores(np.zeros(1), model.movie_ids)[0]
    popular_lists = {u: evaluation.top_k(counts, u) for u in users}
    popular_rmse = evaluation.rmse({u: catalogue[evaluation.rest_rows[u]] for u in users}, users)
    average = model.ranking.scores(model.ranking.user_mean)

    fold_in, fold_in_grid, fold_in_chosen = cross_fitted(
        evaluation, lambda ridge: partial(_fold_in, model, ridge=ridge), RIDGES
    )
    classic, classic_grid, classic_chosen = cross_fitted(
        evaluation, lambda k: partial(_classic, model, neighbours=k), NEIGHBOURS
    )
    site, site_ms = site_list(evaluation)

    def place_ms(placer: Placer) -> float:
        return median_ms([partial(placer, evaluation.rows[u], evaluation.scores[u]) for u in users])

    return {
        "results": {
            POPULARITY: {"rmse": popular_rmse, "ndcg": evaluation.ndcg(popular_lists, users)},
            CLASSIC: classic,
            FOLD_IN: fold_in,
            AVERAGE: {"rmse": None, "ndcg": evaluation.ndcg({u: evaluation.top_k(average, u) for u in users}, users)},
            SITE: site,
        },
        "timings": {
            POPULARITY: None,
            CLASSIC: place_ms(partial(_classic, model, neighbours=CLASSIC_NEIGHBOURS)),
            FOLD_IN: place_ms(partial(_fold_in, model, ridge=FOLD_IN_RIDGE)),
            AVERAGE: None,
            SITE: site_ms,
        },
        "grids": {"fold-in ridge": fold_in_grid, "classic neighbours": classic_grid},
        "chosen": {"fold-in ridge": fold_in_chosen, "classic neighbours": classic_chosen},
    }


def _fold_in(model: FactorModel, rows: np.ndarray, scores: np.ndarray, *, ridge: float) -> tuple[np.ndarray, float]:
    return user_fold_in(model=model, movie_rows=rows, scores=scores, ridge=ridge)


def _classic(model: FactorModel, rows: np.ndarray, scores: np.ndarray, *, neighbours: int) -> tuple[np.ndarray, float]:
    return user_classic(model=model, movie_rows=rows, scores=scores, neighbours=neighbours)


def _cell(value: float | None, width: int, digits: int) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}.{digits}f}"


def report(runs: list[dict], seeds: list[int]) -> None:
    def mean(key: str, name: str, metric: str | None = None) -> float | None:
        values = [run[key][name][metric] if metric else run[key][name] for run in runs]
        return None if values[0] is None else float(np.mean(values))

    for grid_name in runs[0]["grids"]:
        chosen = ", ".join(str(run["chosen"][grid_name]) for run in runs)
        print(f"\n{grid_name} grid (all held-out users, mean over seeds; chosen per half-split: {chosen})")
        for value in runs[0]["grids"][grid_name]:
            grid = [run["grids"][grid_name][value] for run in runs]
            print(
                f"  {value:>6}: RMSE {np.mean([g['rmse'] for g in grid]):.4f}  "
                f"NDCG@{K} {np.mean([g['ndcg'] for g in grid]):.4f}"
            )
    if len(runs) > 1:
        print(f"\nper seed (RMSE / NDCG@{K}):")
        for seed, run in zip(seeds, runs, strict=True):
            cells = [f"{n} {_cell(run['results'][n]['rmse'], 0, 4)} / {run['results'][n]['ndcg']:.4f}" for n in METHODS]
            print(f"  seed {seed}: " + ";  ".join(cells))
    print(
        f"\nheld-out users of seeds {seeds}; ridge and k cross-fitted for classic and fold-in; time to place one user "
        f"with the shipped ridge {FOLD_IN_RIDGE} and k {CLASSIC_NEIGHBOURS} (the site's list: both models):"
    )
    print(f"{'method':<24}{'RMSE':>8}{f'NDCG@{K}':>10}{'place ms':>10}")
    for name in METHODS:
        print(
            f"{name:<24}{_cell(mean('results', name, 'rmse'), 8, 4)}{mean('results', name, 'ndcg'):>10.4f}"
            f"{_cell(mean('timings', name), 10, 3)}"
        )
    base_rmse, base_ndcg = mean("results", POPULARITY, "rmse"), mean("results", POPULARITY, "ndcg")
    print("\nagainst the popularity list (same run):")
    for name in METHODS[1:]:
        error = mean("results", name, "rmse")
        ratio = "" if error is None else f"RMSE x{error / base_rmse:.3f}, "
        print(f"  {name:<22} {ratio}NDCG@{K} x{mean('results', name, 'ndcg') / base_ndcg:.3f}")
    print(
        f"fold-in vs classic: RMSE x{mean('results', FOLD_IN, 'rmse') / mean('results', CLASSIC, 'rmse'):.3f}, "
        f"NDCG@{K} x{mean('results', FOLD_IN, 'ndcg') / mean('results', CLASSIC, 'ndcg'):.3f}, "
        f"time to place x{mean('timings', FOLD_IN) / mean('timings', CLASSIC):.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[SEED])
    args = parser.parse_args()
    print(f"shipped models (seeded per run): {RatingParams()}; {RankingParams()}; {GIVEN} ratings given per user")
    ratings = movielens_100k().ratings
    report([seed_run(ratings, seed) for seed in args.seeds], args.seeds)


if __name__ == "__main__":
    main()
