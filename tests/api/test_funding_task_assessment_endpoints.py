"""Funding awards (admins only; caps enforced by the service), key task lists and tasks (the PM team
writes progress; the status is recomputed by the recalculation task), assessment rounds (admins open) and assessments (PM team)."""

from __future__ import annotations

import datetime as dt

import pytest

from milestones.models import Assessment, AssessmentRound
from projects.models import FundingAward, KeyTaskList, Project, Task, TaskCategory
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db


def _award(world, **over):
    data = {
        "project": world.project.pk,
        "beneficiary": world.project.performer_id,
        "measure": "basic_research",
        "amount": "100000.00",
    }
    data.update(over)
    return data


def test_admin_adds_an_award_within_the_cap(world):
    from projects.models import SupportMeasure

    measure = SupportMeasure.objects.filter(amount_cap__isnull=False, ratio_cap__isnull=True).order_by("order").first()
    response = world.client("admin").post("/api/v1/funding-awards/", _award(world, measure=measure.code), format="json")
    assert response.status_code == 201, response.json()
    over = world.client("admin").post(
        "/api/v1/funding-awards/", _award(world, measure=measure.code, amount=str(measure.amount_cap + 1)), format="json"
    )
    assert "amount" in assert_error(over, 400, "invalid")["fields"]
    assert FundingAward.objects.count() == 1


def test_pm_team_may_not_add_awards_and_other_teams_do_not_see_the_project(world):
    assert_error(world.client("lead").post("/api/v1/funding-awards/", _award(world), format="json"), 403, "forbidden")
    assert_error(world.client("other_lead").post("/api/v1/funding-awards/", _award(world), format="json"), 404, "not_found")
    assert not FundingAward.objects.exists()


def test_task_list_and_tasks_written_by_the_team(world):
    client = world.client("member")
    team = world.project.pm_team
    tl = client.post(
        "/api/v1/task-lists/", {"pm_team": team.pk, "title": "2026 重点任务", "project": world.project.pk}, format="json"
    )
    assert tl.status_code == 201, tl.json()
    category = TaskCategory.objects.order_by("order").first()
    task = client.post(
        "/api/v1/tasks/",
        {
            "task_list": tl.json()["id"],
            "category": category.pk,
            "title": "样机研制",
            "start_date": "2026-01-05",
            "due_date": "2026-12-31",
        },
        format="json",
    )
    assert task.status_code == 201, task.json()
    done = client.post(
        f"/api/v1/tasks/{task.json()['id']}/progress/", {"progress": 100, "done_date": str(dt.date.today())}, format="json"
    )
    assert done.status_code == 200, done.json()
    assert done.json()["progress"] == 100  # the status follows from the recalculation task, on commit
    patched = client.patch(f"/api/v1/tasks/{task.json()['id']}/", {"title": "样机研制（二期）"}, format="json")
    assert patched.status_code == 200 and patched.json()["title"] == "样机研制（二期）"


def test_task_writes_refused_for_others(world):
    team = world.project.pm_team
    assert_error(
        world.client("other_lead").post("/api/v1/task-lists/", {"pm_team": team.pk, "title": "x"}, format="json"),
        404,
        "not_found",
    )
    tl = KeyTaskList.objects.create(pm_team=team, project=world.project, title="清单")
    category = TaskCategory.objects.order_by("order").first()
    body = {"task_list": tl.pk, "category": category.pk, "title": "x", "start_date": "2026-01-05", "due_date": "2026-02-01"}
    assert_error(world.client("reviewer").post("/api/v1/tasks/", body, format="json"), 403, "forbidden")
    assert_error(world.client("outsider").post("/api/v1/tasks/", body, format="json"), 404, "not_found")
    bad = world.client("lead").post("/api/v1/tasks/", {**body, "progress": 101, "due_date": "soon"}, format="json")
    assert {"progress", "due_date"} <= set(assert_error(bad, 400, "invalid")["fields"])
    assert not Task.objects.exists()


def test_admin_opens_a_round_and_the_team_submits_its_assessment(world):
    Project.objects.filter(pk=world.project.pk).update(status="active")
    assert_error(
        world.client("lead").post(
            "/api/v1/assessment-rounds/", {"period_start": "2026-01-01", "period_end": "2026-03-31"}, format="json"
        ),
        403,
        "forbidden",
    )
    response = world.client("admin").post(
        "/api/v1/assessment-rounds/", {"period_start": "2026-01-01", "period_end": "2026-03-31"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assessment = Assessment.objects.get(round=AssessmentRound.objects.get(), project=world.project)
    ratings = {k: "B" for k in ("scope", "time", "cost", "risk", "transfer", "overall")}
    assert_error(
        world.client("reviewer").post(
            f"/api/v1/assessments/{assessment.pk}/submit/", {**ratings, "recommendation": "continue"}, format="json"
        ),
        403,
        "forbidden",
    )
    ok = world.client("member").post(
        f"/api/v1/assessments/{assessment.pk}/submit/", {**ratings, "recommendation": "continue"}, format="json"
    )
    assert ok.status_code == 200, ok.json()
    assert ok.json()["overall"] == "B" and ok.json()["submitted_at"]
    assert_error(world.client("other_lead").get(f"/api/v1/assessments/{assessment.pk}/"), 404, "not_found")
