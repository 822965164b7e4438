"""Online metrics of a model version, by UTC day, from the events: how people responded to its lists.

Every rate is a share of the lists shown (the lists of RECOMMENDATION_KINDS that start at position 1): the share
in which at least one movie of the first AT was opened from the list (click-through at 10), rated from it, rated
AT_LEAST_LIKED or more (liked), put on the watchlist, or hidden (not interested). Coverage is the share of the
version's catalogue that its lists showed at any position. A follow-up counts on the day its list was shown.

The days that are over are read from their daily rollup (feedback.rollup: a row per version, kind and day, and
the distinct movies of each day); only the days since, a day or two of events, are counted from the events. So a
version's page costs seven aggregate queries on indexes, whatever the number of events kept.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Model, Q, QuerySet, Sum
from django.utils import timezone

from feedback.models import RECOMMENDATION_KINDS, Action, FollowUp, Impression, ListKind, MovieShownDay, OnlineDay

AT = 10
AT_LEAST_LIKED = 4.0
# What a period's counts add up from its days' (each list is shown on one day); its movies are counted again.
SUMMED = ("lists", "opened", "rated", "liked", "watchlisted", "hidden", "watchlist_adds")


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


@dataclass(frozen=True)
class OnlineMetrics:
    """A version's online metrics: each day with lists, oldest first, and the whole period."""

    version_id: int
    catalogue: int  # the movies coverage is a share of (the version's)
    days: list[tuple[dt.date, OnlineCounts]] = field(default_factory=list)
    total: OnlineCounts = OnlineCounts()

    def coverage(self, counts: OnlineCounts) -> float | None:
        return min(1.0, counts.movies / self.catalogue) if self.catalogue and counts.lists else None


def list_counts() -> dict[str, Count]:
    """The lists among impressions: one row at position 1 each."""
    return {"lists": Count("pk", filter=Q(position=1))}


def followed_counts() -> dict[str, Count]:
    """What followed, among follow-ups of the first AT positions: distinct lists per action, and watchlist adds."""
    distinct_lists = {
        "opened": Q(action=Action.OPENED),
        "rated": Q(action=Action.RATED),
        "liked": Q(action=Action.RATED, score__gte=AT_LEAST_LIKED),
        "watchlisted": Q(action=Action.WATCHLISTED),
        "hidden": Q(action=Action.HIDDEN),
    }
    counts = {name: Count("shown_id", distinct=True, filter=condition) for name, condition in distinct_lists.items()}
    return {**counts, "watchlist_adds": Count("pk", filter=Q(action=Action.WATCHLISTED))}


def rolled_up_until() -> dt.date | None:
    """The first day that the rollup has not reached; None before its first run."""
    last = OnlineDay.objects.aggregate(last=Max("shown_on"))["last"]
    return last + dt.timedelta(days=1) if last else None


Span = tuple[dt.date | None, dt.date | None]  # [from, to): days, None open-ended


def _of(model: type[Model], *, version_ids: list[int], kinds: Sequence[ListKind], span: Span) -> "QuerySet[Any]":
    rows = model._default_manager.filter(model_version_id__in=version_ids, kind__in=kinds)
    start, end = span
    rows = rows if start is None else rows.filter(shown_on__gte=start)
    return (rows if end is None else rows.filter(shown_on__lt=end)).order_by()


def _spans(since: dt.date | None) -> tuple[Span | None, Span]:
    """The days to read from the rollup (None: nothing rolled up yet), and the days since, to count from the
    events."""
    until = rolled_up_until()
    if until is None:
        return None, (since, None)
    return (since, until), (max(since, until) if since else until, None)


def _by_version_and_day(
    *, version_ids: list[int], kinds: Sequence[ListKind], spans: tuple[Span | None, Span]
) -> dict[tuple[int, dt.date], dict[str, int]]:
    """{(version, day): the counts of OnlineCounts}, the rolled-up days and the days since alike."""
    rolled, live = spans
    group = ("model_version_id", "shown_on")
    rows: dict[tuple[int, dt.date], dict[str, int]] = {}
    queries = [
        _of(Impression, version_ids=version_ids, kinds=kinds, span=live)
        .values(*group)
        .annotate(**list_counts(), movies=Count("movie", distinct=True)),
        _of(FollowUp, version_ids=version_ids, kinds=kinds, span=live)
        .filter(position__lte=AT)
        .values(*group)
        .annotate(**followed_counts()),
    ]
    if rolled is not None:
        queries += [
            _of(OnlineDay, version_ids=version_ids, kinds=kinds, span=rolled)
            .values(*group)
            .annotate(**{name: Sum(name) for name in SUMMED}),
            _of(MovieShownDay, version_ids=version_ids, kinds=kinds, span=rolled)
            .values(*group)
            .annotate(movies=Count("movie", distinct=True)),
        ]
    for query in queries:
        for row in query:
            rows.setdefault((row.pop("model_version_id"), row.pop("shown_on")), {}).update(row)
    return {key: counts for key, counts in rows.items() if counts.get("lists")}


def _movies_shown(
    *, version_ids: list[int], kinds: Sequence[ListKind], spans: tuple[Span | None, Span]
) -> dict[int, int]:
    """{version: distinct movies its lists showed over the period}: one UNION of the rolled-up days' movies and the
    events' since (at most the catalogue's size a version), counted here."""
    rolled, live = spans
    pairs = ("model_version_id", "movie_id")
    shown = _of(Impression, version_ids=version_ids, kinds=kinds, span=live).values_list(*pairs).distinct()
    if rolled is not None:  # UNION: each (version, movie) once
        shown = _of(MovieShownDay, version_ids=version_ids, kinds=kinds, span=rolled).values_list(*pairs).union(shown)
    counts: dict[int, int] = {}
    for version_id, _movie in shown:
        counts[version_id] = counts.get(version_id, 0) + 1
    return counts


def _since(days: int | None) -> dt.date | None:
    return timezone.now().date() - dt.timedelta(days=days - 1) if days else None


def _added_up(days: Iterable[OnlineCounts], movies: int) -> OnlineCounts:
    days = list(days)
    return OnlineCounts(**{name: sum(getattr(counts, name) for counts in days) for name in SUMMED}, movies=movies)


def online_metrics(
    *, version_id: int, catalogue: int, days: int | None = None, kinds: Sequence[ListKind] = RECOMMENDATION_KINDS
) -> OnlineMetrics:
    """The online metrics of version ``version_id``: each UTC day of the last ``days`` (all kept, without) on
    which its lists were shown, and the period; coverage as a share of ``catalogue`` movies."""
    spans = _spans(_since(days))
    by_day = _by_version_and_day(version_ids=[version_id], kinds=kinds, spans=spans)
    shown = [(day, OnlineCounts(**counts)) for (_, day), counts in sorted(by_day.items())]
    movies = _movies_shown(version_ids=[version_id], kinds=kinds, spans=spans).get(version_id, 0)
    total = _added_up((counts for _, counts in shown), movies)
    return OnlineMetrics(version_id=version_id, catalogue=catalogue, days=shown, total=total)


def online_totals(
    *, version_ids: Iterable[int], days: int | None = None, kinds: Sequence[ListKind] = RECOMMENDATION_KINDS
) -> dict[int, OnlineCounts]:
    """The online counts of each of ``version_ids`` over the last ``days`` (all kept, without); versions whose
    lists nobody was shown are left out."""
    version_ids, spans = list(version_ids), _spans(_since(days))
    by_day = _by_version_and_day(version_ids=version_ids, kinds=kinds, spans=spans)
    movies = _movies_shown(version_ids=version_ids, kinds=kinds, spans=spans)
    versions = sorted({version for version, _ in by_day})
    return {
        version: _added_up((OnlineCounts(**c) for (v, _), c in by_day.items() if v == version), movies.get(version, 0))
        for version in versions
    }
