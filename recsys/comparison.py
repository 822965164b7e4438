"""Which of two versions people prefer: the share of users preferring A, an interval, and when to stop looking.

The data are users' preferences (``recsys.interleaving.UserTallies``): each user prefers A, prefers B, or is tied.
Tied users say nothing about which list is better and are left out; each of the others prefers A with an unknown
probability ``p``, and the versions are equally good when ``p = 1/2``.

The test is a mixture sequential probability ratio test (Robbins 1970; the "always-valid" test of Johari, Pekelis and
Walsh, "Always valid inference", 2017): the likelihood of the preferences under ``p`` drawn from a Beta(prior,
prior) mixture, against their likelihood under ``p0``,

    ratio(p0) = B(prior + a, prior + b) / B(prior, prior) / (p0 ** a * (1 - p0) ** b)

for ``a`` users preferring A and ``b`` preferring B. Under ``p = p0`` the ratio is a nonnegative martingale of
mean 1, so by Ville's inequality it ever reaches ``1 / alpha`` with probability at most ``alpha``, however often
it is looked at and whenever one stops. The interval is the set of ``p0`` whose ratio is still below ``1 / alpha``
(a confidence sequence: it holds the true ``p`` at every moment at once with probability at least ``1 - alpha``),
and the verdict reads it:

- ``A_WINS`` when the whole interval is above 1/2, ``B_WINS`` when it is below;
- ``NO_DIFFERENCE`` when it lies within ``margin`` of 1/2 (if a margin is set): neither list is preferred by more
  than ``1/2 + margin`` of the users who prefer one;
- ``CONTINUE`` otherwise.

Error rates, at any time and whatever the monitoring: with equally good versions a winner is declared with
probability at most ``alpha``; with any ``p``, the wrong winner at most ``alpha``, and ``NO_DIFFERENCE`` while
``|p - 1/2| >= margin`` at most ``alpha``. There is no beta to state: for any ``p != 1/2`` the test stops for the
better version with probability 1, after about ``log(1 / alpha) / KL(p || 1/2)`` non-tied users plus a term that
grows as ``log`` of their number (bench/interleaving_power.py measures it). The first verdict other than
``CONTINUE`` ends the comparison; data seen after it are no evidence for another.

A user's preference is taken as fixed. Recounting users whose tallies still grow (people come back) is an
approximation: under equal versions each user's preference stays symmetric at every moment, so the false-positive
rate stays near ``alpha``, but the martingale argument above assumes each user is counted once, as they stand.

``comparison_summary`` judges counts (what the Model page shows); ``comparison_stop`` runs the same test along a
sequence of users and says where it stopped (the simulator's and the benchmark's).
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

ALPHA_OUT_OF_RANGE = "alpha must be between 0 and 1, got {alpha}"
PRIOR_NOT_POSITIVE = "prior must be positive, got {prior}"
MARGIN_OUT_OF_RANGE = "margin must be between 0 and 0.5, or None for no futility stop, got {margin}"
COUNT_NEGATIVE = "counts of users are not negative: {counts}"
PREFERENCES_NOT_SIGNS = "preferences are +1 (A), -1 (B) or 0 (tied), one per user"

_BISECTIONS = 100


class Verdict(StrEnum):
    """What the comparison says so far."""

    CONTINUE = "continue"
    A_WINS = "a_wins"
    B_WINS = "b_wins"
    NO_DIFFERENCE = "no_difference"


@dataclass(frozen=True)
class SequentialParams:
    """The test's settings. ``prior``: the Beta(prior, prior) mixture's concentration, whose standard deviation of
    ``p``, ``1 / (2 * sqrt(2 * prior + 1))``, is the size of difference it is quickest to find (10: about 0.11, a
    61% share). ``margin``: how far from 1/2 a share must be to matter (None: never stop for no difference)."""

    alpha: float = 0.05
    prior: float = 10.0
    margin: float | None = 0.05

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha < 1.0:
            raise ValueError(ALPHA_OUT_OF_RANGE.format(alpha=self.alpha))
        if not self.prior > 0.0:
            raise ValueError(PRIOR_NOT_POSITIVE.format(prior=self.prior))
        if self.margin is not None and not 0.0 < self.margin < 0.5:
            raise ValueError(MARGIN_OUT_OF_RANGE.format(margin=self.margin))


@dataclass(frozen=True)
class ComparisonSummary:
    """Users preferring each version, the share preferring A among those who prefer one, its interval, the verdict."""

    prefer_a: int
    prefer_b: int
    ties: int
    share_a: float | None  # None while no user prefers either
    interval: tuple[float, float]  # always valid, at 1 - alpha
    verdict: Verdict

    @property
    def users(self) -> int:
        return self.prefer_a + self.prefer_b + self.ties


@dataclass(frozen=True)
class Stop:
    """Where the test stopped along a sequence of users: after ``users`` of them (all of them for CONTINUE)."""

    verdict: Verdict
    users: int
    summary: ComparisonSummary  # of the users up to the stop


def comparison_summary(
    *, prefer_a: int, prefer_b: int, ties: int = 0, params: SequentialParams = SequentialParams()
) -> ComparisonSummary:
    """The comparison judged on the users so far."""
    if min(prefer_a, prefer_b, ties) < 0:
        raise ValueError(COUNT_NEGATIVE.format(counts=(prefer_a, prefer_b, ties)))
    decided = prefer_a + prefer_b
    return ComparisonSummary(
        prefer_a=prefer_a,
        prefer_b=prefer_b,
        ties=ties,
        share_a=prefer_a / decided if decided else None,
        interval=_interval(prefer_a, prefer_b, params),
        verdict=Verdict(_verdicts(np.array([prefer_a]), np.array([prefer_b]), params)[0]),
    )


def comparison_stop(*, preferences: np.ndarray, params: SequentialParams = SequentialParams()) -> Stop:
    """The test looked at after every user of ``preferences`` (int [users], in the order they came: +1 prefers A,
    -1 B, 0 tied): the first verdict other than CONTINUE, or CONTINUE after all of them."""
    preferences = np.asarray(preferences)
    if preferences.ndim != 1 or not np.isin(preferences, (-1, 0, 1)).all():
        raise ValueError(PREFERENCES_NOT_SIGNS)
    prefer_a, prefer_b = np.cumsum(preferences > 0), np.cumsum(preferences < 0)
    verdicts = _verdicts(prefer_a, prefer_b, params)
    stopped = np.flatnonzero(verdicts != Verdict.CONTINUE)
    users = int(stopped[0]) + 1 if len(stopped) else len(preferences)
    a, b = (int(x[users - 1]) if users else 0 for x in (prefer_a, prefer_b))
    summary = comparison_summary(prefer_a=a, prefer_b=b, ties=users - a - b, params=params)
    return Stop(verdict=summary.verdict, users=users, summary=summary)


def _log_mixture(a: np.ndarray, b: np.ndarray, prior: float) -> np.ndarray:
    """log of the Beta(prior, prior) mixture's likelihood of ``a`` preferences for A and ``b`` for B (counts)."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    n = int((a + b).max(initial=0))
    return _log_rising(prior, n)[a] + _log_rising(prior, n)[b] - _log_rising(2 * prior, n)[a + b]


def _log_rising(x: float, n: int) -> np.ndarray:
    """float [n + 1]: log(x (x + 1) ... (x + m - 1)), the rising factorial, for m from 0 to n."""
    return np.concatenate(([0.0], np.cumsum(np.log(x + np.arange(n)))))


def _log_ratio(a: np.ndarray, b: np.ndarray, p0: float, log_mixture: np.ndarray) -> np.ndarray:
    return log_mixture - a * math.log(p0) - b * math.log1p(-p0)


def _verdicts(a: np.ndarray, b: np.ndarray, params: SequentialParams) -> np.ndarray:
    """The verdict after each (a, b): the interval holds the share a / (a + b), so it is above 1/2 exactly when
    1/2 is outside it and more users prefer A; within the margin when both edges of the margin are outside it and
    the share is between them."""
    log_mixture = _log_mixture(a, b, params.prior)
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    threshold = -math.log(params.alpha)
    verdicts = np.full(len(a), Verdict.CONTINUE, dtype=object)
    if params.margin is not None:
        low, high = 0.5 - params.margin, 0.5 + params.margin
        inside = (a > low * (a + b)) & (a < high * (a + b))
        excluded = (_log_ratio(a, b, low, log_mixture) >= threshold) & (
            _log_ratio(a, b, high, log_mixture) >= threshold
        )
        verdicts[inside & excluded] = Verdict.NO_DIFFERENCE
    # A winner outranks "no difference": an interval within the margin but above 1/2 still names a better list.
    differs = _log_ratio(a, b, 0.5, log_mixture) >= threshold
    verdicts[differs & (a > b)] = Verdict.A_WINS
    verdicts[differs & (a < b)] = Verdict.B_WINS
    return verdicts


def _interval(a: int, b: int, params: SequentialParams) -> tuple[float, float]:
    """The p0 in [0, 1] whose ratio is below 1 / alpha: where a log p0 + b log(1 - p0), concave, exceeds the
    mixture's log likelihood plus log alpha. Found by bisection either side of the share a / (a + b)."""
    if a + b == 0:
        return 0.0, 1.0
    level = float(_log_mixture(np.array([a]), np.array([b]), params.prior)[0]) + math.log(params.alpha)

    def inside(p: float) -> bool:
        log_likelihood = (a * math.log(p) if a else 0.0) + (b * math.log1p(-p) if b else 0.0)
        return log_likelihood > level

    share = a / (a + b)
    return (_edge(share, 0.0, inside) if a else 0.0), (_edge(share, 1.0, inside) if b else 1.0)


def _edge(inner: float, outer: float, inside: Callable[[float], bool]) -> float:
    """The boundary between ``inner`` (inside the interval) and ``outer`` (outside it)."""
    for _ in range(_BISECTIONS):
        middle = (inner + outer) / 2
        inner, outer = (middle, outer) if inside(middle) else (inner, middle)
    return inner
