"""``manage.py recalculate`` runs the same set-based recalculation as the nightly task."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

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


@pytest.mark.parametrize("command", ["recalculate", "send_reminders"])
def test_a_bad_date_option_is_refused_naming_the_option(command):
    with pytest.raises(CommandError, match="--date"):
        call_command(command, "--date", "2026-13-01")
