"""What people did besides rating, read for the ranking model's training (recsys.implicit_feedback): the movies they
opened from a list shown to them (feedback's follow-ups, for as long as those are kept) and the marks they have now
(a watchlist entry or a hidden movie that was undone says nothing any more).

Every person's signals are read; the training keeps those of the users and movies that its ratings know.
"""

import hashlib
from typing import TYPE_CHECKING

import numpy as np

from feedback.models import Action, FollowUp
from ratings.models import Mark, MovieMark
from recsys.implicit_feedback import Signal

if TYPE_CHECKING:
    import pandas as pd

MARK_SIGNALS = {Mark.WATCHLIST: Signal.WATCHLISTED, Mark.HIDDEN: Signal.HIDDEN}
READ_CHUNK = 50_000


def training_signals_frame() -> "pd.DataFrame":
    """One row per (user, movie, signal): user and movie pks, ``signal`` a recsys Signal's value; opened rows once
    per movie however many lists it was opened from; ordered by user, movie and signal."""
    import pandas as pd  # the retrain's read, as ratings_frame: the web process never pays for pandas

    opened = (
        FollowUp.objects.filter(action=Action.OPENED)
        .order_by()
        .values_list("user_id", "movie_id")
        .distinct()
        .iterator(chunk_size=READ_CHUNK)
    )
    marks = MovieMark.objects.order_by().values_list("user_id", "movie_id", "mark").iterator(chunk_size=READ_CHUNK)
    rows = [(user, movie, Signal.OPENED.value) for user, movie in opened]
    rows += [(user, movie, MARK_SIGNALS[Mark(mark)].value) for user, movie, mark in marks]
    frame = pd.DataFrame(rows, columns=["user", "movie", "signal"]).astype({"user": "int64", "movie": "int64"})
    return frame.sort_values(["user", "movie", "signal"], ignore_index=True)


def training_fingerprint(*, ratings_fingerprint: str, signals: "pd.DataFrame") -> str:
    """The ratings' fingerprint when there is no signal (so a site that logged none keeps its versions' ones), else
    a SHA-256 over it and the sorted signals: a new click or mark is new training data, which the nightly retrain
    must not skip."""
    if signals.empty:
        return ratings_fingerprint
    ordered = signals.sort_values(["user", "movie", "signal"], kind="stable")
    digest = hashlib.sha256(ratings_fingerprint.encode())
    digest.update(np.ascontiguousarray(ordered["user"].to_numpy(), dtype="<i8").tobytes())
    digest.update(np.ascontiguousarray(ordered["movie"].to_numpy(), dtype="<i8").tobytes())
    digest.update("\n".join(ordered["signal"].astype(str)).encode())
    return digest.hexdigest()
