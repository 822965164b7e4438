"""Ratings over time in bars that read at any span: a day of ratings, a month of them, a decade of them."""

import datetime as dt

from insights.bins import MAX_TICKS, MIN_DAYS, Unit, ratings_binned
from insights.selectors import DailyCounts


def daily(first: dt.date, n_days: int, *, every: int = 1) -> DailyCounts:
    """Ratings on every ``every``-th day of n_days from first, 10 + the day's index each."""
    days = [first + dt.timedelta(days=i) for i in range(0, n_days, every)]
    return DailyCounts(days=days, counts=[10 + i for i in range(len(days))])


def assert_readable_ticks(bins: object) -> None:
    labels = [tick.label for tick in bins.ticks]
    assert 2 <= len(labels) <= MAX_TICKS
    assert len(set(labels)) == len(labels)
    assert all(":" not in label for label in labels)  # dates, never hours
    assert [tick.index for tick in bins.ticks] == sorted({tick.index for tick in bins.ticks})


def test_one_day_is_one_narrow_bar_on_an_axis_of_days() -> None:
    """A single day of site ratings is one day's bar among MIN_DAYS days that end on it, labelled with its date."""
    bins = ratings_binned(DailyCounts(days=[dt.date(2026, 12, 2)], counts=[5]))
    assert bins.unit is Unit.DAY
    assert len(bins.starts) == MIN_DAYS
    assert bins.starts[-1] == dt.date(2026, 12, 2) and bins.counts == [0] * (MIN_DAYS - 1) + [5]
    assert bins.ticks[-1].index == MIN_DAYS - 1 and bins.ticks[-1].label.startswith("2 Dec")
    assert any("2026" in tick.label for tick in bins.ticks)
    assert_readable_ticks(bins)


def test_thirty_days_are_thirty_daily_bars_with_the_empty_days_at_zero() -> None:
    """Thirty days with ratings every other day: a bar per day, the days between at zero, nothing lost."""
    days = daily(dt.date(2026, 11, 1), 30, every=2)
    bins = ratings_binned(days)
    assert bins.unit is Unit.DAY
    assert bins.starts == [dt.date(2026, 11, 1) + dt.timedelta(days=i) for i in range(29)]
    assert bins.counts[1::2] == [0] * 14
    assert bins.total == days.total
    assert_readable_ticks(bins)


def test_half_a_year_is_weekly_bars_from_monday_with_month_ticks() -> None:
    """MovieLens 100k's seven months (20 Sep 1997 to 22 Apr 1998): a bar per week, each from a Monday, seven
    days apart; the ticks name months, the year where it is first shown or changes."""
    days = daily(dt.date(1997, 9, 20), 215)
    bins = ratings_binned(days)
    assert bins.unit is Unit.WEEK
    assert all(start.weekday() == 0 for start in bins.starts)
    assert {(b - a).days for a, b in zip(bins.starts, bins.starts[1:], strict=False)} == {7}
    assert bins.starts[0] <= days.days[0] < bins.starts[0] + dt.timedelta(days=7)
    assert bins.total == days.total
    labels = [tick.label for tick in bins.ticks]
    assert labels[0].endswith("1997") and "Jan 1998" in labels and "Feb" in labels
    assert_readable_ticks(bins)


def test_ten_years_are_monthly_bars_with_year_ticks() -> None:
    """Ten years of ratings: a bar per month from the first of each, ticks on Januaries labelled with the year."""
    days = daily(dt.date(2015, 3, 14), 3653, every=3)
    bins = ratings_binned(days)
    assert bins.unit is Unit.MONTH
    assert bins.starts[0] == dt.date(2015, 3, 1) and bins.starts[-1] == dt.date(2025, 3, 1)
    assert len(bins.starts) == 121 and all(start.day == 1 for start in bins.starts)
    assert bins.total == days.total
    assert all(bins.starts[tick.index].month == 1 for tick in bins.ticks)
    assert all(tick.label == str(bins.starts[tick.index].year) for tick in bins.ticks)
    assert_readable_ticks(bins)


def test_no_ratings_are_no_bars() -> None:
    """Nothing to count: no bars and no ticks."""
    bins = ratings_binned(DailyCounts(days=[], counts=[]))
    assert bins.starts == bins.counts == bins.ticks == []
    assert bins.total == 0
