"""Every status rule at its boundaries, evaluated by the set-based recalculation in PostgreSQL (and
cross-checked against the Python mirror of the rules).

Precedence (first match wins): done > blocked > overdue > at_risk > not_started > on_track.
Defaults: AT_RISK_THRESHOLD = 20 points, AT_RISK_DUE_DAYS = 7, AT_RISK_DUE_PROGRESS = 80 %."""

from __future__ import annotations

import datetime as dt

import pytest

from projects.models import Task, TaskStatus
from projects.services.task_status import task_status_compute, task_statuses_recalculate
from tests.factories import KeyTaskListFactory, TaskFactory

D = dt.date
TODAY = D(2026, 6, 1)
S = TaskStatus

# (name, start, due, progress, done_date, blocked, expected)
CASES = [
    # done
    ("progress_100_is_done", D(2026, 1, 1), D(2026, 5, 1), 100, None, False, S.DONE),
    ("done_date_is_done_even_below_100", D(2026, 1, 1), D(2026, 5, 1), 40, D(2026, 4, 1), False, S.DONE),
    ("done_wins_over_blocked", D(2026, 1, 1), D(2026, 12, 31), 100, None, True, S.DONE),
    # blocked wins over overdue and at_risk
    ("blocked_wins_over_overdue", D(2026, 1, 1), D(2026, 5, 31), 10, None, True, S.BLOCKED),
    ("blocked_not_started", D(2026, 7, 1), D(2026, 12, 31), 0, None, True, S.BLOCKED),
    # overdue: due yesterday vs due today
    ("due_yesterday_is_overdue", D(2026, 1, 1), D(2026, 5, 31), 95, None, False, S.OVERDUE),
    ("due_today_is_not_overdue_but_at_risk_under_80", D(2026, 1, 1), TODAY, 79, None, False, S.AT_RISK),
    ("due_today_at_80_is_on_track", D(2026, 1, 1), TODAY, 80, None, False, S.ON_TRACK),
    # due soon: 7 vs 8 days, 79 vs 80 %
    ("due_in_7_days_at_79_is_at_risk", D(2026, 5, 25), D(2026, 6, 8), 79, None, False, S.AT_RISK),
    ("due_in_7_days_at_80_is_on_track", D(2026, 5, 25), D(2026, 6, 8), 80, None, False, S.ON_TRACK),
    ("due_in_8_days_at_79_is_on_track", D(2026, 5, 30), D(2026, 6, 9), 79, None, False, S.ON_TRACK),
    ("due_in_7_days_not_started_is_at_risk", D(2026, 6, 5), D(2026, 6, 8), 0, None, False, S.AT_RISK),
    # straight line: start 2026-05-22, due 2026-06-11 → span 20 days, today elapsed 10 days → expected 50 %
    ("behind_line_by_exactly_threshold_is_not_at_risk", D(2026, 5, 22), D(2026, 6, 11), 30, None, False, S.ON_TRACK),
    ("behind_line_by_more_than_threshold_is_at_risk", D(2026, 5, 22), D(2026, 6, 11), 29, None, False, S.AT_RISK),
    ("on_the_line_is_on_track", D(2026, 5, 22), D(2026, 6, 11), 50, None, False, S.ON_TRACK),
    ("started_progress_0_within_threshold_is_not_started", D(2026, 5, 1), D(2026, 12, 31), 0, None, False, S.NOT_STARTED),
    ("started_progress_0_behind_line_is_at_risk", D(2026, 1, 1), D(2026, 12, 31), 0, None, False, S.AT_RISK),
    # not started: before the start date, or progress 0
    ("before_start_is_not_started", D(2026, 6, 2), D(2026, 12, 31), 0, None, False, S.NOT_STARTED),
    ("starts_today_progress_0_is_not_started", TODAY, D(2026, 12, 31), 0, None, False, S.NOT_STARTED),
    ("before_start_with_progress_is_on_track", D(2026, 6, 2), D(2026, 12, 31), 5, None, False, S.ON_TRACK),
    ("same_day_start_and_due_in_future_not_started", D(2026, 9, 1), D(2026, 9, 1), 0, None, False, S.NOT_STARTED),
    ("on_track", D(2026, 1, 1), D(2026, 12, 31), 60, None, False, S.ON_TRACK),
]


@pytest.mark.parametrize("start,due,progress,done_date,blocked,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_task_status_rule(reference_data, start, due, progress, done_date, blocked, expected):
    task = TaskFactory(start_date=start, due_date=due, progress=progress, done_date=done_date, blocked=blocked)
    task_statuses_recalculate(task_list_ids=[task.task_list_id], today=TODAY)

    task.refresh_from_db()
    assert task.status == expected
    assert task_status_compute(task, today=TODAY) == expected


def test_all_rules_in_one_list_are_written_by_one_recalculation(reference_data):
    task_list = KeyTaskListFactory()
    tasks = {
        c[0]: TaskFactory(task_list=task_list, start_date=c[1], due_date=c[2], progress=c[3], done_date=c[4], blocked=c[5])
        for c in CASES
    }
    changed = task_statuses_recalculate(task_list_ids=[task_list.pk], today=TODAY)

    stored = dict(Task.objects.filter(task_list=task_list).values_list("pk", "status"))
    assert {name: stored[t.pk] for name, t in tasks.items()} == {c[0]: c[6] for c in CASES}
    assert changed == sum(1 for c in CASES if c[6] != S.NOT_STARTED)


def test_status_moves_with_the_date_without_any_edit(reference_data):
    task = TaskFactory(start_date=D(2026, 1, 1), due_date=D(2026, 12, 31), progress=90)
    task_statuses_recalculate(task_list_ids=[task.task_list_id], today=D(2026, 12, 31))
    assert Task.objects.get(pk=task.pk).status == S.ON_TRACK
    task_statuses_recalculate(today=D(2027, 1, 1))
    assert Task.objects.get(pk=task.pk).status == S.OVERDUE


def test_threshold_is_configurable(reference_data, settings):
    settings.PMFLOW = {**settings.PMFLOW, "AT_RISK_THRESHOLD": 30}
    # expected 50 %, progress 25 → behind by 25: at risk at 20, not at 30
    task = TaskFactory(start_date=D(2026, 5, 22), due_date=D(2026, 6, 11), progress=25)
    task_statuses_recalculate(task_list_ids=[task.task_list_id], today=TODAY)
    assert Task.objects.get(pk=task.pk).status == S.ON_TRACK
