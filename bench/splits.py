"""The two splits of ``manage.py benchmark`` (random 80/20 with seed 42; each user's last 20% by time), without Django.

The same code as ``insights.benchmark.split_random`` and ``split_by_time``, which cannot be imported without
Django (that module reads MovieLens through the site's importer). They belong in ``recsys.evaluation``, beside
the protocol; once there, this module goes and the benches import them from it.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from common import SEED

TEST_SHARE = 0.2


@dataclass(frozen=True)
class Split:
    train: pd.DataFrame
    test: pd.DataFrame


def split_random(ratings: pd.DataFrame, *, seed: int = SEED, test_share: float = TEST_SHARE) -> Split:
    order = np.random.default_rng(seed).permutation(len(ratings))
    n_test = round(len(ratings) * test_share)
    return Split(train=ratings.iloc[order[n_test:]], test=ratings.iloc[order[:n_test]])


def split_by_time(ratings: pd.DataFrame, *, test_share: float = TEST_SHARE) -> Split:
    """Each user's last ``test_share`` of ratings by time (ties broken by movie id) go to the test set."""
    ordered = ratings.sort_values(["user", "timestamp", "movie"], kind="stable")
    position = ordered.groupby("user").cumcount()
    count = ordered.groupby("user")["movie"].transform("size")
    is_test = position >= count - np.floor(count * test_share).astype(int)
    return Split(train=ordered[~is_test], test=ordered[is_test])
