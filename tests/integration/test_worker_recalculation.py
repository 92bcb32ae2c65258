"""A task change is recalculated by a real Celery worker: the service commits, enqueues the one-list
recalculation on commit, and the worker process (test Redis, test database) rewrites the task's
status, the list's roll-up and the project's health."""

from __future__ import annotations

import datetime as dt

import pytest

from projects.models import Health, KeyTaskList, Project, Task, TaskStatus
from projects.services.tasks import task_update_progress
from tests.factories import KeyTaskListFactory, ProjectFactory, TaskFactory, add_member
from tests.worker import wait_for

pytestmark = pytest.mark.worker


def test_task_change_is_recalculated_by_the_worker(celery_worker_process, reference_data):
    project = ProjectFactory()
    member = add_member(project.pm_team)
    task_list = KeyTaskListFactory(pm_team=project.pm_team, project=project)
    far = {"start_date": dt.date(2026, 1, 1), "due_date": dt.date(2099, 12, 31)}
    task = TaskFactory(task_list=task_list, progress=10, **far)
    TaskFactory(task_list=task_list, progress=50, **far)

    task_update_progress(actor=member, task_id=task.pk, blocked=True)

    wait_for(
        lambda: Task.objects.get(pk=task.pk).status == TaskStatus.BLOCKED,
        timeout=60,
        message=f"the worker did not recalculate; log:\n{celery_worker_process.log()[-4000:]}",
    )
    wait_for(lambda: KeyTaskList.objects.get(pk=task_list.pk).count_blocked == 1, timeout=30)
    rolled = KeyTaskList.objects.get(pk=task_list.pk)
    assert (rolled.count_on_track, rolled.health) == (1, Health.RED)
    assert Project.objects.get(pk=project.pk).health == Health.RED
    assert "projects.task_list_recalculate" in celery_worker_process.log()

    task_update_progress(actor=member, task_id=task.pk, progress=100, blocked=False)
    wait_for(lambda: KeyTaskList.objects.get(pk=task_list.pk).count_done == 1, timeout=60)
    assert Task.objects.get(pk=task.pk).status == TaskStatus.DONE
    assert KeyTaskList.objects.get(pk=task_list.pk).weighted_progress == 75
    assert Project.objects.get(pk=project.pk).health == Health.GREEN
