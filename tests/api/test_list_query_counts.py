"""Every list endpoint runs a fixed number of queries whatever the page holds: the same count with
5 rows as with 50 (token auth, admin group check, count, page)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType

from milestones.models import (
    Assessment,
    AssessmentRound,
    ChangeRequest,
    GateDecision,
    ReviewerAssignment,
    Scorecard,
    TrancheRelease,
)
from pmflow.audit import audit_record
from pmflow.models import Notification
from projects.models import FundingAward, PlanVersion, SupportMeasure, TechnologyRoute
from tests.api.conftest import client_for
from tests.factories import (
    GateReviewFactory,
    KeyTaskListFactory,
    MilestoneFactory,
    PMTeamFactory,
    ProjectFactory,
    TaskFactory,
    UserFactory,
    add_member,
)

pytestmark = pytest.mark.django_db


def _seed(n: int, team, chair, reviewer, owner):
    """``n`` rows of every resource, all visible to the team member, the chair or the reviewer."""
    measure = SupportMeasure.objects.order_by("order").first()
    projects = ProjectFactory.create_batch(n, pm_team=team)
    task_list = KeyTaskListFactory(pm_team=team, project=projects[0])
    rnd = AssessmentRound.objects.create(
        label=f"R{n}",
        period_start=dt.date(2026, 1, 1) + dt.timedelta(days=n),
        period_end=dt.date(2026, 6, 30),
        due_date=dt.date(2026, 4, 15),
    )
    for i, p in enumerate(projects):
        m = MilestoneFactory(project=p, sequence=1)
        gate = GateReviewFactory(project=p, milestone=m, chair=chair, committee__chair=chair, kind="milestone")
        # Declared no conflict: only such a reviewer reads scorecards (undeclared and recused read none).
        a = ReviewerAssignment.objects.create(gate=gate, reviewer=reviewer, has_conflict=False)
        Scorecard.objects.create(assignment=a, recommendation="go")
        GateDecision.objects.create(gate=gate, outcome="go", decided_by=chair)
        TrancheRelease.objects.create(milestone=m, amount=1000, released_by=chair)
        PlanVersion.objects.create(project=p, version=1, is_baseline=True, objectives="目标")
        TechnologyRoute.objects.create(project=p, name=f"路线{i}")
        ChangeRequest.objects.create(project=p, kind="rescope", reason="r", created_by=owner)
        Assessment.objects.create(round=rnd, project=p, overall="A")
        FundingAward.objects.create(project=p, beneficiary=p.performer, measure=measure, amount=1000)
        TaskFactory(task_list=task_list, owner=owner)
        KeyTaskListFactory(pm_team=team, project=p)
        add_member(PMTeamFactory(), owner)
        ct = ContentType.objects.get_for_model(p)
        Notification.objects.create(recipient=owner, kind="state_changed", content_type=ct, object_id=str(p.pk), subject="s")
        audit_record(obj=p, actor=owner, action="update")


ENDPOINTS = [
    ("member", "/api/v1/projects/"),
    ("member", "/api/v1/pm-teams/"),
    ("member", "/api/v1/plan-versions/"),
    ("member", "/api/v1/routes/"),
    ("member", "/api/v1/funding-awards/"),
    ("member", "/api/v1/task-lists/"),
    ("member", "/api/v1/tasks/"),
    ("member", "/api/v1/milestones/"),
    ("member", "/api/v1/gate-reviews/"),
    ("chair", "/api/v1/assignments/"),
    ("reviewer", "/api/v1/scorecards/"),
    ("member", "/api/v1/decisions/"),
    ("member", "/api/v1/change-requests/"),
    ("member", "/api/v1/assessment-rounds/"),
    ("member", "/api/v1/assessments/"),
    ("member", "/api/v1/tranche-releases/"),
    ("member", "/api/v1/notifications/"),
    ("member", "/api/v1/audit/"),
    ("member", "/api/v1/fields/"),
    ("member", "/api/v1/support-measures/"),
]


@pytest.fixture
def people(reference_data):
    team = PMTeamFactory()
    member = add_member(team)
    return {"team": team, "member": member, "chair": UserFactory(), "reviewer": UserFactory()}


def _count(client, url) -> tuple[int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, {"page_size": 100})
    assert response.status_code == 200, response.json()
    return len(ctx.captured_queries), response.json()["count"]


@pytest.mark.parametrize(("role", "url"), ENDPOINTS, ids=[u.split("/")[3] for _r, u in ENDPOINTS])
def test_list_query_count_is_fixed_whatever_the_page_size(people, role, url, django_assert_num_queries):
    client = client_for(people[role])
    _seed(5, people["team"], people["chair"], people["reviewer"], people["member"])
    client.get(url)  # warm per-process caches (content types) so both counts measure the same work
    small, n_small = _count(client, url)
    _seed(45, people["team"], people["chair"], people["reviewer"], people["member"])  # 50 rows now
    with django_assert_num_queries(small):
        response = client.get(url, {"page_size": 100})
    if "fields" not in url and "support-measures" not in url and "assessment-rounds" not in url:
        assert response.json()["count"] > n_small >= 5
    assert small <= 6
