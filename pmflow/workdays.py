"""Working-day calendar for mainland China.

Statutory holidays and 调休 make-up working days (e.g. Saturday 2026-10-10) come from the maintained
``chinesecalendar`` package, never from a hand-kept list. For a year it does not know yet (it is
updated once the State Council publishes the next year's arrangement, usually in November) we fall
back to "Monday–Friday are working days" and log a warning once per year, so that due dates keep
moving instead of failing. ``calendar_known(year)`` tells callers which case they are in.

Counting convention (used by every "N working days" due date and by rescheduling):
``add_workdays(day, n)`` is the n-th working day after ``day`` and ``workdays_between(a, b)`` is the
number of working days in ``(a, b]``, so ``add_workdays(a, workdays_between(a, b)) == b`` whenever
``b`` is a working day.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache

import chinese_calendar

logger = logging.getLogger(__name__)
_warned_years: set[int] = set()


@lru_cache(maxsize=8192)
def is_workday(day: dt.date) -> bool:
    """Whether ``day`` is a working day: not a weekend unless it is a 调休 make-up day, not a
    statutory holiday. Years the library does not know count weekends only (logged once a year)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            logger.warning("chinesecalendar has no data for %s; counting weekends only as non-working days", day.year)
        return day.weekday() < 5


def calendar_known(year: int) -> bool:
    """Whether the holiday data for ``year`` is known (False means the weekend-only fallback is used)."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def workday_cache_clear() -> None:
    """Forget cached answers and the years already warned about (after upgrading the library, and in
    tests that check the fallback warning)."""
    is_workday.cache_clear()
    _warned_years.clear()


def add_workdays(day: dt.date, count: int) -> dt.date:
    """The date ``count`` working days after ``day`` (before it if negative). ``count == 0`` returns
    ``day`` itself, even if it is not a working day."""
    step = 1 if count >= 0 else -1
    remaining = abs(count)
    current = day
    while remaining:
        current += dt.timedelta(days=step)
        if is_workday(current):
            remaining -= 1
    return current


def workdays_between(start: dt.date, end: dt.date) -> int:
    """Signed number of working days from ``start`` to ``end``: counts working days in (start, end]
    when end > start, and the negative of those in (end, start] when end < start."""
    if end == start:
        return 0
    sign = 1 if end > start else -1
    lo, hi = (start, end) if sign == 1 else (end, start)
    count = 0
    current = lo
    while current < hi:
        current += dt.timedelta(days=1)
        if is_workday(current):
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
