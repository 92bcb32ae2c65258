"""The working-day calendar on real 2026 dates (National Day, Mid-autumn, 调休 make-up days) and the
weekend-only fallback for years chinesecalendar does not know yet. Expected dates are written out by
hand from the State Council's 2026 arrangement:
  Mid-autumn 2026-09-25 (Fri) .. 09-27 (Sun) off; National Day 2026-10-01 (Thu) .. 10-07 (Wed) off;
  make-up working days Sunday 2026-09-20 and Saturday 2026-10-10."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from pmflow import workdays
from pmflow.workdays import (
    add_workdays,
    calendar_known,
    is_workday,
    next_workday,
    previous_workday,
    shift_by_workdays,
    workdays_between,
)

D = dt.date


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 9, 20), True),  # Sunday, 调休 make-up working day
        (D(2026, 9, 24), True),
        (D(2026, 9, 25), False),  # Friday, Mid-autumn
        (D(2026, 9, 28), True),
        (D(2026, 9, 30), True),
        (D(2026, 10, 1), False),
        (D(2026, 10, 5), False),  # Monday inside the National Day holiday
        (D(2026, 10, 7), False),
        (D(2026, 10, 8), True),
        (D(2026, 10, 10), True),  # Saturday, 调休 make-up working day
        (D(2026, 10, 11), False),  # ordinary Sunday
        (D(2026, 10, 12), True),
    ],
)
def test_2026_national_day_and_mid_autumn_calendar_matches_the_official_arrangement(day, working):
    assert is_workday(day) is working


def test_the_library_knows_2026():
    assert calendar_known(2026) is True


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (D(2026, 9, 30), 1, D(2026, 10, 8)),  # straight over the whole holiday
        (D(2026, 9, 30), 2, D(2026, 10, 9)),
        (D(2026, 9, 30), 3, D(2026, 10, 10)),  # the make-up Saturday counts
        (D(2026, 9, 30), 4, D(2026, 10, 12)),  # the Sunday after it does not
        (D(2026, 9, 24), 1, D(2026, 9, 28)),  # over Mid-autumn
        (D(2026, 9, 18), 1, D(2026, 9, 20)),  # Friday + 1 = the make-up Sunday
        (D(2026, 10, 8), -1, D(2026, 9, 30)),
        (D(2026, 10, 12), -2, D(2026, 10, 9)),
        (D(2026, 10, 3), 0, D(2026, 10, 3)),
    ],
)
def test_add_workdays_across_national_day(start, count, expected):
    assert add_workdays(start, count) == expected


def test_workdays_between_counts_working_days_in_the_half_open_interval():
    assert workdays_between(D(2026, 9, 30), D(2026, 10, 12)) == 4
    assert workdays_between(D(2026, 10, 12), D(2026, 9, 30)) == -4
    assert workdays_between(D(2026, 9, 24), D(2026, 9, 30)) == 3
    assert workdays_between(D(2026, 10, 1), D(2026, 10, 7)) == 0
    # the inverse of add_workdays when the target is a working day
    for n in range(-12, 13):
        target = add_workdays(D(2026, 9, 29), n)
        assert workdays_between(D(2026, 9, 29), target) == n


def test_next_and_previous_workday_skip_holidays_but_not_make_up_days():
    assert next_workday(D(2026, 10, 1)) == D(2026, 10, 8)
    assert next_workday(D(2026, 10, 10)) == D(2026, 10, 10)
    assert previous_workday(D(2026, 10, 7)) == D(2026, 9, 30)
    assert previous_workday(D(2026, 9, 27)) == D(2026, 9, 24)


def test_shifting_a_chain_keeps_its_working_day_gaps():
    chain = [D(2026, 9, 21), D(2026, 9, 29), D(2026, 10, 9)]
    shifted = shift_by_workdays(chain, 3)
    assert shifted == [D(2026, 9, 24), D(2026, 10, 9), D(2026, 10, 13)]
    for i in range(len(chain) - 1):
        assert workdays_between(chain[i], chain[i + 1]) == workdays_between(shifted[i], shifted[i + 1])


@pytest.fixture
def fresh_calendar():
    workdays.workday_cache_clear()
    yield
    workdays.workday_cache_clear()


def test_unknown_year_falls_back_to_weekends_only_and_logs_a_warning(fresh_calendar, caplog):
    assert calendar_known(2027) is False
    with caplog.at_level(logging.WARNING, logger="pmflow.workdays"):
        # 2027-10-01 is a Friday: a holiday in reality, a working day for the fallback.
        assert is_workday(D(2027, 10, 1)) is True
        assert is_workday(D(2027, 10, 2)) is False  # Saturday
        assert add_workdays(D(2027, 10, 1), 1) == D(2027, 10, 4)
        assert workdays_between(D(2027, 9, 27), D(2027, 10, 4)) == 5
    warnings = [r for r in caplog.records if r.name == "pmflow.workdays" and r.levelno == logging.WARNING]
    assert len(warnings) == 1  # once per year, not once per date
    assert "2027" in warnings[0].getMessage()
