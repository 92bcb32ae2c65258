"""Task writes: progress updates (0–100, done date, blocked), creation and plan changes, with
validation naming fields, permissions, audit, and the on-commit recalculation of the list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from pmflow.audit import audit_trail_for
from pmflow.errors import Forbidden, InvalidInput, NotFound
from projects.models import KeyTaskList, Task, TaskCategory, TaskStatus
from projects.services.task_status import task_statuses_recalculate
from projects.services.tasks import task_create, task_list_create, task_update, task_update_progress
from tests.factories import KeyTaskListFactory, ProjectFactory, TaskFactory, UserFactory, add_member, make_admin

D = dt.date


@pytest.fixture
def team_task(reference_data):
    project = ProjectFactory()
    member = add_member(project.pm_team)
    task_list = KeyTaskListFactory(pm_team=project.pm_team, project=project)
    task = TaskFactory(task_list=task_list, start_date=D(2026, 1, 1), due_date=timezone.localdate() + dt.timedelta(days=300))
    return task, member, project


def test_progress_update_enqueues_the_list_recalculation_on_commit(team_task, django_capture_on_commit_callbacks):
    task, member, _ = team_task
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        task_update_progress(actor=member, task_id=task.pk, progress=40)
    assert len(callbacks) == 1
    task.refresh_from_db()
    assert task.progress == 40 and task.done_date is None
    assert audit_trail_for(task).get().action == "task_progress"


def test_reaching_100_sets_the_done_date_to_today(team_task):
    task, member, _ = team_task
    task_update_progress(actor=member, task_id=task.pk, progress=100)
    task.refresh_from_db()
    assert task.done_date == timezone.localdate()
    task_statuses_recalculate(task_list_ids=[task.task_list_id])
    assert Task.objects.get(pk=task.pk).status == TaskStatus.DONE


def test_given_done_date_means_100_and_lower_progress_reopens(team_task):
    task, member, _ = team_task
    task_update_progress(actor=member, task_id=task.pk, done_date=D(2026, 3, 1))
    task.refresh_from_db()
    assert (task.progress, task.done_date) == (100, D(2026, 3, 1))
    task_update_progress(actor=member, task_id=task.pk, progress=90)
    task.refresh_from_db()
    assert (task.progress, task.done_date) == (90, None)


def test_blocked_flag(team_task):
    task, member, _ = team_task
    task_update_progress(actor=member, task_id=task.pk, blocked=True)
    task_statuses_recalculate(task_list_ids=[task.task_list_id])
    assert Task.objects.get(pk=task.pk).status == TaskStatus.BLOCKED


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"progress": 101}, "progress"),
        ({"progress": -1}, "progress"),
        ({"progress": True}, "progress"),
        ({"done_date": D(2099, 1, 1)}, "done_date"),
        ({"done_date": D(2025, 12, 31)}, "done_date"),  # before the start date
        ({"done_date": D(2026, 3, 1), "progress": 50}, "done_date"),
        ({"blocked": "yes"}, "blocked"),
    ],
)
def test_invalid_progress_input_names_the_field_and_saves_nothing(team_task, kwargs, field):
    task, member, _ = team_task
    with pytest.raises(InvalidInput) as exc:
        task_update_progress(actor=member, task_id=task.pk, **kwargs)
    assert field in exc.value.fields
    fresh = Task.objects.get(pk=task.pk)
    assert (fresh.progress, fresh.done_date, fresh.blocked) == (0, None, False)


def test_project_lead_may_update_progress_strangers_may_not(team_task):
    task, _, project = team_task
    task_update_progress(actor=project.lead, task_id=task.pk, progress=10)
    with pytest.raises(Forbidden):
        task_update_progress(actor=UserFactory(), task_id=task.pk, progress=20)
    with pytest.raises(NotFound):
        task_update_progress(actor=project.lead, task_id=0, progress=20)
    assert Task.objects.get(pk=task.pk).progress == 10


def test_task_list_and_task_create(reference_data, django_capture_on_commit_callbacks):
    project = ProjectFactory()
    member = add_member(project.pm_team)
    tl = task_list_create(actor=member, pm_team_id=project.pm_team_id, project_id=project.pk, title="2026年重点任务")
    category = TaskCategory.objects.order_by("order").first()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        task = task_create(
            actor=member,
            task_list_id=tl.pk,
            category_id=category.pk,
            title="样机研制",
            start_date=D(2026, 1, 1),
            due_date=D(2026, 12, 31),
            weight="2.5",
            owner_id=member.pk,
        )
    assert len(callbacks) == 1
    assert (task.weight, task.status, task.owner_id) == (Decimal("2.5"), TaskStatus.NOT_STARTED, member.pk)
    assert KeyTaskList.objects.get(pk=tl.pk).project_id == project.pk


def test_task_create_validation_names_every_bad_field(reference_data):
    admin = make_admin()
    tl = KeyTaskListFactory()
    with pytest.raises(InvalidInput) as exc:
        task_create(
            actor=admin,
            task_list_id=tl.pk,
            category_id=0,
            title=" ",
            start_date=D(2026, 6, 1),
            due_date=D(2026, 5, 1),
            weight="-1",
        )
    assert set(exc.value.fields) == {"category", "title", "due_date", "weight"}
    assert not Task.objects.exists()


def test_task_list_create_rules(reference_data):
    project, other = ProjectFactory(), ProjectFactory()
    member = add_member(project.pm_team)
    with pytest.raises(InvalidInput) as exc:
        task_list_create(actor=member, pm_team_id=project.pm_team_id, project_id=other.pk, title="清单")
    assert "project" in exc.value.fields
    with pytest.raises(Forbidden):
        task_list_create(actor=project.lead, pm_team_id=project.pm_team_id, title="清单")  # the performer does not plan lists
    with pytest.raises(InvalidInput):
        task_list_create(actor=member, pm_team_id=project.pm_team_id, title="")


def test_task_update_changes_plan_fields_and_audits(team_task):
    task, member, _ = team_task
    task_update(actor=member, task_id=task.pk, due_date=D(2026, 11, 30), title="新名称")
    task.refresh_from_db()
    assert (task.due_date, task.title) == (D(2026, 11, 30), "新名称")
    entry = audit_trail_for(task).get(action="task_update")
    assert entry.data["after"]["title"] == "新名称"
    with pytest.raises(InvalidInput) as exc:
        task_update(actor=member, task_id=task.pk, due_date=D(2025, 1, 1))
    assert "due_date" in exc.value.fields
