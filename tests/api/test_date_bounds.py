"""Dates in every write stay within sane bounds (``PMFLOW_DATE_MIN``..``PMFLOW_DATE_MAX``, default
2000-01-01..2100-12-31): year 1 and year 9999 are a 400 naming the field through the API, an
``InvalidInput`` naming it from the service (what the web forms call), and nothing is saved."""

from __future__ import annotations

import datetime as dt

import pytest

from milestones.models import GateReview
from pmflow.errors import InvalidInput
from pmflow.parsing import date_bounds, date_parse
from projects.models import KeyTaskList, Task, TaskCategory
from projects.services.tasks import task_create, task_update_progress
from tests.api.conftest import assert_error
from tests.factories import CommitteeFactory

pytestmark = pytest.mark.django_db

FAR = ["0001-01-01", "1999-12-31", "2101-01-01", "9999-12-31"]


@pytest.fixture
def task_list(world):
    return KeyTaskList.objects.create(pm_team=world.project.pm_team, project=world.project, title="清单")


def test_default_bounds_and_the_setting(settings):
    assert date_bounds() == (dt.date(2000, 1, 1), dt.date(2100, 12, 31))
    settings.PMFLOW_DATE_MIN, settings.PMFLOW_DATE_MAX = "2020-01-01", "2030-12-31"
    assert date_bounds() == (dt.date(2020, 1, 1), dt.date(2030, 12, 31))
    with pytest.raises(ValueError):
        date_parse("2019-12-31")
    assert date_parse("2020-01-01") == dt.date(2020, 1, 1)


@pytest.mark.parametrize("field", ["start_date", "due_date"])
def test_task_dates_out_of_bounds_are_400_through_the_api(world, task_list, field):
    category = TaskCategory.objects.order_by("order").first()
    body = {
        "task_list": task_list.pk,
        "category": category.pk,
        "title": "样机",
        "start_date": "2026-01-05",
        "due_date": "2026-12-31",
    }
    for value in FAR:
        error = assert_error(world.client("lead").post("/api/v1/tasks/", {**body, field: value}, format="json"), 400, "invalid")
        assert field in error["fields"], (value, error)
    assert not Task.objects.exists()


def test_task_dates_out_of_bounds_are_refused_by_the_service(world, task_list):
    category = TaskCategory.objects.order_by("order").first()
    for start, due in [(dt.date(1, 1, 1), dt.date(2026, 1, 1)), (dt.date(2026, 1, 1), dt.date(9999, 12, 31))]:
        with pytest.raises(InvalidInput) as caught:
            task_create(
                actor=world.users["lead"],
                task_list_id=task_list.pk,
                category_id=category.pk,
                title="样机",
                start_date=start,
                due_date=due,
            )
        assert set(caught.value.fields) == {"start_date" if start.year == 1 else "due_date"}
    assert not Task.objects.exists()


def test_a_done_date_out_of_bounds_is_refused(world, task_list):
    category = TaskCategory.objects.order_by("order").first()
    task = task_create(
        actor=world.users["lead"],
        task_list_id=task_list.pk,
        category_id=category.pk,
        title="样机",
        start_date=dt.date(2000, 1, 3),
        due_date=dt.date(2026, 12, 31),
    )
    with pytest.raises(InvalidInput) as caught:
        task_update_progress(actor=world.users["lead"], task_id=task.pk, done_date=dt.date(1, 1, 1))
    assert "done_date" in caught.value.fields
    response = world.client("lead").post(f"/api/v1/tasks/{task.pk}/progress/", {"done_date": "0001-01-01"}, format="json")
    assert "done_date" in assert_error(response, 400, "invalid")["fields"]
    task.refresh_from_db()
    assert task.done_date is None


def test_gate_due_date_and_project_dates_out_of_bounds_are_400(world):
    committee = CommitteeFactory(chair=world.users["chair"])
    body = {"project": world.project.pk, "kind": "milestone", "committee": committee.pk, "milestone": world.milestone.pk}
    before = GateReview.objects.count()
    for value in ("9999-12-31", "0001-01-01"):
        response = world.client("admin").post("/api/v1/gate-reviews/", {**body, "due_date": value}, format="json")
        assert "due_date" in assert_error(response, 400, "invalid")["fields"]
        response = world.client("admin").patch(f"/api/v1/projects/{world.project.pk}/", {"planned_end": value}, format="json")
        assert "planned_end" in assert_error(response, 400, "invalid")["fields"]
    assert GateReview.objects.count() == before
