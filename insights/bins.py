"""Ratings per day grouped into bars that read at any span: days up to three months, weeks up to two years, months
beyond; every bar of the span is present (empty ones at zero) and the date ticks fall on whole days, months or years.
"""

import datetime as dt
import enum
from dataclasses import dataclass

from insights.selectors import DailyCounts

# A day or a few of ratings still get an axis of this many days, ending on the last, rather than one wide block.
MIN_DAYS = 14
DAYS_MAX_SPAN = 92
WEEKS_MAX_SPAN = 2 * 366
MAX_TICKS = 8
DAY_STEPS = (1, 2, 7, 14)  # days between ticks
MONTH_STEPS = (1, 2, 3, 6)  # months between ticks of weekly bars
YEAR_STEPS = (1, 2, 5, 10, 20, 50, 100)  # years between ticks of monthly bars


class Unit(enum.StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True)
class Tick:
    index: int  # of the bar it labels
    label: str


@dataclass(frozen=True)
class Bins:
    unit: Unit
    starts: list[dt.date]  # the first day of each bar, consecutive, oldest first
    counts: list[int]
    ticks: list[Tick]

    @property
    def total(self) -> int:
        return sum(self.counts)


def _unit(span_days: int) -> Unit:
    if span_days <= DAYS_MAX_SPAN:
        return Unit.DAY
    return Unit.WEEK if span_days <= WEEKS_MAX_SPAN else Unit.MONTH


def _start(day: dt.date, unit: Unit) -> dt.date:
    if unit is Unit.WEEK:
        return day - dt.timedelta(days=day.weekday())  # Monday
    return day.replace(day=1) if unit is Unit.MONTH else day


def _next(start: dt.date, unit: Unit) -> dt.date:
    if unit is Unit.MONTH:
        return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    return start + dt.timedelta(days=7 if unit is Unit.WEEK else 1)


def _step(n: int, steps: tuple[int, ...]) -> int:
    """The smallest step that leaves at most MAX_TICKS ticks among n candidates."""
    return next((step for step in steps if -(-n // step) <= MAX_TICKS), steps[-1])


def _ticks(starts: list[dt.date], unit: Unit) -> list[Tick]:
    if unit is Unit.DAY:
        # Counted back from the last day, so that the latest day is always labelled.
        step = _step(len(starts), DAY_STEPS)
        chosen = [i for i in range(len(starts)) if (len(starts) - 1 - i) % step == 0]
        labels = [f"{starts[i].day} {starts[i]:%b}" for i in chosen]
        years = [starts[i].year for i in chosen]
    elif unit is Unit.WEEK:
        firsts = [i for i, start in enumerate(starts) if start.day <= 7]  # the first Monday of a month
        step = _step(len(firsts), MONTH_STEPS)
        chosen = [i for i in firsts if (starts[i].month - 1) % step == 0]
        labels = [f"{starts[i]:%b}" for i in chosen]
        years = [starts[i].year for i in chosen]
    else:
        januaries = [i for i, start in enumerate(starts) if start.month == 1]
        step = _step(len(januaries), YEAR_STEPS)
        chosen = [i for i in januaries if starts[i].year % step == 0]
        return [Tick(index=i, label=str(starts[i].year)) for i in chosen]
    # The year where it is first shown or changes: "20 Sep 1997", "27 Sep", ..., "3 Jan 1998".
    return [
        Tick(index=i, label=f"{label} {year}" if k == 0 or years[k - 1] != year else label)
        for k, (i, label, year) in enumerate(zip(chosen, labels, years, strict=True))
    ]


def ratings_binned(days: DailyCounts) -> Bins:
    """The daily counts as bars of a day, a week or a month, chosen by the span from the first day to the last."""
    if not days.days:
        return Bins(unit=Unit.DAY, starts=[], counts=[], ticks=[])
    first, last = days.days[0], days.days[-1]
    first = min(first, last - dt.timedelta(days=MIN_DAYS - 1))
    unit = _unit((last - first).days + 1)
    counts: dict[dt.date, int] = {}
    for day, n in zip(days.days, days.counts, strict=True):
        start = _start(day, unit)
        counts[start] = counts.get(start, 0) + n
    starts, start = [], _start(first, unit)
    while start <= last:
        starts.append(start)
        start = _next(start, unit)
    return Bins(unit=unit, starts=starts, counts=[counts.get(s, 0) for s in starts], ticks=_ticks(starts, unit))
