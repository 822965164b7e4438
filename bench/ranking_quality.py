"""Ranking quality on MovieLens 100k: every list we tried for the site, on the benchmark's two splits, one table each.

Splits are those of ``manage.py benchmark`` (``insights.benchmark``): random 80/20 (seed 42) and per-user time
(each user's last 20% by time). Metrics come from ``recommender.services.metrics``: candidates are the training
movies the user has not rated, relevant are test ratings of 4 or more, users without one are left out. Coverage
is over the top-10 lists of the test users. Each variant's ratios are against the popularity list and the
classic recipe (collab_learner n_factors=50, y_range=(0, 5.5), fit_one_cycle(5, 5e-3, wd=0.1), bs=64), both
measured in the same run. "retrain" adds the rating model's seconds to the ranking model's: the whole retrain.

``--validation`` runs the same table on validation splits carved out of each training split (random 80/20 of
the random split's training part, seed 0; the last 20% of each user's training ratings): hyperparameters were
chosen there, never on the test splits. ``--quick``: the shipped variant and the baselines only. A section on
new users follows: 10% of the users held out of training give their first 10 ratings (as ``bench/cold_start.py``).

    .venv/bin/python bench/ranking_quality.py [--data /work/ml100k/u.data] [--quick] [--validation]
"""

import argparse
import itertools
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
from fastai.collab import CollabDataLoaders, collab_learner  # noqa: E402
from fastai.torch_core import set_seed  # noqa: E402

from insights.benchmark import split_by_time, split_random  # noqa: E402
from recommender.services.factors import FactorModel  # noqa: E402
from recommender.services.metrics import (  # noqa: E402
    catalogue_coverage,
    ranking_metrics,
    relevant_by_user,
    rmse,
    top_k_unseen,
)
from recommender.services.onboarding import user_fold_in  # noqa: E402
from recommender.services.ranking import RankingParams, ranking_train  # noqa: E402
from recommender.services.ranking_scores import ranking_fold_in  # noqa: E402

K = 10
SEED = 42
# The rating model the retrain trains beside the ranking model; keep in step with the training defaults.
RATING_MODEL = {"bs": 2048, "epochs": 8, "lr": 2e-2, "wd": 1.5, "n_factors": 50}
CLASSIC = {"bs": 64, "epochs": 5, "lr": 5e-3, "wd": 0.1, "n_factors": 50}
Y_RANGE = (0.0, 5.5)
EASE_LAMBDA = 250.0
BLEND_WEIGHT = 0.5  # logit + this times the predicted rating


@dataclass
class Data:
    """One split in the index space of its training part (rows: sorted user ids, columns: sorted movie ids)."""

    train: pd.DataFrame
    test: pd.DataFrame
    users: np.ndarray = field(init=False)
    movies: np.ndarray = field(init=False)
    user_rows: np.ndarray = field(init=False)
    movie_rows: np.ndarray = field(init=False)
    seen: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.users, self.user_rows = np.unique(self.train.user.to_numpy(), return_inverse=True)
        self.movies, self.movie_rows = np.unique(self.train.movie.to_numpy(), return_inverse=True)
        self.seen = np.zeros((len(self.users), len(self.movies)), dtype=bool)
        self.seen[self.user_rows, self.movie_rows] = True

    def implicit(self) -> np.ndarray:
        return self.seen.astype(np.float32)


@dataclass
class Result:
    scores: np.ndarray  # [n_users, n_movies] in Data's index space; higher is better
    seconds: float
    predicted: np.ndarray | None = None  # predicted ratings, same shape, for the RMSE
    factor_model: FactorModel | None = None  # a rating model's serving form, rows in Data's order


def evaluate(data: Data, result: Result) -> dict[str, float]:
    """Ranking metrics of the test users' top 10 (never a rated movie), and RMSE when the variant predicts."""
    test = data.test[data.test.user.isin(data.users) & data.test.movie.isin(data.movies)]
    user_index = pd.Series(np.arange(len(data.users)), index=data.users)
    test_users = np.sort(test.user.unique())
    rows = user_index[test_users].to_numpy()
    best = top_k_unseen(result.scores[rows], data.seen[rows], K)
    assert not np.take_along_axis(data.seen[rows], best, axis=1).any(), "a rated movie was recommended"
    top_k = {int(u): [int(m) for m in data.movies[r]] for u, r in zip(test_users, best, strict=True)}
    metrics = ranking_metrics(top_k=top_k, relevant=relevant_by_user(test.user, test.movie, test.rating), k=K)
    metrics["coverage"] = catalogue_coverage(top_k=top_k, n_candidates=len(data.movies))
    if result.predicted is not None:
        movie_index = pd.Series(np.arange(len(data.movies)), index=data.movies)
        predicted = result.predicted[user_index[test.user].to_numpy(), movie_index[test.movie].to_numpy()]
        metrics["rmse"] = rmse(predicted, test.rating.to_numpy())
    metrics["seconds"] = result.seconds
    return metrics


# --- baselines and the rating model -------------------------------------------------------------------------------


def popularity(data: Data) -> Result:
    started = time.perf_counter()
    counts = np.bincount(data.movie_rows, minlength=len(data.movies)).astype(float)
    return Result(np.broadcast_to(counts, data.seen.shape), time.perf_counter() - started)


def fastai_dot(data: Data, *, bs: int, epochs: int, lr: float, wd: float, n_factors: int, valid_pct: float) -> Result:
    """collab_learner's dot model ranked by predicted rating; seconds include building the DataLoaders."""
    set_seed(SEED, reproducible=True)
    started = time.perf_counter()
    ratings = data.train[["user", "movie", "rating"]]
    dls = CollabDataLoaders.from_df(ratings, valid_pct=valid_pct, seed=SEED, bs=bs)
    learn = collab_learner(dls, n_factors=n_factors, y_range=Y_RANGE)
    with learn.no_bar(), learn.no_logging():
        learn.fit_one_cycle(epochs, lr, wd=wd)
    seconds = time.perf_counter() - started
    model = learn.model
    users = np.array([dls.classes["user"].o2i[u] for u in data.users])
    movies = np.array([dls.classes["movie"].o2i[m] for m in data.movies])
    factor_model = FactorModel(
        user_ids=data.users,
        movie_ids=data.movies,
        user_factors=model.u_weight.weight[users].detach().numpy(),
        user_bias=model.u_bias.weight[users, 0].detach().numpy(),
        movie_factors=model.i_weight.weight[movies].detach().numpy(),
        movie_bias=model.i_bias.weight[movies, 0].detach().numpy(),
        y_range=Y_RANGE,
    )
    predicted = factor_model.squash(
        factor_model.user_factors @ factor_model.movie_factors.T
        + factor_model.user_bias[:, None]
        + factor_model.movie_bias
    )
    return Result(predicted, seconds, predicted, factor_model)


def classic(data: Data) -> Result:
    """The fastai book's recipe as written: 20% of the training data held out for validation."""
    return fastai_dot(data, **CLASSIC, valid_pct=0.2)


def rating_model(data: Data) -> Result:
    """The site's rating model: fit on the whole training part (1% kept for fastai's validation loop)."""
    return fastai_dot(data, **RATING_MODEL, valid_pct=0.01)


# --- ranking variants ---------------------------------------------------------------------------------------------


def softmax(params: RankingParams, *, seeds: int = 1) -> Callable[[Data], Result]:
    """The shipped model (or an ablation of it); with several seeds, the mean of their scores (an ensemble)."""

    def run(data: Data) -> Result:
        started = time.perf_counter()
        models = [ranking_train(ratings=data.train, params=params, seed=seed) for seed in range(seeds)]
        seconds = time.perf_counter() - started
        return Result(np.mean([m.scores(m.user_factors) for m in models], axis=0), seconds)

    return run


def softmax_folded_in(data: Data) -> Result:
    """The shipped model with every user's vector re-solved by numpy fold-in from their training ratings."""
    started = time.perf_counter()
    model = ranking_train(ratings=data.train, seed=0)
    seconds = time.perf_counter() - started
    timestamps, scores = data.train.timestamp.to_numpy(), data.train.rating.to_numpy()
    order = np.argsort(data.user_rows, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(data.user_rows, minlength=len(data.users)))]
    vectors = np.stack(
        [
            ranking_fold_in(
                model=model,
                movie_rows=data.movie_rows[order[a:b]],
                scores=scores[order[a:b]],
                timestamps=timestamps[order[a:b]],
            )
            for a, b in itertools.pairwise(bounds)
        ]
    )
    return Result(model.scores(vectors), seconds)


def blend(data: Data) -> Result:
    """Softmax logit plus BLEND_WEIGHT times the rating model's prediction."""
    ranked, rated = softmax(RankingParams())(data), rating_model(data)
    return Result(ranked.scores + BLEND_WEIGHT * rated.predicted, ranked.seconds + rated.seconds)


def ease(data: Data) -> Result:
    """EASE (Steck 2019), the linear item-to-item reference: not servable as user and movie vectors."""
    started = time.perf_counter()
    x = data.implicit()
    p = np.linalg.inv(x.T @ x + EASE_LAMBDA * np.eye(x.shape[1]))
    b = -p / np.diag(p)
    np.fill_diagonal(b, 0.0)
    return Result(x @ b, time.perf_counter() - started)


def _factor_loop(data: Data, loss_fn, *, n_factors: int, epochs: int, lr: float, batches) -> Result:
    """A plain torch loop over user/movie factors and movie biases, for the losses that lost."""
    torch.manual_seed(SEED)
    started = time.perf_counter()
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
        scores = (users @ movies.T + bias).numpy()
    return Result(scores, time.perf_counter() - started)


def bpr(data: Data, *, n_factors: int = 96, epochs: int = 20, lr: float = 2e-3, l2: float = 1e-4) -> Result:
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


def bce_sampled(data: Data, *, n_factors: int = 64, epochs: int = 10, lr: float = 5e-3, negatives: int = 4) -> Result:
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


def weighted_squares(data: Data, *, n_factors: int = 96, epochs: int = 30, lr: float = 3e-3) -> Result:
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


SHIPPED = "softmax factors (shipped)"
VARIANTS: dict[str, Callable[[Data], Result]] = {
    SHIPPED: softmax(RankingParams()),
    "  same, every user re-placed by numpy fold-in": softmax_folded_in,
    "  same, no recency weighting": softmax(RankingParams(recency=0.0)),
    "  same, all ratings weigh 1, no recency (plain implicit)": softmax(RankingParams(recency=0.0, other_weight=1.0)),
    "  same, 64 factors": softmax(RankingParams(n_factors=64)),
    "  same, user ridge 3": softmax(RankingParams(user_ridge=3.0)),
    "  same, weight decay 0.1 on movies": softmax(RankingParams(wd=0.1)),
    "  same, 60 epochs": softmax(RankingParams(epochs=60)),
    "  ensemble of 3 seeds (mean score)": softmax(RankingParams(), seeds=3),
    f"  blend: logit + {BLEND_WEIGHT} x predicted rating": blend,
    "BPR, sampled negatives": bpr,
    "BCE, 4 sampled negatives per rating": bce_sampled,
    "weighted squares on all pairs (iALS objective)": weighted_squares,
    f"EASE lambda={EASE_LAMBDA:g} (item-item reference)": ease,
}


def split_table(name: str, data: Data, variants: dict[str, Callable[[Data], Result]]) -> list[str]:
    pop = evaluate(data, popularity(data))
    base = evaluate(data, classic(data))
    rated = evaluate(data, rating_model(data))
    rows = {"popularity (most rated)": pop, "classic recipe, by predicted rating": base}
    rows["rating model (retrain's), by predicted rating"] = rated
    for label, variant in variants.items():
        rows[label] = evaluate(data, variant(data))
        print(f"  {name}: {label.strip()} done", file=sys.stderr, flush=True)
    rows[SHIPPED]["rmse"] = rated["rmse"]  # the site shows the rating model's prediction beside the list
    ndcg = "ndcg@10"
    lines = [
        f"### {name}: {len(data.train)} training ratings, {len(data.test)} test ratings",
        "",
        "| variant | NDCG@10 | P@10 | R@10 | RMSE | coverage | train s | x popularity | x classic |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, m in rows.items():
        rmse_text = f"{m['rmse']:.4f}" if "rmse" in m else "n/a"
        lines.append(
            f"| {label} | {m[ndcg]:.4f} | {m['precision@10']:.4f} | {m['recall@10']:.4f} | {rmse_text} "
            f"| {m['coverage']:.1%} | {m['seconds']:.1f} | {m[ndcg] / pop[ndcg]:.2f} | {m[ndcg] / base[ndcg]:.2f} |"
        )
    shipped = rows[SHIPPED]
    retrain = rated["seconds"] + shipped["seconds"]
    lines += [
        "",
        f"retrain (rating model {rated['seconds']:.1f} s + ranking model {shipped['seconds']:.1f} s) = "
        f"{retrain:.1f} s vs classic recipe {base['seconds']:.1f} s: {base['seconds'] / retrain:.1f}x faster",
        "",
    ]
    return lines


def new_users_table(ratings: pd.DataFrame) -> list[str]:
    """Users held out of training, placed from their first 10 ratings by time; NDCG on the rest."""
    train, given, rest = users_split(ratings, SEED)
    data = Data(train, train.iloc[:0])
    ranking = ranking_train(ratings=train, seed=0)
    rated = fastai_dot(data, **RATING_MODEL, valid_pct=0.01)
    movie_index = {int(m): i for i, m in enumerate(data.movies)}
    counts = np.bincount(data.movie_rows, minlength=len(data.movies)).astype(float)
    users = sorted(given)
    lists: dict[str, dict[int, list[int]]] = {"popularity (most rated)": {}, "ranking fold-in": {}}
    lists["rating model fold-in, by predicted rating"] = {}
    factor_model = rated.factor_model
    relevant: dict[int, set[int]] = {}
    seconds = []
    for user in users:
        g = given[user][given[user].movie.isin(movie_index)]
        rows = np.array([movie_index[int(m)] for m in g.movie], dtype=np.int64)
        seen = np.zeros((1, len(data.movies)), dtype=bool)
        seen[0, rows] = True
        started = time.perf_counter()
        vector = ranking_fold_in(model=ranking, movie_rows=rows, scores=g.rating.to_numpy())
        seconds.append(time.perf_counter() - started)
        place = user_fold_in(model=factor_model, movie_rows=rows, scores=g.rating.to_numpy())
        for label, scores in (
            ("popularity (most rated)", counts),
            ("ranking fold-in", ranking.scores(vector)),
            ("rating model fold-in, by predicted rating", factor_model.predict_vector(*place)),
        ):
            lists[label][user] = [int(data.movies[i]) for i in top_k_unseen(scores[None, :], seen, K)[0]]
        relevant.update(relevant_by_user([user] * len(rest[user]), rest[user].movie, rest[user].rating))
    pop = ranking_metrics(top_k=lists["popularity (most rated)"], relevant=relevant)["ndcg@10"]
    lines = [
        f"### new users: {len(users)} held out, placed from their first 10 ratings "
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
            "validation: random 80/20 of the random split's training part (seed 0)": split_random(
                random_split.train, seed=0
            ),
            "validation: last 20% of each user's ratings in the time split's training part": split_by_time(
                time_split.train
            ),
        }
    variants = {SHIPPED: VARIANTS[SHIPPED]} if args.quick else VARIANTS
    lines = [f"torch threads: {torch.get_num_threads()}", ""]
    for name, split in splits.items():
        lines += split_table(name, Data(split.train, split.test), variants)
    if not args.validation:
        lines += new_users_table(ratings)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
