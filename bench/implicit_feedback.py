"""Implicit feedback in the ranking model: the site's list with and without the clicks and watchlist adds that
people made before the retrain, on MovieLens 100k with simulated signals (issue 19, part 4).

MovieLens has no clicks, so the bench draws them from what people go on to do. Split: each user's last 20% of
ratings by time are the future (the benchmark's time split, ``recsys.splits.split_by_time``); the rest is what the
site knows at the retrain. Per user, the signals of the moment of the retrain:
- opened: each future movie with probability ``opened_liked`` if they go on to rate it 4 or more, ``opened_other``
  if less; plus noise, clicks on movies they never rate, ``noise`` times as many, drawn by popularity;
- watchlisted: likewise with ``watchlist_liked`` and ``watchlist_other``, plus the same share of noise;
- hidden: ``hidden_low`` of the future movies they rate 2 or less, and as many noise movies as they opened, never
  rated, by popularity; a hidden movie is neither opened nor watchlisted.
Two scenarios: "plain" (2 clicks in 3 are of movies the person goes on to rate) and "sparse and noisy" (half the
rates, four times the noise: 1 in 3). These assumptions drive the gains: what the bench measures is how much of
what such signals say the training keeps, and which weights keep it.

Measured as the site serves: the site's list (``recsys.trainers.ranked_trainer``, the rating model, the ranking
model and the list's signals, as the retrain trains them), through ``recsys.evaluation.evaluation_measure``:
NDCG@10 and recall@10 of each user's future movies rated 4 or more. The site's list leaves out watchlisted and
hidden movies (recommender.services.recommendations), so they are neither candidates nor relevant here either;
opened ones stay, as on the site. "beyond the clicks" leaves the opened movies out too: does the list get better
at the future movies that the signals did not name? The baseline is the same list trained without the signals,
in the same run, on the same split.

The weights are chosen on validation: each user's last 20% of the training part by time is that split's future,
with plain signals drawn from it the same way (another draw), never from the test users' future. They are chosen
on NDCG@10 beyond the clicks: as shown, the list's NDCG only grows with the click weight, since the heavier the
clicks weigh, the more the list becomes the movies clicked, which in this simulation people rate next by
construction; the row of those weights is on the test table, as a variant that lost. Torch and BLAS on one thread
each, the ranking model's 30 epochs as shipped; 6.5 minutes on two busy cores.

    .venv/bin/python bench/implicit_feedback.py [--quick]
"""

import argparse
import itertools
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import torch
from common import SEED
from movielens import movielens_100k
from threadpoolctl import threadpool_limits

from recsys.evaluation import evaluation_measure
from recsys.implicit_feedback import Signal, signals_empty
from recsys.params import RankingParams, RatingParams
from recsys.splits import split_by_time
from recsys.trainers import ranked_trainer

CLICK_WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)
WATCHLIST_WEIGHTS = (0.0, 0.5, 1.0, 2.0, 4.0)
BASELINE = "without implicit feedback (baseline)"
OTHER_SEED = 7


@dataclass(frozen=True)
class Behaviour:
    """How the simulated people act before the retrain (the module's docstring)."""

    opened_liked: float = 0.3
    opened_other: float = 0.15
    watchlist_liked: float = 0.15
    watchlist_other: float = 0.05
    hidden_low: float = 0.2
    noise: float = 0.5

    def sparser(self) -> "Behaviour":
        return Behaviour(
            opened_liked=self.opened_liked / 2,
            opened_other=self.opened_other / 2,
            watchlist_liked=self.watchlist_liked / 2,
            watchlist_other=self.watchlist_other / 2,
            hidden_low=self.hidden_low / 2,
            noise=self.noise * 4,
        )


def signals_simulate(
    *, known: pd.DataFrame, everything: pd.DataFrame, future: pd.DataFrame, behaviour: Behaviour, seed: int
) -> pd.DataFrame:
    """The signals (user, movie, signal) of each user of ``future`` before it, drawn per the behaviour; noise from
    the movies of ``known`` (the training part) that the user rates nowhere in ``everything``, by their number of
    ratings in ``known``."""
    rng = np.random.default_rng(seed)
    movies = np.unique(known["movie"].to_numpy())
    popularity = known["movie"].value_counts().reindex(movies).to_numpy(np.float64)
    rated_by = everything.groupby("user")["movie"].agg(set)
    rows: list[tuple[int, int, str]] = []
    for user, mine in future.groupby("user"):
        liked = mine["rating"].to_numpy() >= 4
        low = mine["rating"].to_numpy() <= 2
        ids = mine["movie"].to_numpy()
        opened = ids[rng.random(len(ids)) < np.where(liked, behaviour.opened_liked, behaviour.opened_other)]
        listed = ids[rng.random(len(ids)) < np.where(liked, behaviour.watchlist_liked, behaviour.watchlist_other)]
        hidden = ids[low & (rng.random(len(ids)) < behaviour.hidden_low)]
        never = ~np.isin(movies, list(rated_by[user]))
        noise = _noise_draw(rng=rng, movies=movies, weights=popularity * never)

        opened = np.r_[opened, noise(round(behaviour.noise * len(opened)))]
        listed = np.r_[listed, noise(round(behaviour.noise * len(listed)))]
        hidden = np.r_[hidden, noise(len(opened))]
        rows += [(int(user), int(m), Signal.OPENED) for m in np.setdiff1d(opened, hidden)]
        rows += [(int(user), int(m), Signal.WATCHLISTED) for m in np.setdiff1d(listed, hidden)]
        rows += [(int(user), int(m), Signal.HIDDEN) for m in np.unique(hidden)]
    if not rows:
        return signals_empty()
    return pd.DataFrame(rows, columns=["user", "movie", "signal"]).astype({"user": "int64", "movie": "int64"})


def _noise_draw(*, rng: np.random.Generator, movies: np.ndarray, weights: np.ndarray) -> Callable[[int], np.ndarray]:
    """Draws of n distinct movies, each as likely as its weight (0: never)."""

    def draw(n: int) -> np.ndarray:
        n = min(n, int((weights > 0).sum()))
        return rng.choice(movies, size=n, replace=False, p=weights / weights.sum()) if n else movies[:0]

    return draw


def _seen(train: pd.DataFrame, signals: pd.DataFrame, which: set[Signal]) -> tuple[pd.DataFrame, set]:
    """The training ratings plus the signals ``which`` as if rated (so that they are no candidates), and their
    pairs (so that they are no relevant movies)."""
    marked = signals[signals["signal"].isin(which) & signals["movie"].isin(train["movie"])]
    pairs = set(zip(marked["user"], marked["movie"], strict=True))
    as_rated = marked[["user", "movie"]].assign(rating=0.0, timestamp=0)
    return pd.concat([train[["user", "movie", "rating", "timestamp"]], as_rated], ignore_index=True), pairs


def measure(
    *,
    train: pd.DataFrame,
    future: pd.DataFrame,
    signals: pd.DataFrame,
    params: RankingParams,
    genres: dict,
    seed: int = SEED,
) -> dict[str, float]:
    """NDCG@10 and recall@10 of the site's list trained with ``params`` (and ``seed``) on ``train`` and ``signals``:
    as the site shows it, and beyond the clicks."""
    started = time.perf_counter()
    trainer = ranked_trainer(params=RatingParams(seed=seed), ranking_params=params, genres=genres, implicit=signals)
    recommender = trainer(train)
    figures = {"seconds": 0.0}
    marks = {Signal.WATCHLISTED, Signal.HIDDEN}
    for name, which in (("site", marks), ("beyond", marks | {Signal.OPENED})):
        seen, pairs = _seen(train, signals, which)
        keep = [(u, m) not in pairs for u, m in zip(future["user"], future["movie"], strict=True)]
        metrics = evaluation_measure(train=seen, test=future[keep], recommender=recommender).metrics
        figures[f"{name} ndcg"], figures[f"{name} recall"] = metrics["ndcg@10"], metrics["recall@10"]
    figures["seconds"] = time.perf_counter() - started
    return figures


def weights_choose(
    *, train: pd.DataFrame, everything: pd.DataFrame, genres: dict, quick: bool
) -> tuple[RankingParams, RankingParams, list[str]]:
    """On validation: the click and watchlist weights of the best NDCG@10 beyond the clicks (chosen), those of the
    best NDCG@10 as the site shows the list (which lost), and the table of all."""
    validation = split_by_time(train)
    signals = signals_simulate(
        known=validation.train, everything=everything, future=validation.test, behaviour=Behaviour(), seed=SEED + 1
    )
    grid = [(0.0, 0.0), (0.5, 0.5), (1.0, 1.0)] if quick else list(itertools.product(CLICK_WEIGHTS, WATCHLIST_WEIGHTS))
    lines = [
        f"### validation: each user's last 20% of the training part ({len(validation.test)} ratings), plain signals "
        f"({_signal_counts(signals)})",
        "",
        "| click weight | watchlist weight | NDCG@10 | R@10 | x without | NDCG@10 beyond the clicks | x without |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    results = {}
    for click, watchlist in grid:
        params = RankingParams(click_weight=click, watchlist_weight=watchlist)
        results[click, watchlist] = measure(
            train=validation.train, future=validation.test, signals=signals, params=params, genres=genres
        )
        print(f"  validation {click} / {watchlist}: {results[click, watchlist]}", file=sys.stderr, flush=True)
    base = results[0.0, 0.0]
    for (click, watchlist), m in results.items():
        lines.append(
            f"| {click:g} | {watchlist:g} | {m['site ndcg']:.4f} | {m['site recall']:.4f} "
            f"| {m['site ndcg'] / base['site ndcg']:.2f} | {m['beyond ndcg']:.4f} "
            f"| {m['beyond ndcg'] / base['beyond ndcg']:.2f} |"
        )
    best = max(results, key=lambda weights: results[weights]["beyond ndcg"])
    echo = max(results, key=lambda weights: results[weights]["site ndcg"])
    lines += [
        "",
        f"chosen (best NDCG@10 beyond the clicks): click weight {best[0]:g}, watchlist weight {best[1]:g}; "
        f"best NDCG@10 as shown: {echo[0]:g} / {echo[1]:g}",
        "",
    ]
    chosen = RankingParams(click_weight=best[0], watchlist_weight=best[1])
    return chosen, RankingParams(click_weight=echo[0], watchlist_weight=echo[1]), lines


def _signal_counts(signals: pd.DataFrame) -> str:
    counts = signals["signal"].value_counts()
    return ", ".join(f"{int(counts.get(s, 0))} {s}" for s in Signal)


def test_table(
    *,
    train: pd.DataFrame,
    future: pd.DataFrame,
    everything: pd.DataFrame,
    chosen: RankingParams,
    echo: RankingParams,
    genres: dict,
) -> list[str]:
    """On the test users' future: without, with the chosen weights, and the variants that lost, per scenario."""
    without = replace(chosen, click_weight=0.0, watchlist_weight=0.0)
    variants = {
        BASELINE: (without, SEED),
        f"without, training seed {OTHER_SEED} (how far seeds alone move it)": (without, OTHER_SEED),
        f"chosen weights ({chosen.click_weight:g} / {chosen.watchlist_weight:g})": (chosen, SEED),
        f"weights of the best NDCG as shown ({echo.click_weight:g} / {echo.watchlist_weight:g})": (echo, SEED),
        "clicks only": (replace(chosen, watchlist_weight=0.0), SEED),
        "watchlist only": (replace(chosen, click_weight=0.0), SEED),
        "both weights halved": (
            replace(chosen, click_weight=chosen.click_weight / 2, watchlist_weight=chosen.watchlist_weight / 2),
            SEED,
        ),
        "both weights doubled": (
            replace(chosen, click_weight=2 * chosen.click_weight, watchlist_weight=2 * chosen.watchlist_weight),
            SEED,
        ),
    }
    lines = []
    for scenario, behaviour in (("plain", Behaviour()), ("sparse and noisy", Behaviour().sparser())):
        signals = signals_simulate(known=train, everything=everything, future=future, behaviour=behaviour, seed=SEED)
        lines += [
            f"### test: each user's last 20% by time, {scenario} signals ({_signal_counts(signals)})",
            "",
            "| variant | NDCG@10 | R@10 | x without | NDCG@10 beyond the clicks | x without | train + measure s |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        rows = {}
        for label, (params, seed) in variants.items():
            rows[label] = measure(train=train, future=future, signals=signals, params=params, genres=genres, seed=seed)
            print(f"  test {scenario} {label}: {rows[label]}", file=sys.stderr, flush=True)
        base = rows[BASELINE]
        for label, m in rows.items():
            lines.append(
                f"| {label} | {m['site ndcg']:.4f} | {m['site recall']:.4f} | {m['site ndcg'] / base['site ndcg']:.2f} "
                f"| {m['beyond ndcg']:.4f} | {m['beyond ndcg'] / base['beyond ndcg']:.2f} | {m['seconds']:.0f} |"
            )
        lines.append("")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="two points of the validation grid")
    args = parser.parse_args()
    threadpool_limits(limits=1)
    torch.set_num_threads(1)
    movielens = movielens_100k()
    genres = movielens.movies["genres"].to_dict()
    split = split_by_time(movielens.ratings)
    started = time.perf_counter()
    everything = movielens.ratings
    chosen, echo, lines = weights_choose(train=split.train, everything=everything, genres=genres, quick=args.quick)
    print("\n".join(lines), flush=True)
    table = test_table(
        train=split.train, future=split.test, everything=everything, chosen=chosen, echo=echo, genres=genres
    )
    print("\n".join(table), flush=True)
    print(f"whole run {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
