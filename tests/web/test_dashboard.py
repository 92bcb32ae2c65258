"""Portfolio dashboard: for PM-team leads and admins only; counts by direction / tier / state /
health link to the filtered project list; due and overdue lists; funding; quota; fixed queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from milestones.models import NonConsensusApproval, TrancheRelease
from projects.models import Field, FundingAward, Project, SupportMeasure
from tests.factories import (
    GateReviewFactory,
    KeyTaskListFactory,
    MilestoneFactory,
    PMTeamFactory,
    ProjectFactory,
    TaskFactory,
    UserFactory,
    add_member,
    make_admin,
)

pytestmark = pytest.mark.django_db


def _portfolio(team, n: int) -> list[Project]:
    today = timezone.localdate()
    fields = list(Field.objects.order_by("code")[:3])
    measure = SupportMeasure.objects.order_by("order").first()
    out = []
    for i in range(n):
        project = ProjectFactory(pm_team=team, field=fields[i % 3])
        Project.objects.filter(pk=project.pk).update(status="active", health=("green", "amber", "red")[i % 3])
        m = MilestoneFactory(project=project, sequence=1, baseline_due=today + dt.timedelta(days=10))
        TrancheRelease.objects.create(milestone=m, amount=Decimal("100000.00"), released_by=team.lead)
        FundingAward.objects.create(project=project, beneficiary=project.performer, measure=measure, amount=Decimal("300000"))
        GateReviewFactory(project=project, kind="milestone", milestone=m, due_date=today - dt.timedelta(days=2))
        tl = KeyTaskListFactory(pm_team=team, project=project)
        t = TaskFactory(task_list=tl, start_date=today - dt.timedelta(days=60), due_date=today - dt.timedelta(days=1))
        type(t).objects.filter(pk=t.pk).update(status="overdue")
        out.append(project)
    return out


def test_pm_lead_sees_counts_charts_and_lists(client, reference_data):
    team = PMTeamFactory()
    projects = _portfolio(team, 3)
    NonConsensusApproval.objects.create(
        project=projects[0],
        pm_team=team,
        year=timezone.localdate().year,
        endorsed_by=team.lead,
        approved_by=team.lead,
        first_tranche_share=Decimal("0.2"),
        first_gate_earlier_workdays=20,
        endorsement="背书",
    )
    ProjectFactory(title="别队项目")  # not in the lead's portfolio
    client.force_login(team.lead)
    resp = client.get(reverse("projects:dashboard"))
    html = resp.content.decode()
    assert resp.status_code == 200
    assert 'id="stat-total">3<' in html
    assert 'id="stat-due">3<' in html
    assert 'id="stat-overdue-reviews">3<' in html
    assert 'id="stat-overdue-tasks">3<' in html
    assert html.count("<svg") >= 6
    assert "?health=red" in html and "?status=active" in html
    assert f'data-team="{team.code}"' in html
    assert 'id="released-sparkline"' in html and "<polyline" in html
    # every number links to the list behind it, and that list shows exactly those projects
    listed = client.get(reverse("projects:list") + "?overdue_reviews=1").content.decode()
    assert listed.count('class="project-row"') == 3
    red = client.get(reverse("projects:list") + "?health=red").content.decode()
    assert red.count('class="project-row"') == 1


def test_dashboard_filters_by_direction(client, reference_data):
    team = PMTeamFactory()
    projects = _portfolio(team, 3)
    direction = projects[0].field.direction
    expected = sum(1 for p in projects if p.field.direction_id == direction.pk)
    client.force_login(team.lead)
    html = client.get(reverse("projects:dashboard"), {"direction": direction.code}).content.decode()
    assert f'id="stat-total">{expected}<' in html
    assert f"direction={direction.code}" in html


def test_dashboard_is_forbidden_for_members_and_reviewers(client, reference_data):
    team = PMTeamFactory()
    member = add_member(team)
    client.force_login(member)
    resp = client.get(reverse("projects:dashboard"))
    assert resp.status_code == 403
    assert 'id="error-403"' in resp.content.decode()
    client.force_login(UserFactory())
    assert client.get(reverse("projects:dashboard")).status_code == 403


def test_admin_sees_every_team(client, reference_data):
    _portfolio(PMTeamFactory(), 1)
    _portfolio(PMTeamFactory(), 1)
    client.force_login(make_admin())
    html = client.get(reverse("projects:dashboard")).content.decode()
    assert 'id="stat-total">2<' in html
    assert "按项目经理团队" in html and html.count("?team=") >= 2


def test_dashboard_query_count_is_fixed(client, reference_data, django_assert_num_queries):
    team = PMTeamFactory()
    _portfolio(team, 3)
    client.force_login(team.lead)
    client.get(reverse("projects:dashboard"))
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("projects:dashboard"))
    _portfolio(team, 27)
    with django_assert_num_queries(len(ctx)):
        resp = client.get(reverse("projects:dashboard"))
    assert 'id="stat-total">30<' in resp.content.decode()
