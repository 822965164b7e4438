"""bench/online.py's references: the offline ranking of the two lists, each list's true quality for the simulated
people, and the people until a verdict on streams resampled from those the site saw.

- Offline ranking: the project's new-user protocol (bench/taste.py, goal 3): HELD_OUT MovieLens users with at
  least 40 ratings held out of a training as the retrain trains (``recsys.trainers.models_train``), each placed
  from their first ``given`` ratings by time; NDCG@10 and recall@10 of the list against their later ratings of 4 or
  more (``recsys.metrics.ranking_metrics``). Both lists are served from the same trained models, with each one's
  ``ListParams``.
- Resampled streams: people drawn with replacement from those measured on the site, judged by the site's test
  (``recsys.comparison``, looked at after every person), for interleaving (each person's preference) and for an A/B
  split (pairs of one person who saw A's list alone and one who saw B's, as bench/interleaving_power.py pairs them).
"""

from collections.abc import Callable
from dataclasses import replace

import numpy as np
from movielens import MovieLens
from taste_lists import FittedSite, SiteList
from taste_people import Person, first_ratings, person_of, user_pools, users_draw

from recsys.comparison import SequentialParams, Stop, comparison_stop
from recsys.metrics import ranking_metrics
from recsys.params import ListParams
from recsys.rating_model import FactorModel
from recsys.simulated_users import true_ratings

HELD_OUT = 150
K = 10
SIGNALS = ("clicks", "likes")
TEST = SequentialParams()  # the site's (recommender.comparison_results: recsys.comparison's defaults)


def offline_ranking(
    *, movielens: MovieLens, lists: dict[str, ListParams], given: int, seed: int
) -> dict[str, dict[str, float]]:
    """{list: {"ndcg@10": ..., "recall@10": ...}} on HELD_OUT held-out users placed from their first ``given``
    ratings, both lists served from one training on the other users."""
    ratings = movielens.ratings
    test_pool, _ = user_pools(ratings=ratings)
    held_out = users_draw(pool=test_pool, n=HELD_OUT, seed=seed)
    train = ratings[~ratings["user"].isin(held_out)]
    fitted = SiteList(genres=movielens.movies["genres"].to_dict()).fit(train=train)
    people = [
        first_ratings(person_of(group), n=given) for _, group in ratings[ratings["user"].isin(held_out)].groupby("user")
    ]
    figures = {}
    for name, params in lists.items():
        site = FittedSite(model=replace(fitted.model, list_params=params))
        top = {i: site.page(person=person, limit=K).movies.tolist() for i, (person, _) in enumerate(people)}
        relevant = {i: later for i, (_, later) in enumerate(people)}
        measured = ranking_metrics(top_k=top, relevant=relevant, k=K)
        figures[name] = {f"ndcg@{K}": measured[f"ndcg@{K}"], f"recall@{K}": measured[f"recall@{K}"]}
    return figures


def true_quality(*, taste: FactorModel, sites: dict[str, FittedSite], people: list[tuple[int, Person]]) -> dict:
    """{list: the mean true rating of its top 10} for ``people`` (taste row, their ratings as the site holds them)."""
    found = {}
    for name, site in sites.items():
        lists = np.array([site.page(person=person, limit=K).movies for _, person in people])
        rows = np.array([row for row, _ in people])
        found[name] = float(true_ratings(taste=taste, user_rows=rows, movie_ids=lists).mean())
    return found


def resampled_stops(
    *, sequence: Callable[[np.random.Generator, int], np.ndarray], users_each: int, runs: int, length: int, seed: int
) -> list[Stop]:
    """Where the test stops on ``runs`` streams of people resampled from those measured: ``sequence(rng, n)`` draws
    ``n`` preferences (+1 A, -1 B, 0 tied); each preference is ``users_each`` people (2 for an A/B pair)."""
    rng = np.random.default_rng(seed)
    stops = []
    for _ in range(runs):
        stop = comparison_stop(preferences=sequence(rng, length), params=TEST)
        stops.append(replace(stop, users=stop.users * users_each))
    return stops


def _resampled(rng: np.random.Generator, measured: np.ndarray) -> np.ndarray:
    """As many people as were measured, drawn with replacement: each stream its own sample, so that the spread of
    the users until a verdict holds the uncertainty of having measured so few."""
    return rng.choice(measured, size=len(measured))


def interleaving_sequence(preferences: np.ndarray) -> Callable[[np.random.Generator, int], np.ndarray]:
    """People drawn with replacement from the comparison's, each with their preference."""
    return lambda rng, n: rng.choice(_resampled(rng, preferences), size=n)


def split_sequence(hits_a: np.ndarray, hits_b: np.ndarray) -> Callable[[np.random.Generator, int], np.ndarray]:
    """Pairs of one person drawn from those who saw A's list alone and one from B's: the one with more hits (movies
    opened, or liked) from their lists prefers their version; as many, a tie (the sign test on pairs)."""

    def pairs(rng: np.random.Generator, n: int) -> np.ndarray:
        a, b = _resampled(rng, hits_a), _resampled(rng, hits_b)
        return np.sign(rng.choice(a, size=n) - rng.choice(b, size=n)).astype(np.int8)

    return pairs


def split_share(hits_a: np.ndarray, hits_b: np.ndarray) -> tuple[float, float]:
    """Over every pair of a person of A and one of B: the share of untied pairs won by A, and the share tied."""
    signs = np.sign(hits_a[:, None] - hits_b[None, :])
    return float((signs > 0).sum() / max((signs != 0).sum(), 1)), float((signs == 0).mean())
