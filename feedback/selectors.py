"""Event reads: a person's own lists and follow-ups (for their data export), oldest first, and what a comparison's
interleaved lists led to."""

import uuid
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import QuerySet

from feedback.models import Action, FollowUp, Impression


def user_impressions(*, user: User) -> QuerySet[Impression]:
    """Every movie of every list shown to ``user``, list by list in the order shown, with the movies."""
    return Impression.objects.filter(user=user).select_related("movie").order_by("shown_at", "shown_id", "position")


def user_follow_ups(*, user: User) -> QuerySet[FollowUp]:
    """What ``user`` did from the lists shown to them, with the movies."""
    return FollowUp.objects.filter(user=user).select_related("movie").order_by("at", "pk")


@dataclass(frozen=True)
class ComparisonFollowUp:
    """An opening or a rating from a comparison's list: whose list, whose movie (its version) and the score."""

    shown_id: uuid.UUID
    user_id: int
    model_version_id: int | None
    action: Action
    score: float | None


def comparison_people(*, comparison_id: int) -> int:
    """How many people have been shown the comparison's interleaved lists."""
    return Impression.objects.filter(comparison_id=comparison_id).values("user_id").distinct().count()


def comparison_follow_ups(*, comparison_id: int) -> list[ComparisonFollowUp]:
    """The openings and ratings from the comparison's lists, what its verdict is made of."""
    rows = FollowUp.objects.filter(comparison_id=comparison_id, action__in=[Action.OPENED, Action.RATED]).values_list(
        "shown_id", "user_id", "model_version_id", "action", "score"
    )
    return [ComparisonFollowUp(s, u, v, Action(a), score) for s, u, v, a, score in rows.order_by()]
