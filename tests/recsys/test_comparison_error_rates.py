"""The comparison's error rates, with simulated users looked at after every one of them: equally good versions
are rarely called different, and a truly better version wins within a bounded number of users."""

import math

import numpy as np

from recsys.comparison import SequentialParams, Verdict, comparison_stop
from recsys.simulated_users import interleaved_preferences, simulated_lists, synthetic_taste

PARAMS = SequentialParams()
RUNS = 200
WINNERS = (Verdict.A_WINS, Verdict.B_WINS)


def binomial_upper(*, n: int, p: float, tail: float = 0.001) -> int:
    """The smallest c with P(X > c) <= tail for X ~ Binomial(n, p): were the rule's false-positive rate alpha,
    more than c false positives in n runs would come by chance at most once in a thousand."""
    cumulative = 0.0
    for c in range(n + 1):
        cumulative += math.comb(n, c) * p**c * (1 - p) ** (n - c)
        if 1 - cumulative <= tail:
            return c
    return n


def false_positives(preferences: np.ndarray) -> int:
    """Runs (rows of preferences) in which the test, looked at after every user, ever named a winner."""
    return sum(comparison_stop(preferences=row, params=PARAMS).verdict in WINNERS for row in preferences)


def test_the_binomial_tolerance_is_about_twice_the_expected_count() -> None:
    """At alpha 0.05 over 200 runs the tolerance is 21 false positives, against 10 expected at alpha itself."""
    assert binomial_upper(n=RUNS, p=PARAMS.alpha) == 21


def test_without_a_difference_the_continuously_watched_test_rarely_names_a_winner() -> None:
    """200 runs of 3000 users who prefer A or B at even odds (a third tied), the test read after every user and
    with no futility stop to end it early: no more runs name a winner than the binomial allows at alpha."""
    rng = np.random.default_rng(0)
    preferences = rng.choice([1, -1, 0], size=(RUNS, 3000))
    params = SequentialParams(margin=None)
    named = sum(comparison_stop(preferences=row, params=params).verdict in WINNERS for row in preferences)
    assert named <= binomial_upper(n=RUNS, p=PARAMS.alpha)


def test_with_versions_of_the_same_error_interleaving_rarely_names_a_winner() -> None:
    """Simulated people shown two versions' lists of the same quality (each a draw of the true ranking plus the same
    noise, so that they differ and overlap): over 200 runs of 500 people, by clicks and by likes, no more runs name
    a winner than the binomial allows at alpha."""
    taste = synthetic_taste(users=500, movies=400, seed=1)
    rng = np.random.default_rng(2)
    rows = rng.integers(0, len(taste.user_ids), RUNS * 500)
    lists_a = simulated_lists(taste=taste, user_rows=rows, k=10, noise=0.5, rng=rng)
    lists_b = simulated_lists(taste=taste, user_rows=rows, k=10, noise=0.5, rng=rng)
    assert (lists_a != lists_b).any(axis=1).mean() > 0.9
    preferences = interleaved_preferences(taste=taste, user_rows=rows, lists_a=lists_a, lists_b=lists_b, k=10, rng=rng)
    limit = binomial_upper(n=RUNS, p=PARAMS.alpha)
    assert false_positives(preferences.clicks.reshape(RUNS, 500)) <= limit
    assert false_positives(preferences.likes.reshape(RUNS, 500)) <= limit


def test_a_truly_better_version_wins_within_a_bounded_number_of_users() -> None:
    """A version whose ranking errs by 0.3 stars against one that errs by 1 star (its top 10 about 0.45 stars
    worse): in each of 20 runs the test stops for the better one, by clicks and by likes, within 2000 users. These
    seeds stop after 130 to 1300 users (likes need fewer than clicks); the rest of the 2000 is the room that the
    slow tail of other seeds would need."""
    taste = synthetic_taste(users=500, movies=400, seed=1)
    rng = np.random.default_rng(3)
    runs, users = 20, 2000
    rows = rng.integers(0, len(taste.user_ids), runs * users)
    lists_a = simulated_lists(taste=taste, user_rows=rows, k=10, noise=0.3, rng=rng)
    lists_b = simulated_lists(taste=taste, user_rows=rows, k=10, noise=1.0, rng=rng)
    preferences = interleaved_preferences(taste=taste, user_rows=rows, lists_a=lists_a, lists_b=lists_b, k=10, rng=rng)
    for signal in (preferences.clicks, preferences.likes):
        for row in signal.reshape(runs, users):
            assert comparison_stop(preferences=row, params=PARAMS).verdict == Verdict.A_WINS
