"""A task change marks its list dirty in its own transaction (an outbox row); the recalculation
deletes the marks it saw; the minute-level sweep recalculates whatever is still marked (the
after-change publish was lost), and with nothing marked it is one query."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from projects.models import Task, TaskListDirty, TaskStatus
from projects.services.task_status import task_lists_dirty_recalculate, task_statuses_recalculate
from projects.services.tasks import task_update_progress
from tests.factories import KeyTaskListFactory, ProjectFactory, TaskFactory

FAR = {"start_date": dt.date(2026, 1, 1), "due_date": dt.date(2099, 12, 31)}


@pytest.fixture
def task(reference_data):
    project = ProjectFactory()
    return TaskFactory(task_list=KeyTaskListFactory(pm_team=project.pm_team, project=project), progress=10, **FAR)


def test_a_change_writes_a_dirty_mark_in_its_own_transaction(task):
    lead = task.task_list.pm_team.lead
    with pytest.raises(RuntimeError), transaction.atomic():
        task_update_progress(actor=lead, task_id=task.pk, progress=100)
        assert TaskListDirty.objects.filter(task_list_id=task.task_list_id).count() == 1
        raise RuntimeError("the change rolls back")
    assert not TaskListDirty.objects.exists()  # … and its mark with it

    task_update_progress(actor=lead, task_id=task.pk, progress=100)
    assert list(TaskListDirty.objects.values_list("task_list_id", flat=True)) == [task.task_list_id]


def test_the_sweep_recalculates_a_list_whose_publish_was_lost_and_clears_its_marks(task, django_assert_num_queries):
    lead = task.task_list.pm_team.lead
    task_update_progress(actor=lead, task_id=task.pk, progress=100)
    task_update_progress(actor=lead, task_id=task.pk, blocked=True)
    assert Task.objects.get(pk=task.pk).status == TaskStatus.NOT_STARTED  # no worker ran

    assert task_lists_dirty_recalculate() == 1
    assert Task.objects.get(pk=task.pk).status == TaskStatus.DONE
    assert not TaskListDirty.objects.exists()
    with django_assert_num_queries(1):
        assert task_lists_dirty_recalculate() == 0


def test_the_after_change_recalculation_clears_the_marks_of_its_list_only(task, reference_data):
    other_project = ProjectFactory()
    other = TaskFactory(task_list=KeyTaskListFactory(pm_team=other_project.pm_team, project=other_project), **FAR)
    task_update_progress(actor=task.task_list.pm_team.lead, task_id=task.pk, progress=50)
    task_update_progress(actor=other.task_list.pm_team.lead, task_id=other.pk, progress=50)

    task_statuses_recalculate(task_list_ids=[task.task_list_id])
    assert list(TaskListDirty.objects.values_list("task_list_id", flat=True)) == [other.task_list_id]
    task_statuses_recalculate()  # the nightly run clears every mark it saw
    assert not TaskListDirty.objects.exists()
