"""Event reads: a person's own lists and follow-ups (for their data export), oldest first."""

from django.contrib.auth.models import User
from django.db.models import QuerySet

from feedback.models import FollowUp, Impression


def user_impressions(*, user: User) -> QuerySet[Impression]:
    """Every movie of every list shown to ``user``, list by list in the order shown, with the movies."""
    return Impression.objects.filter(user=user).select_related("movie").order_by("shown_at", "shown_id", "position")


def user_follow_ups(*, user: User) -> QuerySet[FollowUp]:
    """What ``user`` did from the lists shown to them, with the movies."""
    return FollowUp.objects.filter(user=user).select_related("movie").order_by("at", "pk")
