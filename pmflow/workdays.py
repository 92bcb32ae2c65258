"""Working-day calendar for mainland China, kept by the programme.

The arrangement of a year (法定节假日 and 调休 make-up working days, e.g. Saturday 2026-10-10) lives in
``WorkCalendarDay`` once the year is entered (``WorkCalendarYear``): loaded from the maintained
``chinesecalendar`` package for the years it knows, imported from a file (``manage.py import_calendar``)
or typed in the admin. A year nobody has entered falls back to chinesecalendar when it knows the year
and otherwise to "Monday–Friday are working days", logged once per year. Such a year is *flagged*:
``year_has_arrangement(year)`` is False and every date computed in it should say so
(``date_is_provisional``), until an admin enters the arrangement.

The table is read once per process and kept in memory (the functions below run in hot loops); a
change through ``pmflow.services.calendar`` clears this process's copy at once, and every process
re-reads the table at most ``CALENDAR_TTL_SECONDS`` later.

Counting convention (used by every "N working days" due date and by rescheduling):
``add_workdays(day, n)`` is the n-th working day after ``day`` and ``workdays_between(a, b)`` is the
number of working days in ``(a, b]``, so ``add_workdays(a, workdays_between(a, b)) == b`` whenever
``b`` is a working day.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from functools import lru_cache

import chinese_calendar

logger = logging.getLogger(__name__)
_warned_years: set[int] = set()

#: how long a process trusts its copy of the calendar table before re-reading it
CALENDAR_TTL_SECONDS = 60.0


@dataclass(frozen=True, eq=False)  # hashed by identity: one object per content read
class _Table:
    years: frozenset[int] = frozenset()
    #: date → True (make-up working day) / False (non-working day), for entered years only
    days: dict[dt.date, bool] = field(default_factory=dict)


_table: _Table | None = None
_loaded_at = 0.0


def _read_table() -> _Table | None:
    """The calendar table, or None when the database cannot be read (no app registry yet, or a
    context without database access): callers then use chinesecalendar."""
    try:
        from pmflow.models import WorkCalendarDay, WorkCalendarYear

        years = frozenset(WorkCalendarYear.objects.values_list("year", flat=True))
        days = {
            day: kind == WorkCalendarDay.Kind.ON
            for day, kind in WorkCalendarDay.objects.filter(date__year__in=years).values_list("date", "kind")
        }
    except Exception:  # noqa: BLE001 - any failure to read means "no table": fall back, never break a date
        return None
    return _Table(years=years, days=days)


def _current_table() -> _Table | None:
    global _table, _loaded_at
    now = time.monotonic()
    if _table is not None and now - _loaded_at < CALENDAR_TTL_SECONDS:
        return _table
    fresh = _read_table()
    if fresh is None:
        return _table
    if _table is None or (fresh.years, fresh.days) != (_table.years, _table.days):
        _is_workday.cache_clear()
        _table = fresh
    _loaded_at = now
    return _table


def _library_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=16384)
def _is_workday(day: dt.date, table: _Table | None) -> bool:
    if table is not None and day.year in table.years:
        entered = table.days.get(day)
        return entered if entered is not None else day.weekday() < 5
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            logger.warning(
                "no holiday arrangement for %s (not entered, unknown to chinesecalendar): counting weekends only", day.year
            )
        return day.weekday() < 5


def is_workday(day: dt.date) -> bool:
    """Whether ``day`` is a working day: not a weekend unless it is a 调休 make-up day, not a
    statutory holiday. A year without an arrangement counts weekends only (logged once a year)."""
    return _is_workday(day, _current_table())


def year_has_arrangement(year: int) -> bool:
    """Whether ``year``'s holiday arrangement is known: entered in the calendar table, or known to
    chinesecalendar. False means dates in that year count weekends only and must be flagged."""
    table = _current_table()
    return (table is not None and year in table.years) or _library_knows(year)


def calendar_known(year: int) -> bool:
    """Former name of ``year_has_arrangement``."""
    return year_has_arrangement(year)


def date_is_provisional(day: dt.date | None) -> bool:
    """True when ``day`` falls in a year without an arrangement: a date computed there may move once
    the year's holidays are entered (the "no calendar data" flag)."""
    return day is not None and not year_has_arrangement(day.year)


def years_without_arrangement(start: int, end: int) -> list[int]:
    """The years in ``[start, end]`` with no arrangement (listed on the admin's home page)."""
    return [y for y in range(start, end + 1) if not year_has_arrangement(y)]


def workday_cache_clear() -> None:
    """Forget this process's copy of the calendar and the years already warned about (after the
    table changes, after upgrading the library, and between tests)."""
    global _table, _loaded_at
    _table, _loaded_at = None, 0.0
    _is_workday.cache_clear()
    _warned_years.clear()


def workday_calendar_warm() -> None:
    """Read the calendar table now (if the database can be read), so the next date computations
    run without queries — e.g. before a request whose queries are counted."""
    _current_table()


def add_workdays(day: dt.date, count: int) -> dt.date:
    """The date ``count`` working days after ``day`` (before it if negative). ``count == 0`` returns
    ``day`` itself, even if it is not a working day."""
    table = _current_table()
    step = 1 if count >= 0 else -1
    remaining = abs(count)
    current = day
    while remaining:
        current += dt.timedelta(days=step)
        if _is_workday(current, table):
            remaining -= 1
    return current


def workdays_between(start: dt.date, end: dt.date) -> int:
    """Signed number of working days from ``start`` to ``end``: counts working days in (start, end]
    when end > start, and the negative of those in (end, start] when end < start."""
    if end == start:
        return 0
    table = _current_table()
    sign = 1 if end > start else -1
    lo, hi = (start, end) if sign == 1 else (end, start)
    count = 0
    current = lo
    while current < hi:
        current += dt.timedelta(days=1)
        if _is_workday(current, table):
            count += 1
    return sign * count


def next_workday(day: dt.date) -> dt.date:
    """``day`` itself when it is a working day, else the first working day after it."""
    current = day
    while not is_workday(current):
        current += dt.timedelta(days=1)
    return current


def previous_workday(day: dt.date) -> dt.date:
    """``day`` itself when it is a working day, else the last working day before it."""
    current = day
    while not is_workday(current):
        current -= dt.timedelta(days=1)
    return current


def shift_by_workdays(days: list[dt.date], count: int) -> list[dt.date]:
    """Shift every date by the same number of working days (rescheduling a chain of milestones).
    The working-day gap between any two shifted working days is the gap between the originals."""
    return [add_workdays(day, count) for day in days]
