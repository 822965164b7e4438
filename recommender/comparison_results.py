"""A comparison's result so far (a read): which version its people prefer, on openings and on likes.

Each list shown is one impression; a version's movie opened from it (or rated 4 stars or more from it) credits
that version's team (recsys.interleaving). A person prefers the version whose team won more of their lists, and
the sequential test of recsys.comparison judges the people who prefer one: its interval and verdict hold however
often the page is looked at, so an operator may watch it and stop at the first clear answer. That first verdict
other than "continue" stands (``Comparison.verdicts``, recorded whenever the result is read while the comparison
runs): the test's error rate holds for the first stop, and the people after it are no evidence for another.
"""

import uuid
from dataclasses import dataclass, replace

import numpy as np

from feedback.models import Action
from feedback.selectors import comparison_follow_ups, comparison_people
from recommender.models import Comparison
from recsys.comparison import ComparisonSummary, SequentialParams, Verdict, comparison_summary
from recsys.interleaving import user_tallies
from recsys.lists import LIKED_MIN_SCORE

VERDICT_WORDS = {
    Verdict.CONTINUE: "not clear yet",
    Verdict.A_WINS: "the active version wins",
    Verdict.B_WINS: "the candidate wins",
    Verdict.NO_DIFFERENCE: "no difference that matters",
}


def people_count(n: int) -> str:
    return "1 person" if n == 1 else f"{n:,} people"


@dataclass(frozen=True)
class Signal:
    """One signal's judgement, worded for people: the share preferring the candidate (B) and its interval, and the
    verdict: the first one other than "continue" once reached (``decided``, the counts then), which stands."""

    summary: ComparisonSummary
    decided: ComparisonSummary | None = None

    @property
    def verdict(self) -> Verdict:
        return self.decided.verdict if self.decided is not None else self.summary.verdict

    @property
    def share_b(self) -> float | None:
        share_a = self.summary.share_a
        return None if share_a is None else 1.0 - share_a

    @property
    def interval_b(self) -> tuple[float, float]:
        low, high = self.summary.interval
        return 1.0 - high, 1.0 - low

    @property
    def verdict_words(self) -> str:
        return VERDICT_WORDS[self.verdict]

    @property
    def text(self) -> str:
        s = self.summary
        if self.share_b is None:
            return f"nobody prefers either yet ({s.ties} tied): {VERDICT_WORDS[s.verdict]}"
        low, high = self.interval_b
        text = (
            f"{s.prefer_b} prefer the candidate, {s.prefer_a} the active version, {s.ties} neither"
            f" ({self.share_b:.0%} for the candidate, interval {low:.1%} to {high:.1%}): {self.verdict_words}"
        )
        if self.decided is not None:
            text += f" (decided at {people_count(self.decided.users)})"
        return text


@dataclass(frozen=True)
class ComparisonResult:
    users: int  # people shown at least one of its lists
    clicks: Signal  # openings from the lists
    likes: Signal  # ratings of 4 stars or more from the lists

    @property
    def clicks_text(self) -> str:
        return self.clicks.text

    @property
    def likes_text(self) -> str:
        return self.likes.text


SIGNALS = ("openings", "likes")


def decided_record(summary: ComparisonSummary) -> dict[str, int | str]:
    """How a verdict reached is kept on the comparison (``Comparison.verdicts``)."""
    return {
        "verdict": str(summary.verdict),
        "prefer_a": summary.prefer_a,
        "prefer_b": summary.prefer_b,
        "ties": summary.ties,
    }


def _decided(record: dict[str, object] | None, params: SequentialParams) -> ComparisonSummary | None:
    if not record:
        return None
    counts = {name: int(record[name]) for name in ("prefer_a", "prefer_b", "ties")}  # type: ignore[call-overload]
    return replace(comparison_summary(**counts, params=params), verdict=Verdict(str(record["verdict"])))


def _signal(
    credits: dict[uuid.UUID, list[int]], users: int, params: SequentialParams, decided: ComparisonSummary | None
) -> Signal:
    """The people's preferences from each list's credit ([user, A's, B's] by list id); lists without a
    credited movie are ties, which only count people."""
    rows = np.array(list(credits.values()), dtype=np.int64).reshape(-1, 3)
    tallies = user_tallies(user_ids=rows[:, 0], credit_a=rows[:, 1], credit_b=rows[:, 2])
    prefer_a, prefer_b, _ = tallies.counts()
    ties = max(users - prefer_a - prefer_b, 0)
    return Signal(comparison_summary(prefer_a=prefer_a, prefer_b=prefer_b, ties=ties, params=params), decided)


# The test's settings: 5% error, and differences within 5 points of a half called none (recsys.comparison).
COMPARISON_TEST = SequentialParams()


def comparison_result(*, comparison: Comparison, params: SequentialParams = COMPARISON_TEST) -> ComparisonResult:
    """What the comparison's people did from its lists, judged for each signal."""
    users = comparison_people(comparison_id=comparison.pk)
    clicks: dict[uuid.UUID, list[int]] = {}
    likes: dict[uuid.UUID, list[int]] = {}
    for row in comparison_follow_ups(comparison_id=comparison.pk):
        liked = row.action == Action.RATED and row.score is not None and row.score >= LIKED_MIN_SCORE
        if row.action != Action.OPENED and not liked:
            continue
        tally = (clicks if row.action == Action.OPENED else likes).setdefault(row.shown_id, [row.user_id, 0, 0])
        tally[1 if row.model_version_id == comparison.version_a_id else 2] += 1
    decided = {name: _decided(comparison.verdicts.get(name), params) for name in SIGNALS}
    return ComparisonResult(
        users=users,
        clicks=_signal(clicks, users, params, decided["openings"]),
        likes=_signal(likes, users, params, decided["likes"]),
    )
