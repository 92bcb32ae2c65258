"""The recalculation is set-based and idempotent: it writes only rows whose value changes, and a
second run with the same data and date updates no row of any table.

"No row updated" is asserted precisely with PostgreSQL's per-transaction statistics
(``pg_stat_xact_user_tables.n_tup_upd`` counts every row version an UPDATE writes, even one that
sets a column to its old value) and with the rows' ``ctid`` (an UPDATE always moves a row)."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import KeyTaskList, Project, Task
from projects.services.task_status import LIST_BATCH_SIZE, task_statuses_recalculate
from tests.factories import KeyTaskListFactory, MilestoneFactory, ProjectFactory, TaskFactory

D = dt.date
TODAY = D(2026, 6, 1)
TABLES = ("projects_task", "projects_keytasklist", "projects_project")


def rows_updated() -> dict[str, int]:
    with connection.cursor() as cur:
        cur.execute("SELECT relname, n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = ANY(%s)", [list(TABLES)])
        found = dict(cur.fetchall())
    return {t: found.get(t, 0) for t in TABLES}


def ctids(model) -> dict[int, str]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT id, ctid::text FROM {model._meta.db_table}")
        return dict(cur.fetchall())


def _portfolio():
    lists = []
    for i in range(3):
        project = ProjectFactory()
        MilestoneFactory(project=project, baseline_due=D(2026, 5, 1) if i == 0 else D(2026, 12, 31))
        tl = KeyTaskListFactory(pm_team=project.pm_team, project=project)
        lists.append(tl)
        TaskFactory(task_list=tl, start_date=D(2026, 1, 1), due_date=D(2026, 12, 31), progress=60)
        TaskFactory(task_list=tl, start_date=D(2026, 1, 1), due_date=D(2026, 5, 1), progress=30)
        TaskFactory(task_list=tl, start_date=D(2026, 1, 1), due_date=D(2026, 12, 31), progress=0, blocked=True)
        TaskFactory(task_list=tl, start_date=D(2026, 7, 1), due_date=D(2026, 12, 31), progress=0)
    return lists


def test_second_full_recalculation_updates_no_row(reference_data):
    _portfolio()
    first = task_statuses_recalculate(today=TODAY)
    assert first == 9  # 3 lists × (on_track, overdue, blocked); the not-started task was already right
    before_stats = rows_updated()
    before_ctids = (ctids(Task), ctids(KeyTaskList), ctids(Project))

    with CaptureQueriesContext(connection) as queries:
        second = task_statuses_recalculate(today=TODAY)

    assert second == 0
    assert rows_updated() == before_stats  # not one row version written in any of the three tables
    assert (ctids(Task), ctids(KeyTaskList), ctids(Project)) == before_ctids
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    # Only the guarded set-based statements ran (the task status and project health UPDATEs with
    # their "value differs" WHERE); no roll-up UPDATE was even issued because no roll-up changed.
    assert len(updates) == 2
    assert all("NOT (" in sql for sql in updates)
    assert not any(sql.startswith('UPDATE "projects_keytasklist"') for sql in updates)


def test_second_single_list_recalculation_updates_no_row(reference_data):
    tl = _portfolio()[0]
    task_statuses_recalculate(task_list_ids=[tl.pk], today=TODAY)
    before = rows_updated()
    assert task_statuses_recalculate(task_list_ids=[tl.pk], today=TODAY) == 0
    assert rows_updated() == before


def test_only_changed_rows_are_written(reference_data):
    lists = _portfolio()
    task_statuses_recalculate(today=TODAY)
    before = rows_updated()
    Task.objects.filter(task_list=lists[1], blocked=True).update(blocked=False)  # one task row touched by the test
    after_edit = rows_updated()
    assert after_edit["projects_task"] == before["projects_task"] + 1

    changed = task_statuses_recalculate(today=TODAY)

    assert changed == 1
    delta = {t: rows_updated()[t] - after_edit[t] for t in TABLES}
    # the task (blocked → at_risk) and its list's counts change; the list stays red (its overdue task
    # carries 25 % of the weight), so its project's health is not rewritten
    assert delta == {"projects_task": 1, "projects_keytasklist": 1, "projects_project": 0}


def test_statements_per_batch_do_not_grow_with_rows(reference_data):
    lists = _portfolio()
    for tl in lists:
        for _ in range(5):
            TaskFactory(task_list=tl, progress=50, start_date=D(2026, 1, 1), due_date=D(2026, 12, 31))
    with CaptureQueriesContext(connection) as queries:
        task_statuses_recalculate(today=TODAY)
    task_updates = [q for q in queries.captured_queries if q["sql"].startswith('UPDATE "projects_task"')]
    assert len(lists) < LIST_BATCH_SIZE
    assert len(task_updates) == 1  # one statement for the whole batch of lists
