"""What people did besides rating, as the ranking model learns from it: per (user, movie), opened from a list, put
on the watchlist, hidden ("not interested"); and the softmax targets that these add to the ratings'.

A rating says more than a click: a rated movie keeps its rating's weight whatever else was done with it, and the
signals speak only for movies the user has not rated. An opened or watchlisted movie becomes a target weighing
``click_weight`` and ``watchlist_weight`` (both: the sum), with no recency discount (the signals are the latest
thing a person did). A hidden movie is never a target. It pushes nothing down either: the softmax's likelihood
only has positive targets (a negative weight makes it unbounded below), and the site's list already counts a
hidden movie as a dislike when it is served (recommender.services.recommendations).
"""

from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

SIGNAL_COLUMNS = ("user", "movie", "signal")

MISSING_SIGNAL_COLUMNS = "implicit signals need the columns user, movie and signal; missing: {missing}"
UNKNOWN_SIGNALS = "unknown implicit signals {unknown}: known are {known}"
NEGATIVE_WEIGHT = "implicit weights must be 0 or more (a negative softmax target is unbounded below); got {weights}"


class Signal(StrEnum):
    OPENED = "opened"  # opened the movie's page from a list shown to them
    WATCHLISTED = "watchlisted"  # on their watchlist
    HIDDEN = "hidden"  # marked not interested


def signals_empty() -> "pd.DataFrame":
    """A signals frame without a row (the retrain of a site that has logged nothing)."""
    import pandas as pd

    return pd.DataFrame({"user": np.empty(0, np.int64), "movie": np.empty(0, np.int64), "signal": []})


def signals_check(signals: "pd.DataFrame") -> None:
    """ValueError naming what is wrong when ``signals`` lacks a column or names a signal that does not exist."""
    missing = set(SIGNAL_COLUMNS) - set(signals.columns)
    if missing:
        raise ValueError(MISSING_SIGNAL_COLUMNS.format(missing=", ".join(sorted(missing))))
    unknown = set(signals["signal"].unique()) - set(Signal)
    if unknown:
        raise ValueError(UNKNOWN_SIGNALS.format(unknown=sorted(map(str, unknown)), known=", ".join(Signal)))


def signals_unrated(*, signals: "pd.DataFrame", ratings: "pd.DataFrame") -> "pd.DataFrame":
    """The signals of the (user, movie) pairs that ``ratings`` does not hold.

    The retrain applies this with every rating before it holds some out, so that a movie clicked and then rated
    never enters training through its click while its rating is what the version is validated on.
    """
    signals_check(signals)
    if signals.empty:  # np.isin would still sort every rating's key: seconds at 25M
        return signals
    rated = _pair_keys(ratings["user"].to_numpy(np.int64), ratings["movie"].to_numpy(np.int64))
    keys = _pair_keys(signals["user"].to_numpy(np.int64), signals["movie"].to_numpy(np.int64))
    return signals[~np.isin(keys, rated)]


def implicit_targets(
    *, signals: "pd.DataFrame", click_weight: float, watchlist_weight: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(users, movies, weights): one target per (user, movie) opened or watchlisted and never hidden, of weight
    ``click_weight`` if opened plus ``watchlist_weight`` if watchlisted; pairs that weigh 0 are left out, so with
    both weights 0 there is none. Rated pairs are the caller's to drop first (``signals_unrated``)."""
    signals_check(signals)
    if click_weight < 0 or watchlist_weight < 0:
        raise ValueError(NEGATIVE_WEIGHT.format(weights=(click_weight, watchlist_weight)))
    users = signals["user"].to_numpy(np.int64)
    movies = signals["movie"].to_numpy(np.int64)
    kinds = signals["signal"].to_numpy()
    keys, pair_rows = np.unique(_pair_keys(users, movies), return_inverse=True)
    n_pairs = len(keys)

    def done(signal: Signal) -> np.ndarray:
        return np.bincount(pair_rows[kinds == signal], minlength=n_pairs) > 0

    # Many lists can show the same movie: a movie opened from five of them is still one click.
    weights = click_weight * done(Signal.OPENED) + watchlist_weight * done(Signal.WATCHLISTED)
    keep = (weights > 0) & ~done(Signal.HIDDEN)
    first = np.unique(pair_rows, return_index=True)[1]  # a row of each pair, in the order of ``keys``
    return users[first][keep], movies[first][keep], weights[keep].astype(np.float64)


def _pair_keys(users: np.ndarray, movies: np.ndarray) -> np.ndarray:
    # One int64 per pair; ids are database pks or MovieLens ids, far below 2**31.
    return users.astype(np.int64) << 32 | movies.astype(np.int64)
