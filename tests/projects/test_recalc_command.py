"""``manage.py recalculate`` runs the same set-based recalculation as the nightly task."""

from __future__ import annotations

import datetime as dt
from io import StringIO

from django.core.management import call_command

from projects.models import Task, TaskStatus
from tests.factories import TaskFactory


def test_recalculate_command(reference_data):
    task = TaskFactory(start_date=dt.date(2026, 1, 1), due_date=dt.date(2026, 5, 1), progress=50)
    out = StringIO()
    call_command("recalculate", "--date", "2026-06-01", stdout=out)
    assert Task.objects.get(pk=task.pk).status == TaskStatus.OVERDUE
    assert "1 task statuses changed" in out.getvalue()
    call_command("recalculate", "--list", str(task.task_list_id), "--date", "2026-06-01", stdout=out)
    assert "0 task statuses changed" in out.getvalue()
