"""Online metrics of a model version, by UTC day, from the events: how people responded to its lists.

Every rate is a share of the lists shown (the lists of RECOMMENDATION_KINDS that start at position 1): the share
in which at least one movie of the first AT was opened from the list (click-through at 10), rated from it, rated
AT_LEAST_LIKED or more (liked), put on the watchlist, or hidden (not interested). Coverage is the share of the
version's catalogue that its lists showed at any position. A follow-up counts on the day its list was shown.

Four aggregate queries at most, each over one index of one table (feedback.models), whatever the number of days.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Model, Q, QuerySet
from django.utils import timezone

from feedback.models import RECOMMENDATION_KINDS, Action, FollowUp, Impression, ListKind

AT = 10
AT_LEAST_LIKED = 4.0


@dataclass(frozen=True)
class OnlineCounts:
    """One day's (or a whole period's) lists of a version and what followed them."""

    lists: int = 0  # lists shown
    opened: int = 0  # of them, lists with a movie of their first AT opened from the list
    rated: int = 0  # ... rated from the list
    liked: int = 0  # ... rated AT_LEAST_LIKED or more
    watchlisted: int = 0  # ... put on the watchlist
    hidden: int = 0  # ... hidden (not interested)
    watchlist_adds: int = 0  # movies of their first AT put on the watchlist, all lists together
    movies: int = 0  # distinct movies shown, at any position

    def share(self, name: str) -> float | None:
        """The share of the lists that ``name`` counts (opened, rated, liked, watchlisted, hidden); None without
        lists."""
        return getattr(self, name) / self.lists if self.lists else None

    @property
    def click_through(self) -> float | None:
        return self.share("opened")

    @property
    def rated_share(self) -> float | None:
        return self.share("rated")

    @property
    def liked_share(self) -> float | None:
        return self.share("liked")

    @property
    def watchlist_share(self) -> float | None:
        return self.share("watchlisted")

    @property
    def hidden_share(self) -> float | None:
        return self.share("hidden")


# What a period's counts add up from its days' (each list is shown on one day); its movies are counted again.
_SUMMED = ("lists", "opened", "rated", "liked", "watchlisted", "hidden", "watchlist_adds")


@dataclass(frozen=True)
class OnlineMetrics:
    """A version's online metrics: each day with lists, oldest first, and the whole period."""

    version_id: int
    catalogue: int  # the movies coverage is a share of (the version's)
    days: list[tuple[dt.date, OnlineCounts]] = field(default_factory=list)
    total: OnlineCounts = OnlineCounts()

    def coverage(self, counts: OnlineCounts) -> float | None:
        return min(1.0, counts.movies / self.catalogue) if self.catalogue and counts.lists else None


def _events(
    model: type[Impression] | type[FollowUp], *, version_ids: Iterable[int], kinds: Sequence[ListKind], since: dt.date
) -> "QuerySet[Model]":
    return model.objects.filter(model_version_id__in=list(version_ids), kind__in=kinds, shown_on__gte=since)


def _followed() -> dict[str, Count]:
    distinct_lists = {
        "opened": Q(action=Action.OPENED),
        "rated": Q(action=Action.RATED),
        "liked": Q(action=Action.RATED, score__gte=AT_LEAST_LIKED),
        "watchlisted": Q(action=Action.WATCHLISTED),
        "hidden": Q(action=Action.HIDDEN),
    }
    counts = {name: Count("shown_id", distinct=True, filter=condition) for name, condition in distinct_lists.items()}
    return {**counts, "watchlist_adds": Count("pk", filter=Q(action=Action.WATCHLISTED))}


def _by(
    group: Sequence[str], *, version_ids: Iterable[int], kinds: Sequence[ListKind], since: dt.date
) -> dict[tuple[Any, ...], dict[str, int]]:
    """{group values: {"lists", "movies", and the follow-ups' counts}} in three aggregate queries."""
    version_ids = list(version_ids)
    impressions = _events(Impression, version_ids=version_ids, kinds=kinds, since=since).order_by()
    follow_ups = _events(FollowUp, version_ids=version_ids, kinds=kinds, since=since).filter(position__lte=AT)
    rows: dict[tuple[Any, ...], dict[str, int]] = {}
    queries = (
        impressions.filter(position=1).values(*group).annotate(lists=Count("pk")),
        impressions.values(*group).annotate(movies=Count("movie", distinct=True)),
        follow_ups.order_by().values(*group).annotate(**_followed()),
    )
    for query in queries:
        for row in query:
            key = tuple(row.pop(name) for name in group)
            rows.setdefault(key, {}).update(row)
    return rows


def _since(days: int | None) -> dt.date:
    return timezone.now().date() - dt.timedelta(days=days - 1) if days else dt.date.min


def online_metrics(
    *, version_id: int, catalogue: int, days: int | None = None, kinds: Sequence[ListKind] = RECOMMENDATION_KINDS
) -> OnlineMetrics:
    """The online metrics of version ``version_id``: each UTC day of the last ``days`` (all kept, without) on
    which its lists were shown, and the period; coverage as a share of ``catalogue`` movies."""
    since = _since(days)
    by_day = _by(["shown_on"], version_ids=[version_id], kinds=kinds, since=since)
    shown = [(day, OnlineCounts(**counts)) for (day,), counts in sorted(by_day.items()) if counts.get("lists")]
    sums = {name: sum(getattr(counts, name) for _, counts in shown) for name in _SUMMED}
    movies = _events(Impression, version_ids=[version_id], kinds=kinds, since=since).aggregate(
        n=Count("movie", distinct=True)
    )["n"]
    return OnlineMetrics(
        version_id=version_id, catalogue=catalogue, days=shown, total=OnlineCounts(**sums, movies=movies)
    )


def online_totals(
    *, version_ids: Iterable[int], days: int | None = None, kinds: Sequence[ListKind] = RECOMMENDATION_KINDS
) -> dict[int, OnlineCounts]:
    """The online counts of each of ``version_ids`` over the last ``days`` (all kept, without); versions whose
    lists nobody was shown are left out."""
    by_version = _by(["model_version_id"], version_ids=version_ids, kinds=kinds, since=_since(days))
    return {version: OnlineCounts(**counts) for (version,), counts in by_version.items() if counts.get("lists")}
