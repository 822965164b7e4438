"""The comparison's statistics: the share preferring A, its always-valid interval, and the verdict that reads it."""

import math

import numpy as np
import pytest

from recsys.comparison import (
    ALPHA_OUT_OF_RANGE,
    COUNT_NEGATIVE,
    MARGIN_OUT_OF_RANGE,
    PREFERENCES_NOT_SIGNS,
    PRIOR_NOT_POSITIVE,
    SequentialParams,
    Verdict,
    comparison_stop,
    comparison_summary,
)

PARAMS = SequentialParams()


def log_ratio(a: int, b: int, p0: float, params: SequentialParams = PARAMS) -> float:
    """The mixture's likelihood ratio against p0, written out from the module's formula with lgamma."""
    x = params.prior
    log_beta = math.lgamma(x + a) + math.lgamma(x + b) - math.lgamma(2 * x + a + b)
    log_beta_prior = 2 * math.lgamma(x) - math.lgamma(2 * x)
    return log_beta - log_beta_prior - a * math.log(p0) - b * math.log(1 - p0)


@pytest.mark.parametrize(("a", "b"), [(3, 1), (30, 10), (60, 40), (600, 400), (1000, 1000), (7, 0), (0, 12)])
def test_the_interval_is_where_the_ratio_stays_below_one_over_alpha(a: int, b: int) -> None:
    """The interval holds the share; at its inner edges the ratio is 1/alpha, inside below, outside above."""
    summary = comparison_summary(prefer_a=a, prefer_b=b)
    low, high = summary.interval
    assert summary.share_a == a / (a + b)
    assert low <= summary.share_a <= high
    threshold = -math.log(PARAMS.alpha)
    for edge, outward in ((low, -1e-6), (high, 1e-6)):
        if 0.0 < edge < 1.0:
            assert log_ratio(a, b, edge) == pytest.approx(threshold, abs=1e-6)
            assert log_ratio(a, b, edge + outward) > threshold
            assert log_ratio(a, b, edge - outward) < threshold


def test_the_interval_narrows_as_users_come() -> None:
    """At a share of 60%, ten times the users make a narrower interval around it."""
    widths = [
        np.subtract(*comparison_summary(prefer_a=6 * n, prefer_b=4 * n).interval[::-1]) for n in (1, 10, 100, 1000)
    ]
    assert widths == sorted(widths, reverse=True)
    assert widths[-1] < 0.05


def test_the_verdict_reads_the_interval() -> None:
    """Over a grid of counts: A wins exactly when the interval is above 1/2, B when below; no difference exactly
    when it is within the margin and names no winner; continue otherwise."""
    for a in range(0, 400, 7):
        for b in range(0, 400, 7):
            summary = comparison_summary(prefer_a=a, prefer_b=b)
            low, high = summary.interval
            if low > 0.5:
                expected = Verdict.A_WINS
            elif high < 0.5:
                expected = Verdict.B_WINS
            elif low > 0.5 - PARAMS.margin and high < 0.5 + PARAMS.margin:
                expected = Verdict.NO_DIFFERENCE
            else:
                expected = Verdict.CONTINUE
            assert summary.verdict == expected, (a, b, summary)


def test_clear_answers_and_unclear_ones() -> None:
    """600 against 400 is a win for A, 400 against 600 for B, 30 against 10 not yet; 1000 each is no difference,
    unless no margin is set; no one at all is a share of None and the whole interval."""
    assert comparison_summary(prefer_a=600, prefer_b=400).verdict == Verdict.A_WINS
    assert comparison_summary(prefer_a=400, prefer_b=600).verdict == Verdict.B_WINS
    assert comparison_summary(prefer_a=30, prefer_b=10).verdict == Verdict.CONTINUE
    assert comparison_summary(prefer_a=1000, prefer_b=1000).verdict == Verdict.NO_DIFFERENCE
    no_margin = SequentialParams(margin=None)
    assert comparison_summary(prefer_a=1000, prefer_b=1000, params=no_margin).verdict == Verdict.CONTINUE
    empty = comparison_summary(prefer_a=0, prefer_b=0)
    assert (empty.share_a, empty.interval, empty.verdict) == (None, (0.0, 1.0), Verdict.CONTINUE)


def test_tied_users_count_as_users_but_not_as_evidence() -> None:
    """Ties add to the users but change neither the share, nor the interval, nor the verdict."""
    without = comparison_summary(prefer_a=600, prefer_b=400)
    with_ties = comparison_summary(prefer_a=600, prefer_b=400, ties=5000)
    assert with_ties.users == 6000 and without.users == 1000
    assert (with_ties.share_a, with_ties.interval, with_ties.verdict) == (
        without.share_a,
        without.interval,
        without.verdict,
    )


def test_a_smaller_alpha_asks_for_more() -> None:
    """At alpha 0.001 the interval is wider than at 0.05, and 150 against 100, a win at 0.05, is not one yet."""
    strict = SequentialParams(alpha=0.001)
    assert comparison_summary(prefer_a=150, prefer_b=100).verdict == Verdict.A_WINS
    assert comparison_summary(prefer_a=150, prefer_b=100, params=strict).verdict == Verdict.CONTINUE
    loose, tight = (comparison_summary(prefer_a=150, prefer_b=100, params=p).interval for p in (PARAMS, strict))
    assert tight[0] < loose[0] and tight[1] > loose[1]


def test_the_stop_is_the_first_user_after_whom_the_verdict_is_not_continue() -> None:
    """Along a sequence, the test stops at the first user whose arrival makes a verdict; the users before left it
    at continue; the users counted include the tied ones."""
    rng = np.random.default_rng(3)
    preferences = rng.choice([1, 1, 1, -1, 0, 0], size=2000)
    stop = comparison_stop(preferences=preferences)
    assert stop.verdict == Verdict.A_WINS
    seen = preferences[: stop.users]
    assert stop.summary == comparison_summary(
        prefer_a=int((seen > 0).sum()), prefer_b=int((seen < 0).sum()), ties=int((seen == 0).sum())
    )
    before = preferences[: stop.users - 1]
    assert (
        comparison_summary(prefer_a=int((before > 0).sum()), prefer_b=int((before < 0).sum())).verdict
        == Verdict.CONTINUE
    )


def test_a_sequence_without_an_answer_goes_on() -> None:
    """Ten users, evenly split, are no answer: continue, after all of them."""
    stop = comparison_stop(preferences=np.array([1, -1] * 5))
    assert (stop.verdict, stop.users) == (Verdict.CONTINUE, 10)
    assert comparison_stop(preferences=np.array([], dtype=int)).users == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"alpha": 0.0}, ALPHA_OUT_OF_RANGE.format(alpha=0.0)),
        ({"alpha": 1.5}, ALPHA_OUT_OF_RANGE.format(alpha=1.5)),
        ({"prior": 0.0}, PRIOR_NOT_POSITIVE.format(prior=0.0)),
        ({"margin": 0.5}, MARGIN_OUT_OF_RANGE.format(margin=0.5)),
        ({"margin": -0.1}, MARGIN_OUT_OF_RANGE.format(margin=-0.1)),
    ],
)
def test_bad_settings_are_refused_with_a_reason(kwargs: dict, message: str) -> None:
    """alpha outside (0, 1), a prior that is not positive and a margin outside (0, 0.5) are errors that say so."""
    with pytest.raises(ValueError) as error:
        SequentialParams(**kwargs)
    assert str(error.value) == message


def test_bad_counts_and_preferences_are_refused_with_a_reason() -> None:
    """Negative counts and preferences other than +1, -1 and 0 are errors that say so."""
    with pytest.raises(ValueError) as error:
        comparison_summary(prefer_a=-1, prefer_b=3)
    assert str(error.value) == COUNT_NEGATIVE.format(counts=(-1, 3, 0))
    with pytest.raises(ValueError) as error:
        comparison_stop(preferences=np.array([1, 2, -1]))
    assert str(error.value) == PREFERENCES_NOT_SIGNS
