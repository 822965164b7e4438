"""Ranking quality on MovieLens 100k: every list we tried for the site, on the benchmark's two splits, one table each.

Splits are those of ``manage.py benchmark`` (``insights.benchmark``): random 80/20 (seed 42) and per-user time
(each user's last 20% by time). Every variant is a trainer run through ``evaluation_run``, the code behind
``manage.py evaluate``: candidates are the training movies the user has not rated, relevant are test ratings of
4 or more, users without one are left out; coverage is over the test users' top-10 lists. Ratios are against
the popularity list and the classic recipe (collab_learner n_factors=50, y_range=(0, 5.5), fit_one_cycle(5,
5e-3, wd=0.1), bs=64), both measured in the same run. The shipped row is the whole retrain: the rating model
(our dot default) gives its RMSE and seconds, plus the ranking model, which orders the list.

``--validation`` runs the same tables on validation splits carved out of each training part (random 80/20,
seed 0, of the random split's; each user's last 20% of the time split's): hyperparameters were chosen there,
never on the test splits. ``--quick``: the shipped variant and the baselines only. Then new users: 10% of the
users held out of training give their first 10 ratings by time (as ``bench/cold_start.py``).

    .venv/bin/python bench/ranking_quality.py [--data /work/ml100k/u.data] [--quick] [--validation]
"""

import argparse
import itertools
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "movierec_site.settings.base")

import django

django.setup()

import torch  # noqa: E402
from cold_start import users_split  # noqa: E402

from insights.benchmark import split_by_time, split_random  # noqa: E402
from recommender.services.onboarding import user_fold_in  # noqa: E402
from recsys.evaluation import (  # noqa: E402
    FactorRecommender,
    Trainer,
    evaluation_run,
    fastai_trainer,
    popularity_trainer,
)
from recsys.metrics import ranking_metrics, relevant_by_user, top_k_unseen  # noqa: E402
from recsys.ranking_model import RankedRecommender, RankingModel, ranking_fold_in  # noqa: E402
from recsys.train_ranking import RankingParams, ranked_trainer, ranking_train  # noqa: E402
from recsys.train_rating import CLASSIC_HYPERPARAMETERS  # noqa: E402

K = 10
SEED = 42
EASE_LAMBDA = 250.0
BLEND_WEIGHT = 0.5  # logit + this times the predicted rating


@dataclass
class Data:
    """A training frame in index space: rows are the sorted user ids, columns the sorted movie ids."""

    train: pd.DataFrame
    users: np.ndarray = field(init=False)
    movies: np.ndarray = field(init=False)
    user_rows: np.ndarray = field(init=False)
    movie_rows: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.users, self.user_rows = np.unique(self.train.user.to_numpy(np.int64), return_inverse=True)
        self.movies, self.movie_rows = np.unique(self.train.movie.to_numpy(np.int64), return_inverse=True)

    def implicit(self) -> np.ndarray:
        x = np.zeros((len(self.users), len(self.movies)), dtype=np.float32)
        x[self.user_rows, self.movie_rows] = 1.0
        return x


@dataclass(frozen=True, eq=False)
class MatrixRecommender:
    """Scores for every (user, movie) of the training data, through the evaluation protocol."""

    users: np.ndarray
    movies: np.ndarray
    matrix: np.ndarray
    rating: FactorRecommender | None = None  # predictions, when the variant has a rating model

    def predict(self, users: np.ndarray, movies: np.ndarray) -> np.ndarray:
        if self.rating is None:
            return np.full(len(users), np.nan)
        return self.rating.predict(users, movies)

    def scores(self, users: np.ndarray, movies: np.ndarray) -> np.ndarray:
        rows = np.searchsorted(self.users, users)
        return self.matrix[rows][:, np.searchsorted(self.movies, movies)]


class NoPrediction:
    def predict(self, users: np.ndarray, movies: np.ndarray) -> np.ndarray:
        return np.full(len(users), np.nan)


def matrix_trainer(scorer: Callable[[Data], np.ndarray]) -> Trainer:
    def train(ratings: pd.DataFrame) -> MatrixRecommender:
        data = Data(ratings)
        return MatrixRecommender(data.users, data.movies, scorer(data))

    return train


# --- ranking variants ---------------------------------------------------------------------------------------------


def ranking_only(params: RankingParams) -> Trainer:
    """The ranking model alone (no rating model): its list, without predictions."""
    return lambda ratings: RankedRecommender(
        rating=NoPrediction(), ranking=ranking_train(ratings=ratings, params=params)
    )


def _scores(model: RankingModel) -> np.ndarray:
    return model.scores(model.user_factors)


def ensemble(seeds: int) -> Trainer:
    """The mean score of several seeds: still user vector . movie vector + bias, with the factors side by side."""

    def scorer(data: Data) -> np.ndarray:
        return np.mean([_scores(ranking_train(ratings=data.train, seed=seed)) for seed in range(seeds)], axis=0)

    return matrix_trainer(scorer)


def folded_in(data: Data) -> np.ndarray:
    """The shipped model with every user's vector re-solved by numpy fold-in from their training ratings."""
    model = ranking_train(ratings=data.train)
    timestamps, scores = data.train.timestamp.to_numpy(), data.train.rating.to_numpy()
    order = np.argsort(data.user_rows, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(data.user_rows, minlength=len(data.users)))]
    vectors = [
        ranking_fold_in(
            model=model,
            movie_rows=data.movie_rows[order[a:b]],
            scores=scores[order[a:b]],
            timestamps=timestamps[order[a:b]],
        )
        for a, b in itertools.pairwise(bounds)
    ]
    return model.scores(np.stack(vectors))


def blend(ratings: pd.DataFrame) -> MatrixRecommender:
    """Softmax logit plus BLEND_WEIGHT times the rating model's prediction."""
    data = Data(ratings)
    rated = fastai_trainer(algorithm="dot")(ratings)
    ranked = _scores(ranking_train(ratings=ratings))
    predicted = np.stack([rated.model.predict_user(rated.model.user_index(u)) for u in data.users])
    columns = np.array([rated.model.movie_index(m) for m in data.movies])
    return MatrixRecommender(data.users, data.movies, ranked + BLEND_WEIGHT * predicted[:, columns], rated)


def ease(data: Data) -> np.ndarray:
    """EASE (Steck 2019), the linear item-to-item reference: not servable as user and movie vectors."""
    x = data.implicit()
    p = np.linalg.inv(x.T @ x + EASE_LAMBDA * np.eye(x.shape[1]))
    b = -p / np.diag(p)
    np.fill_diagonal(b, 0.0)
    return x @ b


def _factor_loop(data: Data, loss_fn, *, n_factors: int, epochs: int, lr: float, batches) -> np.ndarray:
    """A plain torch loop over user/movie factors and movie biases, for the losses that lost."""
    torch.manual_seed(SEED)
    users = torch.nn.Parameter(torch.randn(len(data.users), n_factors) * 0.01)
    movies = torch.nn.Parameter(torch.randn(len(data.movies), n_factors) * 0.01)
    bias = torch.nn.Parameter(torch.zeros(len(data.movies)))
    optimiser = torch.optim.Adam([users, movies, bias], lr=lr)
    for _ in range(epochs):
        for batch in batches():
            loss = loss_fn(users, movies, bias, *batch)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    with torch.no_grad():
        return (users @ movies.T + bias).numpy()


def bpr(data: Data, *, n_factors: int = 96, epochs: int = 20, lr: float = 2e-3, l2: float = 1e-4) -> np.ndarray:
    """Bayesian personalised ranking: a rated movie above one uniformly sampled movie, per rating."""
    u_all, i_all = torch.from_numpy(data.user_rows), torch.from_numpy(data.movie_rows)

    def batches():
        order = torch.randperm(len(u_all))
        for start in range(0, len(order), 1024):
            b = order[start : start + 1024]
            yield u_all[b], i_all[b], torch.randint(len(data.movies), (len(b),))

    def loss(users, movies, bias, u, i, j):
        pu = users[u]
        diff = (pu * (movies[i] - movies[j])).sum(1) + bias[i] - bias[j]
        reg = l2 * (pu.pow(2).sum() + movies[i].pow(2).sum() + movies[j].pow(2).sum())
        return -torch.nn.functional.logsigmoid(diff).mean() + reg / len(u)

    return _factor_loop(data, loss, n_factors=n_factors, epochs=epochs, lr=lr, batches=batches)


def bce_sampled(
    data: Data, *, n_factors: int = 64, epochs: int = 10, lr: float = 5e-3, negatives: int = 4
) -> np.ndarray:
    """Binary cross-entropy: each rating a positive, ``negatives`` uniformly sampled movies per rating negatives."""
    u_all, i_all = torch.from_numpy(data.user_rows), torch.from_numpy(data.movie_rows)

    def batches():
        u = u_all.repeat(negatives + 1)
        i = torch.cat([i_all, torch.randint(len(data.movies), (negatives * len(i_all),))])
        y = torch.cat([torch.ones(len(i_all)), torch.zeros(negatives * len(i_all))])
        order = torch.randperm(len(u))
        for start in range(0, len(order), 4096):
            b = order[start : start + 4096]
            yield u[b], i[b], y[b]

    def loss(users, movies, bias, u, i, y):
        logits = (users[u] * movies[i]).sum(1) + bias[i]
        reg = 1e-5 * (users[u].pow(2).sum() + movies[i].pow(2).sum())
        return torch.nn.functional.binary_cross_entropy_with_logits(logits, y) + reg / len(u)

    return _factor_loop(data, loss, n_factors=n_factors, epochs=epochs, lr=lr, batches=batches)


def weighted_squares(data: Data, *, n_factors: int = 96, epochs: int = 30, lr: float = 3e-3) -> np.ndarray:
    """iALS's objective by gradient: squared error on every (user, movie), rated pairs weighing 1 + alpha."""
    targets = torch.from_numpy(data.implicit())
    alpha, l2 = 5.0, 0.03

    def batches():
        order = torch.randperm(len(targets))
        for start in range(0, len(order), 128):
            yield (order[start : start + 128],)

    def loss(users, movies, bias, u):
        x = targets[u]
        error = (1 + alpha * x) * (x - users[u] @ movies.T - bias) ** 2
        return error.sum(1).mean() + l2 * (users[u].pow(2).sum() + movies.pow(2).sum() * len(u) / len(targets))

    return _factor_loop(data, loss, n_factors=n_factors, epochs=epochs, lr=lr, batches=batches)


SHIPPED = "rating model + softmax ranking factors (shipped)"
RATING_MODEL = "rating model (dot default), by predicted rating"
POPULARITY = "popularity (most rated)"
CLASSIC = "classic recipe (bs=64), by predicted rating"
BASELINES: dict[str, Trainer] = {
    POPULARITY: popularity_trainer(),
    CLASSIC: fastai_trainer(algorithm="dot", hyperparameters=CLASSIC_HYPERPARAMETERS),
    RATING_MODEL: fastai_trainer(algorithm="dot"),
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


def new_users_table(ratings: pd.DataFrame) -> list[str]:
    """Users held out of training, placed from their first 10 ratings by time; NDCG on the rest."""
    train, given, rest = users_split(ratings, SEED)
    ranking = ranking_train(ratings=train)
    factor_model = fastai_trainer(algorithm="dot")(train).model
    movie_ids = ranking.movie_ids
    movie_index = {int(m): i for i, m in enumerate(movie_ids)}
    counts = train.movie.value_counts().reindex(movie_ids).to_numpy(np.float64)
    columns = np.array([factor_model.movie_index(m) for m in movie_ids])
    labels = (
        "popularity (most rated)",
        "rating model fold-in, by predicted rating",
        "ranking model, the average user (no fold-in)",
        "ranking model fold-in (shipped)",
    )
    lists: dict[str, dict[int, list[int]]] = {label: {} for label in labels}
    relevant: dict[int, set[int]] = {}
    seconds = []
    for user in sorted(given):
        mine = given[user][given[user].movie.isin(movie_index)]
        rows = np.array([movie_index[int(m)] for m in mine.movie], dtype=np.int64)
        scores = mine.rating.to_numpy(np.float64)
        started = time.perf_counter()
        vector = ranking_fold_in(model=ranking, movie_rows=rows, scores=scores, timestamps=mine.timestamp.to_numpy())
        seconds.append(time.perf_counter() - started)
        placed = user_fold_in(model=factor_model, movie_rows=columns[rows], scores=scores)
        seen = np.zeros((1, len(movie_ids)), dtype=bool)
        seen[0, rows] = True
        for label, row_scores in zip(
            labels,
            (
                counts,
                factor_model.predict_vector(*placed)[columns],
                ranking.scores(ranking.user_mean),
                ranking.scores(vector),
            ),
            strict=True,
        ):
            lists[label][user] = [int(movie_ids[i]) for i in top_k_unseen(row_scores[None, :], seen, K)[0]]
        relevant.update(relevant_by_user([user] * len(rest[user]), rest[user].movie, rest[user].rating))
    pop = ranking_metrics(top_k=lists[labels[0]], relevant=relevant)["ndcg@10"]
    lines = [
        f"### new users: {len(given)} held out of training, placed from their first 10 ratings by time "
        f"(ranking fold-in: median {np.median(seconds) * 1000:.1f} ms per user)",
        "",
        "| list | NDCG@10 | P@10 | x popularity |",
        "|---|---|---|---|",
    ]
    for label, top_k in lists.items():
        m = ranking_metrics(top_k=top_k, relevant=relevant)
        lines.append(f"| {label} | {m['ndcg@10']:.4f} | {m['precision@10']:.4f} | {m['ndcg@10'] / pop:.2f} |")
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("/work/ml100k/u.data"))
    parser.add_argument("--quick", action="store_true", help="the shipped variant and the baselines only")
    parser.add_argument("--validation", action="store_true", help="validation splits carved from the training data")
    args = parser.parse_args()
    ratings = pd.read_csv(args.data, sep="\t", names=["user", "movie", "rating", "timestamp"])
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
    lines = []
    for name, split in splits.items():
        lines += split_table(name, split.train, split.test, variants)
    if not args.validation:
        lines += new_users_table(ratings)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
