"""Implicit feedback in the ranking model's targets: clicks and watchlist adds weigh in, hidden movies never do,
ratings keep their own weight, and with both weights 0 the training data is what it was without any signal."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from recsys.implicit_feedback import (
    MISSING_SIGNAL_COLUMNS,
    NEGATIVE_WEIGHT,
    UNKNOWN_SIGNALS,
    Signal,
    implicit_targets,
    signals_empty,
    signals_unrated,
)
from recsys.params import RankingParams
from recsys.ranking_model import ranking_weights, rating_ages
from recsys.train_ranking import ranking_learner, ranking_train
from tests.recsys.test_train_ranking import GROUP_A, GROUP_B, PARAMS, two_tastes

WEIGHTS = RankingParams(click_weight=0.4, watchlist_weight=0.7)


def signals(*rows: tuple[int, int, Signal]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=["user", "movie", "signal"]).astype({"user": "int64", "movie": "int64"})


def targets_of(ratings: pd.DataFrame, params: RankingParams, implicit: pd.DataFrame | None) -> dict:
    """{(user id, movie id): weight} of the softmax targets that training would learn from."""
    learner, user_ids, movie_ids = ranking_learner(ratings=ratings, params=params, implicit=implicit)
    targets = learner.loss_func.targets
    users = np.repeat(np.arange(len(user_ids)), targets.lengths.numpy())
    return {
        (int(user_ids[u]), int(movie_ids[m])): float(w)
        for u, m, w in zip(users, targets.movies.numpy(), targets.weights.numpy(), strict=True)
    }


def test_opened_and_watchlisted_movies_weigh_their_weights_once() -> None:
    """An opened movie weighs the click weight, a watchlisted one the watchlist weight, one both their sum; a movie
    opened from three lists is still one click."""
    users, movies, weights = implicit_targets(
        signals=signals(
            (1, 10, Signal.OPENED),
            (1, 10, Signal.OPENED),
            (1, 10, Signal.OPENED),
            (1, 11, Signal.WATCHLISTED),
            (2, 10, Signal.OPENED),
            (2, 10, Signal.WATCHLISTED),
        ),
        click_weight=0.4,
        watchlist_weight=0.7,
    )
    assert dict(zip(zip(users.tolist(), movies.tolist(), strict=True), weights.tolist(), strict=True)) == (
        pytest.approx({(1, 10): 0.4, (1, 11): 0.7, (2, 10): 1.1})
    )


def test_a_hidden_movie_never_becomes_a_target() -> None:
    """Hidden cancels a click and a watchlist add of the same movie, and is no target of its own."""
    users, _, _ = implicit_targets(
        signals=signals(
            (1, 10, Signal.OPENED),
            (1, 10, Signal.HIDDEN),
            (1, 11, Signal.WATCHLISTED),
            (1, 11, Signal.HIDDEN),
            (1, 12, Signal.HIDDEN),
        ),
        click_weight=1.0,
        watchlist_weight=1.0,
    )
    assert len(users) == 0


def test_a_clicked_movie_joins_the_targets_and_a_rated_one_keeps_its_ratings_weight() -> None:
    """A user's unrated clicked and watchlisted movies are added to their targets at their weights; a clicked movie
    they rated weighs what its rating does; every other target is unchanged."""
    ratings = two_tastes(n_users=10)
    mine = ratings[ratings.user == 2]
    unrated = sorted(set(GROUP_A) - set(mine.movie))
    rated = int(mine.movie.iloc[0])
    implicit = signals((2, unrated[0], Signal.OPENED), (2, unrated[1], Signal.WATCHLISTED), (2, rated, Signal.OPENED))
    before, after = targets_of(ratings, WEIGHTS, None), targets_of(ratings, WEIGHTS, implicit)
    assert (2, unrated[0]) not in before
    assert after[2, unrated[0]] == pytest.approx(WEIGHTS.click_weight)
    assert after[2, unrated[1]] == pytest.approx(WEIGHTS.watchlist_weight)
    assert {key: after[key] for key in before} == before
    assert len(after) == len(before) + 2
    expected = ranking_weights(
        scores=ratings.rating.to_numpy(), ages=rating_ages(ratings.user.to_numpy(), ratings.timestamp.to_numpy())
    )[(ratings.user == 2).to_numpy() & (ratings.movie == rated).to_numpy()]
    assert after[2, rated] == pytest.approx(float(expected[0]), rel=1e-6)


def test_signals_of_users_and_movies_without_ratings_are_ignored() -> None:
    """A user or a movie the ratings do not know has no row to learn: their signals change no target."""
    ratings = two_tastes(n_users=10)
    implicit = signals((999, GROUP_A[0], Signal.OPENED), (2, 12345, Signal.WATCHLISTED))
    assert targets_of(ratings, WEIGHTS, implicit) == targets_of(ratings, WEIGHTS, None)


def test_with_both_weights_0_the_training_data_is_todays() -> None:
    """Weights 0: whatever the signals, the targets are exactly those of the ratings alone (as before the signals)."""
    ratings = two_tastes(n_users=10)
    implicit = signals(
        (2, GROUP_A[0], Signal.OPENED), (3, GROUP_A[1], Signal.WATCHLISTED), (3, GROUP_B[0], Signal.HIDDEN)
    )
    off = RankingParams(click_weight=0.0, watchlist_weight=0.0)
    assert targets_of(ratings, off, implicit) == targets_of(ratings, off, None)
    assert targets_of(ratings, off, signals_empty()) == targets_of(ratings, off, None)


def test_clicks_move_a_users_list_toward_what_they_clicked() -> None:
    """A group-A user who opened four of group B's movies scores group B's others higher, against the group-A movies
    they have not rated, than without the clicks."""
    ratings = two_tastes(n_users=30)
    user = 2  # even: group A
    unrated_a = sorted(set(GROUP_A) - set(ratings[ratings.user == user].movie))
    implicit = signals(*((user, movie, Signal.OPENED) for movie in GROUP_B[:4]))
    params = replace(PARAMS, click_weight=1.0)

    def lead_of_group_b(model) -> float:
        user_scores = model.scores(model.user_factors[model.user_ids == user][0])
        scores = dict(zip(model.movie_ids.tolist(), user_scores.tolist(), strict=True))
        return float(np.mean([scores[m] for m in GROUP_B[4:]]) - np.mean([scores[m] for m in unrated_a]))

    plain = lead_of_group_b(ranking_train(ratings=ratings, params=params, seed=0))
    clicked = lead_of_group_b(ranking_train(ratings=ratings, params=params, seed=0, implicit=implicit))
    assert clicked > plain + 1.0


def test_signals_of_rated_pairs_are_dropped_before_training() -> None:
    """A pair rated anywhere in the ratings loses its signals (the retrain's held-out ratings included); hidden
    rows of unrated movies stay, to cancel the clicks they go with."""
    ratings = pd.DataFrame({"user": [1, 1], "movie": [10, 11], "rating": [4.0, 2.0], "timestamp": [1, 2]})
    implicit = signals((1, 10, Signal.OPENED), (1, 12, Signal.OPENED), (1, 12, Signal.HIDDEN), (2, 10, Signal.OPENED))
    kept = signals_unrated(signals=implicit, ratings=ratings)
    assert list(zip(kept.user, kept.movie, kept.signal, strict=True)) == [
        (1, 12, Signal.OPENED),
        (1, 12, Signal.HIDDEN),
        (2, 10, Signal.OPENED),
    ]


def test_bad_signals_and_weights_are_refused() -> None:
    """A missing column, an unknown signal and a negative weight are refused, each with a message saying so."""
    with pytest.raises(ValueError, match=MISSING_SIGNAL_COLUMNS.format(missing="signal")):
        implicit_targets(signals=pd.DataFrame({"user": [1], "movie": [1]}), click_weight=1.0, watchlist_weight=1.0)
    with pytest.raises(ValueError, match=UNKNOWN_SIGNALS.split("{")[0]):
        implicit_targets(signals=signals((1, 1, "liked")), click_weight=1.0, watchlist_weight=1.0)
    with pytest.raises(ValueError, match=NEGATIVE_WEIGHT.split("(")[0]):
        implicit_targets(signals=signals((1, 1, Signal.OPENED)), click_weight=-0.5, watchlist_weight=1.0)
