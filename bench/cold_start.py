"""Cold start on MovieLens 100k: classic (similar users) vs fold-in (least squares) vs the popularity list, and
the site's list for new users: the ranking model with the user placed by ranking fold-in (NDCG@10 only: the
ranking model does not predict ratings).

10% of the users (seed 42) are held out of training. Each held-out user gives only their first 10 ratings by
time; the rest are predicted. RMSE over the rest (movies the model knows), NDCG@10 with the metrics module
(candidates: training movies not among the 10 given; relevant: the rest rated 4 or more), and the time to
place one user. Hyperparameters (ridge, neighbours) are chosen on one half of the held-out users and scored
on the other, both ways round, so no user is scored with a setting tuned on them.

    .venv/bin/python bench/cold_start.py [--data /work/ml100k/u.data] [--seeds 42 43 44] [--epochs 5]
"""

import argparse
import os
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "movierec_site.settings.base")

import django

django.setup()

from recommender.selectors import bayesian_means  # noqa: E402
from recommender.services.onboarding import (  # noqa: E402
    CLASSIC_NEIGHBOURS,
    FOLD_IN_RIDGE,
    user_classic,
    user_fold_in,
)
from recsys.evaluation import ratings_read  # noqa: E402
from recsys.metrics import ranking_metrics, relevant_by_user, rmse, top_k_unseen  # noqa: E402
from recsys.ranking_model import RankingModel, ranking_fold_in  # noqa: E402
from recsys.rating_model import FactorModel  # noqa: E402
from recsys.train_ranking import ranking_train  # noqa: E402

GIVEN = 10
HELD_OUT_SHARE = 0.1
SEED = 42
RIDGES = (0.1, 0.3, 1.0, 3.0, 10.0)
NEIGHBOURS = (5, 10, 20, 50, 100)
RANKING = "ranking fold-in"


def factor_model_train(
    train: pd.DataFrame, *, seed: int, epochs: int, lr: float, bs: int
) -> tuple[FactorModel, float, float]:
    """fastai dot model on ``train``; returns the serving form, its validation RMSE and the training seconds."""
    from fastai.collab import CollabDataLoaders, collab_learner
    from fastai.torch_core import set_seed

    # Python, numpy and torch all seeded, so that a rerun trains the same model and prints the same figures.
    set_seed(seed, reproducible=True)
    dls = CollabDataLoaders.from_df(train[["user", "movie", "rating"]], valid_pct=0.1, seed=seed, bs=bs)
    learn = collab_learner(dls, n_factors=50, y_range=(0, 5.5))
    started = time.perf_counter()
    with learn.no_bar(), learn.no_logging():
        learn.fit_one_cycle(epochs, lr, wd=0.1)
        seconds = time.perf_counter() - started
        valid_rmse = float(learn.validate()[0]) ** 0.5
    weights = learn.model
    model = FactorModel(
        user_ids=np.array(dls.classes["user"][1:], dtype=np.int64),
        movie_ids=np.array(dls.classes["movie"][1:], dtype=np.int64),
        user_factors=weights.u_weight.weight[1:].detach().numpy(),
        user_bias=weights.u_bias.weight[1:, 0].detach().numpy(),
        movie_factors=weights.i_weight.weight[1:].detach().numpy(),
        movie_bias=weights.i_bias.weight[1:, 0].detach().numpy(),
        y_range=(0.0, 5.5),
    )
    model = model.with_training_ratings(user_ids=train.user, movie_ids=train.movie, scores=train.rating)
    return model, valid_rmse, seconds


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
    """Predictions and top 10 of each held-out user under one way of scoring the catalogue."""

    def __init__(self, model: FactorModel, given: dict[int, pd.DataFrame], rest: dict[int, pd.DataFrame]):
        self.model, self.given, self.rest = model, given, rest
        self.rows = {u: self._rows(g.movie) for u, g in given.items()}
        self.rest_rows = {u: self._rows(r.movie) for u, r in rest.items()}

    def _rows(self, movies: pd.Series) -> np.ndarray:
        return np.array([self.model.movie_index(m) for m in movies if self.model.has_movie(m)], dtype=np.int64)

    def _given_scores(self, user: int) -> np.ndarray:
        g = self.given[user]
        return g.rating.to_numpy(dtype=np.float64)[[self.model.has_movie(m) for m in g.movie]]

    def scores(self, placer) -> dict[int, np.ndarray]:
        """Catalogue scores per user from ``placer(movie_rows, scores) -> (vector, bias)``."""
        return {u: self.model.predict_vector(*placer(self.rows[u], self._given_scores(u))) for u in self.given}

    def given_times(self, user: int) -> np.ndarray:
        g = self.given[user]
        return g.timestamp.to_numpy(dtype=np.float64)[[self.model.has_movie(m) for m in g.movie]]

    def metrics(self, scores: dict[int, np.ndarray], users: list[int]) -> dict[str, float]:
        predicted = np.concatenate([scores[u][self.rest_rows[u]] for u in users])
        actual = np.concatenate(
            [self.rest[u].rating.to_numpy()[[self.model.has_movie(m) for m in self.rest[u].movie]] for u in users]
        )
        return {"rmse": rmse(predicted, actual), "ndcg@10": self.ndcg(scores, users)}

    def ndcg(self, scores: dict[int, np.ndarray], users: list[int]) -> float:
        movie_ids = self.model.movie_ids
        top_k, relevant = {}, {}
        for u in users:
            seen = np.zeros((1, len(movie_ids)), dtype=bool)
            seen[0, self.rows[u]] = True
            top_k[u] = movie_ids[top_k_unseen(scores[u][None, :], seen, 10)[0]].tolist()
            relevant.update(relevant_by_user([u] * len(self.rest[u]), self.rest[u].movie, self.rest[u].rating))
        return ranking_metrics(top_k=top_k, relevant=relevant)["ndcg@10"]


def place_ms(evaluation: Evaluation, placer, repeats: int = 5) -> float:
    """Median wall time to place one held-out user, in milliseconds."""
    calls = [partial(placer, evaluation.rows[user], evaluation._given_scores(user)) for user in evaluation.given]
    return _median_ms(calls, repeats)


def _median_ms(calls: list, repeats: int = 5) -> float:
    """Median wall time of one call, in milliseconds."""
    times = []
    for call in calls:
        started = time.perf_counter()
        for _ in range(repeats):
            call()
        times.append((time.perf_counter() - started) / repeats)
    return float(np.median(times) * 1000)


def cross_fitted(evaluation: Evaluation, make_placer, grid, users: list[int]) -> tuple[dict, dict, dict]:
    """Scores with the grid value chosen by RMSE on the other half of the users; plus the grid on all users."""
    by_value = {value: evaluation.scores(make_placer(value)) for value in grid}
    on_all = {value: evaluation.metrics(by_value[value], users) for value in grid}
    halves = (users[0::2], users[1::2])
    chosen, combined = {}, {}
    for tune, score in (halves, halves[::-1]):
        best = min(grid, key=lambda value: evaluation.metrics(by_value[value], tune)["rmse"])
        chosen[best] = chosen.get(best, 0) + 1
        combined.update({u: by_value[best][u] for u in score})
    return combined, on_all, chosen


def seed_run(ratings: pd.DataFrame, seed: int, args: argparse.Namespace) -> dict:
    """Train without the held-out users of ``seed`` and score every method on them."""
    train, given, rest = users_split(ratings, seed)
    model, valid_rmse, seconds = factor_model_train(train, seed=seed, epochs=args.epochs, lr=args.lr, bs=args.bs)
    print(
        f"seed {seed}: dot model on {len(train)} ratings of {train.user.nunique()} users in {seconds:.1f} s, "
        f"validation RMSE {valid_rmse:.4f}; {len(given)} held-out users",
        flush=True,
    )
    evaluation = Evaluation(model, given, rest)
    users = sorted(given)

    stats = train.groupby("movie").rating.agg(["count", "sum"])
    popular = pd.Series(bayesian_means(counts=stats["count"], sums=stats["sum"]), index=stats.index)
    popular_scores = popular.reindex(model.movie_ids).to_numpy()

    fold_in, fold_in_grid, fold_in_chosen = cross_fitted(
        evaluation,
        lambda ridge: lambda rows, scores: user_fold_in(model=model, movie_rows=rows, scores=scores, ridge=ridge),
        RIDGES,
        users,
    )
    classic, classic_grid, classic_chosen = cross_fitted(
        evaluation,
        lambda k: lambda rows, scores: user_classic(model=model, movie_rows=rows, scores=scores, neighbours=k),
        NEIGHBOURS,
        users,
    )
    # The site's list: the ranking model trained on the same ratings, its rows in the rating model's order as
    # the retrain ships it, each held-out user placed from their given ratings (with their times).
    started = time.perf_counter()
    ranking = ranking_train(ratings=train, seed=seed).aligned(user_ids=model.user_ids, movie_ids=model.movie_ids)
    print(f"  ranking model trained in {time.perf_counter() - started:.1f} s", flush=True)

    def rank_place(ranking: RankingModel, user: int) -> np.ndarray:
        rows, scores = evaluation.rows[user], evaluation._given_scores(user)
        return ranking_fold_in(model=ranking, movie_rows=rows, scores=scores, timestamps=evaluation.given_times(user))

    ranked = {u: ranking.scores(rank_place(ranking, u)) for u in users}
    return {
        "results": {
            "popularity": evaluation.metrics(dict.fromkeys(users, popular_scores), users),
            "classic": evaluation.metrics(classic, users),
            "fold-in": evaluation.metrics(fold_in, users),
            RANKING: {"rmse": None, "ndcg@10": evaluation.ndcg(ranked, users)},
        },
        "timings": {
            "popularity": 0.0,
            "classic": place_ms(evaluation, lambda r, s: user_classic(model=model, movie_rows=r, scores=s)),
            "fold-in": place_ms(evaluation, lambda r, s: user_fold_in(model=model, movie_rows=r, scores=s)),
            RANKING: _median_ms([partial(rank_place, ranking, u) for u in users]),
        },
        "grids": {"fold-in ridge": fold_in_grid, "classic neighbours": classic_grid},
        "chosen": {"fold-in ridge": fold_in_chosen, "classic neighbours": classic_chosen},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("/work/ml100k/u.data"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[SEED])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--lr", type=float, default=5e-3)
    parser.add_argument("--bs", type=int, default=1024)
    args = parser.parse_args()
    print(f"dot model: bs={args.bs}, lr={args.lr}, {args.epochs} epochs, wd=0.1; {GIVEN} ratings given per user")

    ratings = ratings_read(path=args.data)
    runs = [seed_run(ratings, seed, args) for seed in args.seeds]

    def mean(key: str, name: str, metric: str | None = None) -> float:
        return float(np.mean([run[key][name][metric] if metric else run[key][name] for run in runs]))

    for grid_name in runs[0]["grids"]:
        print(f"\n{grid_name} grid (all held-out users, mean over seeds; chosen per half-split:", end=" ")
        print(", ".join(str(run["chosen"][grid_name]) for run in runs) + ")")
        for value in runs[0]["grids"][grid_name]:
            grid = [run["grids"][grid_name][value] for run in runs]
            print(
                f"  {value:>6}: RMSE {np.mean([g['rmse'] for g in grid]):.4f}  "
                f"NDCG@10 {np.mean([g['ndcg@10'] for g in grid]):.4f}"
            )

    names = ("popularity", "classic", "fold-in")
    if len(runs) > 1:
        print("\nper seed (RMSE / NDCG@10):")
        for seed, run in zip(args.seeds, runs, strict=True):
            cells = [f"{n} {run['results'][n]['rmse']:.4f} / {run['results'][n]['ndcg@10']:.4f}" for n in names]
            cells.append(f"{RANKING} - / {run['results'][RANKING]['ndcg@10']:.4f}")
            print(f"  seed {seed}: " + ";  ".join(cells))
    print(
        f"\nheld-out users of seeds {args.seeds}, hyperparameters cross-fitted; time to place one user with the "
        f"shipped ridge {FOLD_IN_RIDGE} and k {CLASSIC_NEIGHBOURS}:"
    )
    print(f"{'method':<16}{'RMSE':>8}{'NDCG@10':>10}{'place ms':>10}")
    for name in names:
        print(
            f"{name:<16}{mean('results', name, 'rmse'):>8.4f}{mean('results', name, 'ndcg@10'):>10.4f}"
            f"{mean('timings', name):>10.3f}"
        )
    print(f"{RANKING:<16}{'-':>8}{mean('results', RANKING, 'ndcg@10'):>10.4f}{mean('timings', RANKING):>10.3f}")
    for name in ("classic", "fold-in"):
        print(
            f"{name} vs popularity: RMSE x{mean('results', name, 'rmse') / mean('results', 'popularity', 'rmse'):.3f}, "
            f"NDCG@10 x{mean('results', name, 'ndcg@10') / mean('results', 'popularity', 'ndcg@10'):.3f}"
        )
    print(
        f"{RANKING} vs popularity: NDCG@10 "
        f"x{mean('results', RANKING, 'ndcg@10') / mean('results', 'popularity', 'ndcg@10'):.3f}; vs fold-in: "
        f"x{mean('results', RANKING, 'ndcg@10') / mean('results', 'fold-in', 'ndcg@10'):.3f}"
    )
    print(
        f"fold-in vs classic: RMSE x{mean('results', 'fold-in', 'rmse') / mean('results', 'classic', 'rmse'):.3f}, "
        f"NDCG@10 x{mean('results', 'fold-in', 'ndcg@10') / mean('results', 'classic', 'ndcg@10'):.3f}, "
        f"time to place x{mean('timings', 'fold-in') / mean('timings', 'classic'):.3f}"
    )


if __name__ == "__main__":
    main()
