"""Project list and project page: what each role sees, transition buttons with a reason box,
the timeline, plan diff, funding, change requests, audit filter; another team's project is a
friendly 404; fixed query counts whatever the number of rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from milestones.models import TrancheRelease
from pmflow.audit import audit_record
from projects.models import PlanVersion, Project
from tests.factories import MilestoneFactory, PMTeamFactory, ProjectFactory, UserFactory, add_member, make_admin

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(reference_data):
    team = PMTeamFactory()
    team.member = add_member(team)
    return team


def _project_with_history(team, **kwargs) -> Project:
    project = ProjectFactory(pm_team=team, **kwargs)
    for seq in (1, 2, 3):
        m = MilestoneFactory(
            project=project, sequence=seq, baseline_due=dt.date(2026, 3 * seq, 28), current_due=dt.date(2026, 3 * seq, 28)
        )
        if seq == 1:
            TrancheRelease.objects.create(milestone=m, amount=Decimal("500000.00"), released_by=team.lead)
    PlanVersion.objects.create(project=project, version=1, is_baseline=True, objectives="突破量子纠错关键技术")
    PlanVersion.objects.create(project=project, version=2, objectives="突破量子纠错与低温电子学关键技术", change_note="扩展")
    audit_record(obj=project, actor=team.lead, action="create", to_state="draft")
    return project


def test_pm_member_sees_their_team_projects_in_the_list(client, team):
    mine = ProjectFactory(pm_team=team, title="我的量子项目")
    other = ProjectFactory(title="别人的项目")
    client.force_login(team.member)
    html = client.get(reverse("projects:list")).content.decode()
    assert mine.code in html
    assert other.code not in html
    assert 'id="new-project"' in html


def test_project_page_shows_timeline_plan_diff_funding_and_audit(client, team):
    project = _project_with_history(team)
    client.force_login(team.member)
    resp = client.get(reverse("projects:detail", args=[project.pk]))
    html = resp.content.decode()
    assert resp.status_code == 200
    assert 'id="milestone-timeline"' in html
    assert html.count('class="gantt-row"') == 3
    assert 'id="plan-diff"' in html and "<ins>与低温电子学</ins>" in html
    assert "已拨付" in html and 'id="tranche-table"' in html
    assert 'id="audit-table"' in html
    # a draft: the member may edit and submit (no reason box for submit)
    assert reverse("projects:edit", args=[project.pk]) in html
    assert 'data-transition="submit"' in html
    assert 'name="reason" required' not in html


def test_admin_sees_reason_box_for_terminate(client, team):
    project = ProjectFactory(pm_team=team)
    Project.objects.filter(pk=project.pk).update(status="active")
    client.force_login(make_admin())
    html = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert 'data-transition="terminate"' in html
    assert 'name="reason" required' in html


def test_another_teams_project_is_a_friendly_404(client, team):
    other = ProjectFactory()
    client.force_login(team.member)
    resp = client.get(reverse("projects:detail", args=[other.pk]))
    assert resp.status_code == 404
    assert 'id="error-404"' in resp.content.decode()
    assert b"Traceback" not in resp.content
    assert client.get(reverse("projects:detail", args=[999999])).status_code == 404


def test_project_list_query_count_is_fixed(client, team, django_assert_num_queries):
    for _ in range(3):
        ProjectFactory(pm_team=team)
    client.force_login(team.member)
    client.get(reverse("projects:list"))
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("projects:list"))
    for _ in range(27):
        ProjectFactory(pm_team=team)
    with django_assert_num_queries(len(ctx)):
        resp = client.get(reverse("projects:list"))
    assert resp.content.decode().count('class="project-row"') == 25


def test_project_page_query_count_is_fixed(client, team, django_assert_num_queries):
    small = _project_with_history(team)
    big = _project_with_history(team)
    for seq in range(4, 30):
        MilestoneFactory(project=big, sequence=seq, baseline_due=dt.date(2027, 1, 4), current_due=dt.date(2027, 2, 4))
    for _ in range(25):
        audit_record(obj=big, actor=team.member, action="note")
    client.force_login(team.member)
    client.get(reverse("projects:detail", args=[small.pk]))
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("projects:detail", args=[small.pk]))
    with django_assert_num_queries(len(ctx)):
        assert client.get(reverse("projects:detail", args=[big.pk])).status_code == 200


def test_stranger_gets_the_list_empty(client, team):
    ProjectFactory(pm_team=team)
    client.force_login(UserFactory())
    html = client.get(reverse("projects:list")).content.decode()
    assert 'class="project-row"' not in html


@pytest.mark.parametrize("role", ["admin", "pm_lead", "pm_member", "project_lead", "chair", "reviewer"])
def test_project_page_renders_for_every_role_that_may_see_it(client, team, role):
    from milestones.models import ReviewerAssignment
    from tests.factories import GateReviewFactory

    project = _project_with_history(team)
    gate = GateReviewFactory(project=project)
    user = {
        "admin": make_admin,
        "pm_lead": lambda: team.lead,
        "pm_member": lambda: team.member,
        "project_lead": lambda: project.lead,
        "chair": lambda: gate.chair,
        "reviewer": lambda: ReviewerAssignment.objects.create(gate=gate, reviewer=UserFactory()).reviewer,
    }[role]()
    client.force_login(user)
    resp = client.get(reverse("projects:detail", args=[project.pk]))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert 'id="milestone-timeline"' in html
    # only the PM team (and admins) edit the draft; reviewers, chairs and the project lead do not
    assert (reverse("projects:edit", args=[project.pk]) in html) == (role in ("admin", "pm_lead", "pm_member"))
    assert ('data-transition="submit"' in html) == (role in ("pm_lead", "pm_member"))


def test_audit_trail_filters_by_actor_and_date(client, team):
    project = _project_with_history(team)
    audit_record(obj=project, actor=team.member, action="note", reason="成员备注")
    client.force_login(team.lead)
    url = reverse("projects:detail", args=[project.pk])
    html = client.get(url, {"actor": team.member.pk}).content.decode()
    assert html.count('class="audit-row"') == 1 and "成员备注" in html
    html = client.get(url, {"date_from": "2000-01-01", "date_to": "2000-01-02"}).content.decode()
    assert 'class="audit-row"' not in html
    resp = client.get(url, {"actor": team.member.pk}, HTTP_HX_REQUEST="true")
    assert "成员备注" in resp.content.decode()
