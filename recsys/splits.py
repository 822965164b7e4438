"""The standard benchmark's two splits: a random 80/20 of the ratings (seed 42), each user's last 20% by time."""

from dataclasses import dataclass

import numpy as np
import pandas as pd

SEED = 42
TEST_SHARE = 0.2


@dataclass(frozen=True)
class Split:
    name: str
    train: pd.DataFrame
    test: pd.DataFrame


def split_random(ratings: pd.DataFrame, *, seed: int = SEED, test_share: float = TEST_SHARE) -> Split:
    order = np.random.default_rng(seed).permutation(len(ratings))
    n_test = round(len(ratings) * test_share)
    test, train = ratings.iloc[order[:n_test]], ratings.iloc[order[n_test:]]
    return Split(name=f"random {1 - test_share:.0%}/{test_share:.0%} (seed {seed})", train=train, test=test)


def split_by_time(ratings: pd.DataFrame, *, test_share: float = TEST_SHARE) -> Split:
    """Each user's last ``test_share`` of ratings by time (ties broken by movie id) go to the test set."""
    ordered = ratings.sort_values(["user", "timestamp", "movie"], kind="stable")
    position = ordered.groupby("user").cumcount()
    count = ordered.groupby("user")["movie"].transform("size")
    is_test = position >= count - np.floor(count * test_share).astype(int)
    return Split(name=f"per-user time, last {test_share:.0%}", train=ordered[~is_test], test=ordered[is_test])
