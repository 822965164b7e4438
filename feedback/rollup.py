"""The daily rollup of the events, which the online metrics read for the days that are over (a service; the worker
runs it every hour).

A day is rolled up once FOLLOW_UP_DAYS whole days have passed since it ended, so that what people did from its
lists is in: its lists and follow-ups become a row per version and kind (OnlineDay), its movies one row each per
version and kind (MovieShownDay). A day is rolled up once, in one transaction; a follow-up that comes later still
than that is kept with the events (and exported) but not counted. The events themselves stay until retention.
"""

import datetime as dt

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from feedback.metrics import AT, followed_counts, list_counts, rolled_up_until
from feedback.models import FollowUp, Impression, MovieShownDay, OnlineDay

FOLLOW_UP_DAYS = 1


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _day_roll_up(day: dt.date) -> None:
    # The day's impressions by time (their shown_on is the UTC day of shown_at), on retention's index.
    impressions = Impression.objects.filter(
        shown_at__gte=_midnight(day), shown_at__lt=_midnight(day + dt.timedelta(days=1))
    ).order_by()
    group = ("model_version_id", "kind")
    counts: dict[tuple[int | None, str], dict[str, int]] = {}
    follow_ups = FollowUp.objects.filter(shown_on=day, position__lte=AT).order_by()
    for query in (
        impressions.values(*group).annotate(**list_counts()),
        follow_ups.values(*group).annotate(**followed_counts()),
    ):
        for row in query:
            counts.setdefault((row.pop("model_version_id"), row.pop("kind")), {}).update(row)
    movies = impressions.values_list("model_version_id", "kind", "movie_id").distinct()
    with transaction.atomic():
        OnlineDay.objects.filter(shown_on=day).delete()
        MovieShownDay.objects.filter(shown_on=day).delete()
        OnlineDay.objects.bulk_create(
            OnlineDay(model_version_id=version, kind=kind, shown_on=day, **values)
            for (version, kind), values in counts.items()
        )
        MovieShownDay.objects.bulk_create(
            (MovieShownDay(model_version_id=v, kind=kind, shown_on=day, movie_id=m) for v, kind, m in movies),
            batch_size=5000,
        )


def online_days_roll_up(*, today: dt.date | None = None) -> list[dt.date]:
    """Roll up every day with events from the first not rolled up to the last whose follow-ups are in (FOLLOW_UP_DAYS
    before ``today``, UTC); the days rolled up, oldest first."""
    settled = (today or timezone.now().date()) - dt.timedelta(days=FOLLOW_UP_DAYS)
    start = rolled_up_until()
    if start is None:
        first = Impression.objects.aggregate(first=Min("shown_at"))["first"]
        if first is None:
            return []
        start = first.astimezone(dt.UTC).date()
    days = [start + dt.timedelta(days=n) for n in range((settled - start).days)]
    for day in days:
        _day_roll_up(day)
    return days
